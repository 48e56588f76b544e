import type { Timers } from "./connection.js";
import type { Frame, Query, Reanchor } from "./types.js";
import { reanchored } from "./window.js";

type Msg = Record<string, unknown>;
type ChannelLike = { postMessage(m: unknown): void; onmessage: ((ev: { data: any }) => void) | null; close(): void };
type LocksLike = { request(name: string, cb: (lock: unknown) => Promise<unknown>): Promise<unknown> };

/**
 * A subscription of another tab, held by the leader: re-sent with its last eid after a reconnect.
 * `unanswered` from sending its subscribe until a frame for it: an error then is the subscribe's.
 */
type Remote = { msg: Msg & { query: Record<string, unknown> }; eid?: string; unanswered: boolean };

/** How often the leader asks the other tabs whether they are there (PROBE_MS), and after how many unanswered asks a tab counts as gone. */
const PROBE_MS = 5_000;
const MISSED_PROBES = 3;
/** The tabs the leader dropped that it remembers, to tell one that comes back (a frozen tab thawed) to subscribe again. */
const DROPPED_KEPT = 100;

/**
 * One socket per browser instead of one per tab (opt-in `shared`): the tab holding a Web Lock is
 * the leader and runs the real connection; the others send their commands to it over a
 * BroadcastChannel and get their frames back the same way. Sub names carry a tab id, so they never
 * collide on the shared socket. When the leader goes, the lock passes to another tab, which says
 * `hello`; every tab then re-sends its subscriptions with the eid it last applied, so the hand-off
 * resumes without a reset. The leader alone re-sends the subscribes it holds: after its reconnects,
 * and after a backoff when one is refused for a passing reason.
 *
 * A tab heeds frames, states and refusals only from the leader it knows, the last to say `hello`
 * (or, before any hello, the first leader it hears). Messages of two tabs are not ordered, so the
 * old leader's last frames may arrive after the new leader's `hello`, when this tab's resume eid
 * is already taken: applied then, one the new socket replays would be applied twice, or after
 * newer ones (an update that fits the window undoes a later one, and the eid goes back).
 * Dropped, they are replayed in order from the resume eid.
 */
export class TabLink {
  readonly tab = Math.random().toString(36).slice(2, 10);
  leader = false;
  /** not leading: the tab whose socket serves this one; null until one is heard */
  private leaderTab: string | null = null;
  private readonly channel: ChannelLike;
  private readonly remote = new Map<string, Remote>();
  private release: (() => void) | null = null;
  /** Leader: the probe rounds so far, and the last one each other tab answered (or spoke in) */
  private round = 0;
  private readonly seen = new Map<string, number>();
  /** Leader: tabs whose subscriptions it dropped as gone */
  private readonly dropped = new Set<string>();
  private prober: unknown = null;

  constructor(name: string, private readonly timers: Timers, private readonly hooks: {
    becomeLeader(): void;
    /** a frame for one of this tab's subscriptions (from the leader) */
    frame(f: Frame): void;
    /** the leader's connection state */
    state(s: string, detail?: string): void;
    /** a new leader: re-send every subscription */
    resubscribe(): void;
    /** the leader's socket, if open; false if not */
    send(m: Msg): boolean;
    /** another tab's subscribe was refused with `code`: true if the reason passes, and then `again` runs after a backoff */
    retry(sub: string, code: string, resuming: boolean, again: () => void): boolean;
    /** another tab's subscription ended: no re-send */
    cancel(sub: string): void;
    /** the leader's re-send of this tab's subscription `sub` was refused for good: this tab decides */
    refused(sub: string): void;
    /** the leader's connection state and its detail, for a tab that joins */
    current(): { s: string; detail?: string };
  }) {
    const g = globalThis as any;
    this.channel = new g.BroadcastChannel("livequery:" + name);
    this.channel.onmessage = ev => this.onMessage(ev.data);
    (g.navigator.locks as LocksLike).request("livequery:" + name, () => {
      if (this.closed) return Promise.resolve();
      this.leader = true;
      this.post({ type: "hello" });
      this.probe();
      hooks.becomeLeader();
      return new Promise<void>(r => { this.release = r; });
    });
    this.post({ type: "join" });
  }

  private closed = false;

  static available(): boolean {
    const g = globalThis as any;
    return typeof g.BroadcastChannel === "function" && !!g.navigator?.locks;
  }

  /** A command of this tab: to the socket if leading, else to the leader. */
  command(m: Msg): void {
    if (this.leader) this.hooks.send(m);
    else this.post({ type: "cmd", m });
  }

  /** Leader: a frame from the socket that is another tab's. Returns false if it is nobody's here. */
  forward(f: Frame): boolean {
    const r = f.sub ? this.remote.get(f.sub) : undefined;
    if (!r) return false;
    const sub = f.sub!;
    if (f.eid) r.eid = f.eid;
    let refused = false;
    if (f.op === "error" && r.unanswered) {
      // its subscribe was refused: kept and re-sent later if the reason passes, else forgotten
      r.unanswered = false;
      refused = !this.hooks.retry(sub, f.code, !!r.eid, () => this.resend(sub));
      if (refused) this.remote.delete(sub);
    } else if (f.op === "closed" && f.cause !== "shutdown") {
      this.remote.delete(sub);
    } else if (f.op !== "error") {
      r.unanswered = false;
    }
    this.post({ type: "frame", f });
    // The copy re-sent after a reconnect may carry a reanchor the other tab never saw answered,
    // and that tab takes the error for its reanchor's: without a word it would stay "live" with
    // no subscription on the server. It subscribes again, or ends, by its own state.
    if (refused) this.post({ type: "refused", sub });
    return true;
  }

  private resend(sub: string): void {
    const r = this.remote.get(sub);
    if (r) r.unanswered = this.hooks.send(r.eid ? { ...r.msg, resume: r.eid } : r.msg);
  }

  /**
   * Not leading: this tab's subscription `sub` has `query` after all (its reanchor failed, the
   * server kept the window), so the leader's copy, which it re-sends on a reconnect, must too.
   */
  restored(sub: string, query: Query): void {
    if (!this.leader) this.post({ type: "query", sub, query });
  }

  /** Leader: the other tabs' subscriptions, for a (re)connect (which sends them). */
  remoteSubscribes(): Msg[] {
    return [...this.remote.values()].map(r => {
      r.unanswered = true;
      return r.eid ? { ...r.msg, resume: r.eid } : r.msg;
    });
  }

  /** Leader: its connection state, mirrored by the other tabs. */
  announce(s: string, detail?: string): void {
    if (this.leader) this.post({ type: "state", s, detail });
  }

  owns(sub: string | undefined): boolean {
    return !!sub && sub.startsWith(this.tab + ":");
  }

  /** Gives up the lock (or the wait for it: a closed link never leads), the channel and the probes. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.leader = false;
    if (this.prober !== null) this.timers.clearTimeout(this.prober);
    this.prober = null;
    this.release?.();
    this.channel.close();
  }

  /** Nothing once closed: the channel would throw (and the other tabs hear from the next leader). */
  private post(m: Msg): void { if (!this.closed) this.channel.postMessage({ ...m, from: this.tab }); }

  /**
   * Leader, every {@link PROBE_MS}: the subscriptions of a tab that answered none of the last
   * {@link MISSED_PROBES} probes (a tab that crashed or was killed without pagehide) are dropped and
   * unsubscribed on the server; else they would be re-sent on every reconnect and count against the
   * connection's quota for good. The other tabs answer from their message handler, which a
   * background tab runs promptly (its timers may be throttled to once a minute); a leader whose own
   * timer runs late only probes less often, and drops nobody for it.
   */
  private probe(): void {
    if (this.closed) return;
    this.round++;
    const gone = new Set<string>();
    for (const sub of [...this.remote.keys()]) {
      const tab = tabOf(sub);
      if ((this.seen.get(tab) ?? -Infinity) >= this.round - MISSED_PROBES) continue;
      gone.add(tab);
      this.remote.delete(sub);
      this.hooks.cancel(sub);
      this.hooks.send({ action: "unsubscribe", sub });
    }
    for (const tab of gone) this.dropTab(tab);
    // tabs without subscriptions here need no watching
    for (const tab of this.seen.keys()) if (![...this.remote.keys()].some(sub => tabOf(sub) === tab)) this.seen.delete(tab);
    this.post({ type: "probe" });
    this.prober = this.timers.setTimeout(() => this.probe(), PROBE_MS);
  }

  private dropTab(tab: string): void {
    this.seen.delete(tab);
    this.dropped.add(tab);
    if (this.dropped.size > DROPPED_KEPT) this.dropped.delete(this.dropped.values().next().value!);
  }

  /** Leader: `tab` spoke. If its subscriptions were dropped as gone, it is told to send them again. */
  private heard(tab: unknown): void {
    if (typeof tab !== "string" || tab === this.tab) return;
    if (this.dropped.delete(tab)) this.post({ type: "resubscribe", tab });
    this.seen.set(tab, this.round);
  }

  private onMessage(d: any): void {
    if (this.leader) this.heard(d.from);
    switch (d.type) {
      case "probe": if (!this.leader) this.post({ type: "alive" }); break;
      case "resubscribe": if (this.fromLeader(d) && d.tab === this.tab) this.hooks.resubscribe(); break;
      case "cmd": if (this.leader) this.leaderCommand(d.m); break;
      case "frame": if (this.fromLeader(d) && this.owns(d.f.sub)) this.hooks.frame(d.f); break;
      case "refused": if (this.fromLeader(d) && this.owns(d.sub)) this.hooks.refused(d.sub); break;
      case "state": if (this.fromLeader(d)) this.hooks.state(d.s, d.detail); break;
      case "hello":
        if (this.leader) break;
        this.leaderTab = d.from;
        this.hooks.resubscribe();
        break;
      case "join": if (this.leader) this.post({ type: "state", ...this.hooks.current() }); break;
      case "query": {
        const r = this.leader ? this.remote.get(d.sub) : undefined;
        if (r) r.msg = { ...r.msg, query: d.query };
        break;
      }
    }
  }

  /** Whether a leader's message `d` is from this tab's leader; false for any while this tab leads. */
  private fromLeader(d: { from?: unknown }): boolean {
    if (this.leader || typeof d.from !== "string") return false;
    this.leaderTab ??= d.from;
    return d.from === this.leaderTab;
  }

  private leaderCommand(m: Msg): void {
    const sub = m.sub as string;
    if (m.action === "subscribe") {
      this.hooks.cancel(sub); // sent now: a re-send due later would be a duplicate
      this.remote.set(sub, { msg: m as Remote["msg"], eid: m.resume as string | undefined, unanswered: this.hooks.send(m) });
      return;
    } else if (m.action === "reanchor") {
      const r = this.remote.get(sub);
      if (r) r.msg = { ...r.msg, query: reanchored(r.msg.query as Query, m as Reanchor) };
    } else if (m.action === "unsubscribe") {
      this.remote.delete(sub);
      this.hooks.cancel(sub);
    }
    this.hooks.send(m);
  }
}

/** The tab a sub name belongs to (sub names are `<tab>:s<n>`). */
function tabOf(sub: string): string {
  const i = sub.indexOf(":");
  return i < 0 ? "" : sub.slice(0, i);
}
