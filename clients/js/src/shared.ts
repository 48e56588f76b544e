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

/**
 * One socket per browser instead of one per tab (opt-in `shared`): the tab holding a Web Lock is
 * the leader and runs the real connection; the others send their commands to it over a
 * BroadcastChannel and get their frames back the same way. Sub names carry a tab id, so they never
 * collide on the shared socket. When the leader goes, the lock passes to another tab, which says
 * `hello`; every tab then re-sends its subscriptions with the eid it last applied, so the hand-off
 * resumes without a reset. The leader alone re-sends the subscribes it holds: after its reconnects,
 * and after a backoff when one is refused for a passing reason.
 */
export class TabLink {
  readonly tab = Math.random().toString(36).slice(2, 10);
  leader = false;
  private readonly channel: ChannelLike;
  private readonly remote = new Map<string, Remote>();
  private release: (() => void) | null = null;

  constructor(name: string, private readonly hooks: {
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
    /** the leader's connection state, for a tab that joins */
    current(): string;
  }) {
    const g = globalThis as any;
    this.channel = new g.BroadcastChannel("livequery:" + name);
    this.channel.onmessage = ev => this.onMessage(ev.data);
    (g.navigator.locks as LocksLike).request("livequery:" + name, () => {
      if (this.closed) return Promise.resolve();
      this.leader = true;
      this.post({ type: "hello" });
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

  close(): void {
    this.closed = true;
    this.release?.();
    this.channel.close();
  }

  /** Nothing once closed: the channel would throw (and the other tabs hear from the next leader). */
  private post(m: unknown): void { if (!this.closed) this.channel.postMessage(m); }

  private onMessage(d: any): void {
    switch (d.type) {
      case "cmd": if (this.leader) this.leaderCommand(d.m); break;
      case "frame": if (this.owns(d.f.sub)) this.hooks.frame(d.f); break;
      case "refused": if (this.owns(d.sub)) this.hooks.refused(d.sub); break;
      case "state": if (!this.leader) this.hooks.state(d.s, d.detail); break;
      case "hello": if (!this.leader) this.hooks.resubscribe(); break;
      case "join": if (this.leader) this.post({ type: "state", s: this.hooks.current() }); break;
      case "query": {
        const r = this.leader ? this.remote.get(d.sub) : undefined;
        if (r) r.msg = { ...r.msg, query: d.query };
        break;
      }
    }
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
