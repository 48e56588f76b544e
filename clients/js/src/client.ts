import { tokenTimes, type Connection, type SocketConstructor, type SocketLike, type Timers } from "./connection.js";
import { defaultStorage, persistKey, type KeyValueStorage, type PersistOptions } from "./persist.js";
import { Subscription, type SubscribeOptions } from "./subscription.js";
import { LiveQueryError, Table, type FetchLike } from "./table.js";
import type { ConnectionState, ErrorFrame, Frame, Handlers, Query, RowBase } from "./types.js";
import type { Scheduler } from "./window.js";
import { applyFrame } from "./apply.js";
import { TabLink } from "./shared.js";

/** Close codes after which reconnecting cannot help without a new token (PROTOCOL §4, §9). */
const POLICY = 1008;
const TOKEN_EXPIRED = 4001;
/** The reason of the 1008 that refuses the page's Origin (docs/protocol.md), which no token changes. */
const ORIGIN_REFUSED = "origin not allowed";
/** How far a token's `iat` may be ahead of this client's clock before the clock is taken to be wrong (the gateway's leeway). */
const CLOCK_SKEW = 30_000;
/** The longest delay a timer holds: a longer one overflows and fires after 1 ms. */
const MAX_TIMEOUT = 2 ** 31 - 1;

export type LiveQueryOptions = {
  /** the WebSocket class; default globalThis.WebSocket (pass `ws`'s in Node 20) */
  WebSocket?: SocketConstructor;
  timers?: Timers;
  /** a fixed token (PROTOCOL §9); after close 4001 the client stops */
  token?: string;
  /** called for every connect and before the token expires; after close 4001 or 1008, or a refused token, it reconnects with a new one */
  getToken?: () => string | Promise<string>;
  /**
   * how long a getToken call may take (default 10 s): one that has not settled by then counts as
   * failed (a connect is retried after the backoff, a refresh asks again while the token lasts),
   * and its answer, if it ever comes, is not used
   */
  getTokenTimeoutMs?: number;
  /** refresh this long before `exp` (default 60 s, at most half the token's remaining life) */
  refreshBeforeMs?: number;
  onState?: (state: ConnectionState, detail?: string) => void;
  /** every error frame (also those of a subscription, which its own onError hears too) */
  onError?: (error: ErrorFrame) => void;
  /** when to publish a batch of applied frames; default: the next animation frame, or a 0 ms timer */
  schedule?: Scheduler;
  /**
   * first and largest reconnect (and subscribe re-send) delay (default 250 ms, 10 s); each wait is
   * jittered ±50 % and then capped, so none is longer than `max`
   */
  backoff?: { base?: number; max?: number };
  /** client ping period (default 10 s): a quiet socket is pinged, and dropped if a period passes without a reply (PROTOCOL §4) */
  pingMs?: number;
  /** where online/offline events come from (default globalThis when it has addEventListener) */
  events?: { addEventListener(t: string, f: () => void): void; removeEventListener(t: string, f: () => void): void };
  /** the page's document, for visibilitychange (default globalThis.document) */
  document?: { hidden: boolean; addEventListener(t: string, f: () => void): void; removeEventListener(t: string, f: () => void): void };
  /** the HTTP API origin for {@link LiveQuery.table}; default derived from the WebSocket URL */
  httpUrl?: string;
  fetch?: FetchLike;
  random?: () => number;
  /** default storage for subscriptions that ask for `persist: true` */
  storage?: KeyValueStorage;
  /** one socket per browser: tabs of this origin share the leader tab's (Web Locks + BroadcastChannel) */
  shared?: boolean;
};

/**
 * One WebSocket with many subscriptions (PROTOCOL §4), reconnecting by itself and resuming every
 * subscription from the last eid it applied. Backoff grows on every failed or refused connection
 * and resets only when the server has served something (a ready or a pong), so a server that
 * accepts and then closes (4029, 1001 under load) is not hammered.
 */
export class LiveQuery implements Connection {
  readonly url: string;
  readonly options: LiveQueryOptions;
  state: ConnectionState = "connecting";
  /** successful opens: 1 + reconnects */
  connects = 0;
  stopped = false;
  /** why it stopped */
  private stoppedBy = "";
  /** the subscriptions by sub id (a Map: a frame naming `constructor` or `__proto__` finds nothing) */
  readonly subs = new Map<string, Subscription<any>>();
  ws: SocketLike | null = null;

  private next = 1;
  private backoff: number;
  private retry: unknown = null;
  private pinger: unknown = null;
  private refresher: unknown = null;
  private lastRx = 0;
  /** when the oldest unanswered ping went out; null once anything is heard */
  private pingedAt: number | null = null;
  private attempt = 0;
  private token: string | undefined;
  /** the timeouts of getToken calls under way */
  private readonly tokenTimers = new Set<unknown>();
  /** subscribes refused for a passing reason: the timer that re-sends each, and its tries so far */
  private readonly retries = new Map<string, { timer: unknown; tries: number }>();
  private readonly timers: Timers;
  /** set when tabs share one socket; null = this tab has its own */
  private link: TabLink | null = null;
  private readonly onOnline = () => this.reconnectNow();
  private readonly onVisible = () => { if (!this.doc()?.hidden) this.reconnectNow(); };
  // shared: a closing tab takes its subscriptions off the leader's socket; back from the bfcache, puts them back
  private readonly onPageHide = () => {
    for (const sub of [...this.subs.values()]) this.send({ action: "unsubscribe", sub: sub.name });
  };
  private readonly onPageShow = (ev: { persisted?: boolean }) => {
    if (ev.persisted) for (const sub of [...this.subs.values()]) this.send(sub.subscribeMessage());
  };

  /** Splices one frame into a window array: for EventSource users, who hold the rows themselves. */
  static apply = applyFrame;

  constructor(url: string, options: LiveQueryOptions = {}) {
    this.options = options;
    this.url = resolveWsUrl(url);
    this.timers = options.timers ?? globalThis;
    this.backoff = this.base();
    this.token = options.token;
    const ev = options.events ?? (typeof (globalThis as any).addEventListener === "function" ? (globalThis as any) : null);
    ev?.addEventListener("online", this.onOnline);
    this.doc()?.addEventListener("visibilitychange", this.onVisible);
    if (options.shared && TabLink.available()) {
      this.link = new TabLink(this.url, this.timers, {
        becomeLeader: () => { if (!this.stopped) this.connect(); },
        frame: f => this.dispatch(f),
        state: (s, d) => {
          if (s === "open") this.connects++;
          // the leader stopped for good (close() announces nothing) and keeps the lock: nobody will serve this tab
          if (s === "stopped") this.halt("the leader tab's connection stopped: " + d);
          else this.setState(s as ConnectionState, d);
        },
        resubscribe: () => { for (const s of [...this.subs.values()]) this.send(s.subscribeMessage()); },
        send: m => {
          if (!this.ws || this.ws.readyState !== 1) return false;
          this.ws.send(JSON.stringify(m));
          return true;
        },
        retry: (sub, code, resuming, again) => {
          if (this.stopped || !passing(code, resuming, !!this.options.getToken)) return false;
          this.later(sub, again);
          return true;
        },
        cancel: sub => this.cancelRetry(sub),
        refused: sub => { const s = this.subs.get(sub); if (s?.resubscribeIfIdle()) this.send(s.subscribeMessage()); },
        current: () => this.state,
      });
      (this.options.events ?? (globalThis as any)).addEventListener?.("pagehide", this.onPageHide);
      (this.options.events ?? (globalThis as any)).addEventListener?.("pageshow", this.onPageShow);
    } else {
      this.connect();
    }
  }

  /** A new subscription; throws a {@link LiveQueryError} with code `stopped` once the client is stopped. */
  subscribe<Row extends RowBase = RowBase>(query: Query<Row>, handlers?: Handlers<Row>, opts: SubscribeOptions = {}): Subscription<Row> {
    if (this.stopped) throw new LiveQueryError(0, "stopped", "this client is stopped (" + this.stoppedBy + "); make a new LiveQuery");
    const name = this.newName();
    const s = new Subscription<Row>(this, name, query, handlers, this.scheduler(), this.storageFor(query, opts.persist));
    this.subs.set(name, s);
    this.send(s.subscribeMessage());
    return s;
  }

  /** The HTTP API of one table (PROTOCOL §7), with optimistic updates to this client's windows. */
  table<Row extends RowBase = RowBase>(name: string): Table<Row> {
    return new Table<Row>(this.httpUrl(), name, this.options.fetch ?? globalThis.fetch.bind(globalThis),
      () => this.token, () => [...this.subs.values()].filter(s => s.query.table === name));
  }

  /** Closes the socket for good; every subscription ends (status `closed`). */
  close(): void {
    this.stopped = true;
    this.stoppedBy ||= "closed by the client";
    this.clearTimers();
    this.clearTokenTimers();
    this.unlisten();
    for (const s of [...this.subs.values()]) {
      if (this.link) this.send({ action: "unsubscribe", sub: s.name });
      s.stop(null);
    }
    this.subs.clear();
    this.link?.close();
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000, "bye");
    this.setState("stopped", "closed by the client");
  }

  /** Stopped: the page's events (online, visibilitychange, pagehide, pageshow) no longer hold this client. */
  private unlisten(): void {
    const ev = this.options.events ?? (typeof (globalThis as any).removeEventListener === "function" ? (globalThis as any) : null);
    ev?.removeEventListener("online", this.onOnline);
    this.doc()?.removeEventListener("visibilitychange", this.onVisible);
    if (this.link) {
      (this.options.events ?? (globalThis as any)).removeEventListener?.("pagehide", this.onPageHide);
      (this.options.events ?? (globalThis as any)).removeEventListener?.("pageshow", this.onPageShow);
    }
  }

  /** Drops the socket as a network failure would (for tests and demos); it reconnects and resumes. */
  drop(): void {
    this.ws?.close(4000, "dropped by client");
  }

  send(msg: Record<string, unknown>): void {
    if (this.link && !this.link.leader) return this.link.command(msg);
    if (this.ws && this.ws.readyState === 1) this.ws.send(JSON.stringify(msg));
  }

  forget(name: string): void {
    this.subs.delete(name);
    this.cancelRetry(name);
  }

  renamed(name: string): string {
    const s = this.subs.get(name);
    this.forget(name);
    const next = this.newName();
    if (s) this.subs.set(next, s);
    return next;
  }

  private newName(): string {
    return (this.link ? this.link.tab + ":s" : "s") + this.next++;
  }

  restored(name: string, query: Query<any>): void {
    this.link?.restored(name, query); // the leader's copy of this tab's subscription
  }

  resendLater(name: string, error: ErrorFrame, resuming: boolean): boolean {
    if (this.stopped || !passing(error.code, resuming, !!this.options.getToken)) return false;
    // in another tab's hands the leader re-sends it (it holds a copy of every tab's subscribes)
    if (!this.link || this.link.leader) this.later(name, () => {
      const s = this.subs.get(name);
      if (s) this.send(s.subscribeMessage());
    });
    return true;
  }

  /** Runs `again` after a backoff that grows with each try for `name` (until a ready for it). */
  private later(name: string, again: () => void): void {
    const r = this.retries.get(name) ?? { timer: null, tries: 0 };
    if (r.timer != null) this.timers.clearTimeout(r.timer);
    const wait = this.jittered(this.base() * 2 ** r.tries++);
    r.timer = this.timers.setTimeout(() => { r.timer = null; again(); }, wait);
    this.retries.set(name, r);
  }

  private cancelRetry(name: string): void {
    const r = this.retries.get(name);
    if (r?.timer != null) this.timers.clearTimeout(r.timer);
    this.retries.delete(name);
  }

  private connect(): void {
    if (this.stopped) return;
    this.retry = null;
    this.setState("connecting");
    const attempt = ++this.attempt;
    if (!this.options.getToken) return this.open(attempt);
    this.fetchToken().then(
      t => { this.token = t; if (attempt === this.attempt) this.open(attempt); },
      e => { if (attempt === this.attempt) this.closed(null, 0, "getToken failed: " + e); });
  }

  private open(attempt: number): void {
    if (this.stopped) return;
    const WS = this.options.WebSocket ?? (globalThis as any).WebSocket as SocketConstructor;
    const ws = new WS(this.url);
    this.ws = ws;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      this.connects++;
      this.lastRx = this.now();
      this.pingedAt = null;
      this.setState("open");
      // the token as the first message (PROTOCOL §9), so it stays out of URLs and logs
      if (this.token) ws.send(JSON.stringify({ action: "auth", token: this.token }));
      for (const s of [...this.subs.values()]) ws.send(JSON.stringify(s.subscribeMessage()));
      for (const m of this.link?.remoteSubscribes() ?? []) ws.send(JSON.stringify(m));
      this.schedulePing(ws);
      this.scheduleRefresh(ws);
    };
    ws.onmessage = ev => {
      if (ws !== this.ws) return;
      this.lastRx = this.now();
      this.pingedAt = null;
      this.receive(ws, JSON.parse(String(ev.data)) as Frame);
    };
    ws.onclose = ev => {
      if (ws === this.ws && attempt === this.attempt) this.closed(ws, ev.code, ev.code + (ev.reason ? " " + ev.reason : ""), ev.reason);
    };
    ws.onerror = () => { /* the close event follows and says what happened */ };
  }

  private receive(ws: SocketLike, f: Frame): void {
    if (f.op === "pong" || f.op === "ready") this.backoff = this.base(); // the server serves: a later drop retries fast
    if (f.op === "pong") return;
    if (f.op === "ready" && f.sub && this.retries.get(f.sub)?.timer == null) this.retries.delete(f.sub);
    if (!this.link?.forward(f)) this.dispatch(f);
    if (f.op === "error" && f.code === "unauthorized" && f.sub && this.options.getToken && ws === this.ws) {
      // the token was refused (expired since getToken gave it), and so will every command on this
      // socket be: a new one with a fresh token, after the backoff
      this.abandon(ws, "token refused");
    }
  }

  private dispatch(f: Frame): void {
    if (f.op === "error") this.options.onError?.(f);
    const s = f.sub ? this.subs.get(f.sub) : undefined;
    s?.receive(f);
  }

  private closed(ws: SocketLike | null, code: number, detail: string, reason?: string): void {
    if (ws) this.ws = null;
    this.clearTimers();
    if (this.stopped) return;
    if (((code === POLICY || code === TOKEN_EXPIRED) && !this.options.getToken) || (code === POLICY && reason === ORIGIN_REFUSED)) {
      // refused for want of a valid token and nobody can give another, or refused whatever the token: retrying would loop
      return this.halt(detail);
    }
    this.setState("closed", detail);
    const wait = this.jittered(this.backoff);
    this.backoff = Math.min(this.backoff * 2, this.max());
    this.retry = this.timers.setTimeout(() => this.connect(), wait);
  }

  /** Stops for good, not by close(): every subscription ends with error code `stopped`. */
  private halt(detail: string): void {
    this.stopped = true;
    this.stoppedBy = detail;
    this.clearTimers();
    this.clearTokenTimers();
    this.unlisten();
    for (const s of [...this.subs.values()]) {
      const e: ErrorFrame = { op: "error", sub: s.name, code: "stopped", message: "the connection stopped: " + detail };
      this.options.onError?.(e);
      s.stop(e);
    }
    this.subs.clear();
    this.setState("stopped", detail);
  }

  /** Back online or visible again: do not wait out the backoff. */
  private reconnectNow(): void {
    if (this.stopped) return;
    if (this.retry !== null) {
      this.timers.clearTimeout(this.retry);
      this.connect();
    } else if (this.ws && this.ws.readyState === 1) {
      // a socket that died while the tab slept shows it one ping period from now
      this.ping();
      if (this.pinger !== null) this.timers.clearTimeout(this.pinger);
      this.schedulePing(this.ws);
    }
  }

  private schedulePing(ws: SocketLike): void {
    const period = this.options.pingMs ?? 10_000;
    this.pinger = this.timers.setTimeout(() => {
      if (ws !== this.ws) return;
      // only a ping left unanswered means a dead socket: a tick that runs late (timers of a
      // background tab are throttled) may find a healthy one quiet for long
      if (this.pingedAt !== null && this.now() - this.pingedAt >= period) return this.abandon(ws, "no reply to ping");
      if (this.now() - this.lastRx >= period) this.ping();
      this.schedulePing(ws);
    }, period);
  }

  private ping(): void {
    this.pingedAt ??= this.now();
    this.send({ action: "ping" });
  }

  /** Gives up on a socket now (a close handshake could wait on a dead peer) and reconnects after the backoff. */
  private abandon(ws: SocketLike, why: string): void {
    this.ws = null;
    try { ws.close(4000, why); } catch { /* already closing */ }
    this.closed(null, 4000, why);
  }

  private scheduleRefresh(ws: SocketLike): void {
    const exp = this.token && this.options.getToken ? this.expiresAt(this.token) : null;
    if (exp === null) return;
    const left = exp - this.now();
    const margin = Math.min(this.options.refreshBeforeMs ?? 60_000, left / 2);
    this.refreshAt(ws, this.now() + Math.max(1000, left - margin), exp);
  }

  /**
   * When `token` expires by this client's clock: by `exp`, unless `iat` shows the clock is wrong
   * (issued in its future, or expired by it already); then by the token's lifetime from now, as if
   * just issued. A clock hours behind let the token lapse unrefreshed (close 4001); one ahead by more
   * than a lifetime refreshed it every second, asking getToken each time.
   */
  private expiresAt(token: string): number | null {
    const t = tokenTimes(token);
    if (!t) return null;
    const now = this.now();
    if (t.iat !== null && t.exp > t.iat && (t.iat - now > CLOCK_SKEW || now >= t.exp)) return now + (t.exp - t.iat);
    return t.exp;
  }

  /**
   * Refreshes the token at `at`; a wait longer than a timer holds is done in capped steps. A
   * getToken that fails is asked again (after at most the backoff's largest delay) while the token
   * in use lasts; past `exp` the close 4001 makes the reconnect ask.
   */
  private refreshAt(ws: SocketLike, at: number, exp: number): void {
    const wait = at - this.now();
    this.refresher = this.timers.setTimeout(() => {
      if (wait > MAX_TIMEOUT) return this.refreshAt(ws, at, exp);
      this.fetchToken().then(t => {
        if (ws !== this.ws) return;
        this.token = t;
        this.send({ action: "auth", token: t });
        this.scheduleRefresh(ws);
      }, () => {
        if (ws !== this.ws) return;
        const next = this.now() + Math.max(1000, Math.min(this.max(), (exp - this.now()) / 4));
        if (next < exp) this.refreshAt(ws, next, exp);
      });
    }, Math.min(wait, MAX_TIMEOUT));
  }

  /**
   * getToken's answer, or a rejection once it has taken longer than `getTokenTimeoutMs`: one that
   * never settles left the client `connecting` for good. A late answer is dropped.
   */
  private fetchToken(): Promise<string> {
    const ms = this.options.getTokenTimeoutMs ?? 10_000;
    return new Promise<string>((ok, fail) => {
      let timer: unknown = null;
      const done = () => { if (timer !== null) { this.timers.clearTimeout(timer); this.tokenTimers.delete(timer); timer = null; } };
      timer = this.timers.setTimeout(() => {
        this.tokenTimers.delete(timer);
        timer = null;
        fail(new Error("no answer within " + ms + " ms"));
      }, Math.min(ms, MAX_TIMEOUT));
      this.tokenTimers.add(timer);
      Promise.resolve().then(() => this.options.getToken!()).then(t => { done(); ok(t); }, e => { done(); fail(e); });
    });
  }

  private clearTimers(): void {
    for (const t of [this.retry, this.pinger, this.refresher]) if (t !== null) this.timers.clearTimeout(t);
    this.retry = this.pinger = this.refresher = null;
    // a new socket re-sends every subscription anyway
    for (const r of this.retries.values()) if (r.timer != null) this.timers.clearTimeout(r.timer);
    this.retries.clear();
  }

  /** Stopped: no getToken timeout is left to fire (a pending promise settles no more; nothing awaits it). */
  private clearTokenTimers(): void {
    for (const t of this.tokenTimers) this.timers.clearTimeout(t);
    this.tokenTimers.clear();
  }

  private setState(s: ConnectionState, detail?: string): void {
    this.state = s;
    this.link?.announce(s, detail);
    this.options.onState?.(s, detail);
  }

  private scheduler(): Scheduler {
    if (this.options.schedule) return this.options.schedule;
    if (this.options.timers) return fn => { this.timers.setTimeout(fn, 0); };
    const g = globalThis as any;
    return animationFrames(g.requestAnimationFrame ? (fn: () => void) => g.requestAnimationFrame(fn) : null, this.doc(), this.timers);
  }

  private storageFor(query: Query<any>, persist: PersistOptions | boolean | undefined) {
    if (!persist) return null;
    const p: PersistOptions = persist === true ? {} : persist;
    const storage = p.storage ?? this.options.storage ?? defaultStorage();
    return storage ? { storage, key: p.key ?? persistKey(this.url, query) } : null;
  }

  private httpUrl(): string {
    if (this.options.httpUrl) return this.options.httpUrl.replace(/\/$/, "");
    const u = new URL(this.url);
    u.protocol = u.protocol === "wss:" ? "https:" : "http:";
    return u.origin + u.pathname.replace(/\/v1\/ws\/?$/, "").replace(/\/$/, "");
  }

  /** `delay` jittered ±50 %, then capped: `backoff.max` is the longest wait, jitter included. */
  private jittered(delay: number): number {
    return Math.min(delay * (0.5 + (this.options.random ?? Math.random)()), this.max());
  }

  private doc() { return this.options.document ?? (globalThis as any).document; }
  private now(): number { return this.timers.now ? this.timers.now() : Date.now(); }
  private base(): number { return this.options.backoff?.base ?? 250; }
  private max(): number { return this.options.backoff?.max ?? 10_000; }
}

/** How long a batch waits for an animation frame before a timer publishes it. */
const FRAME_WAIT = 100;

/**
 * The default {@link Scheduler}: once per animation frame in a visible tab. A hidden tab gets no
 * animation frames, so there a timer; and a tab hidden after asking for one may not get it until
 * shown again, so a timer publishes the batch if no frame came within {@link FRAME_WAIT} ms.
 */
export function animationFrames(raf: ((fn: () => void) => void) | null, doc: { hidden: boolean } | undefined,
    timers: Timers): Scheduler {
  return fn => {
    if (!raf || doc?.hidden) { timers.setTimeout(fn, 16); return; }
    let done = false;
    const once = () => { if (!done) { done = true; timers.clearTimeout(fallback); fn(); } };
    const fallback = timers.setTimeout(once, FRAME_WAIT);
    raf(once);
  };
}

/**
 * Whether a refused subscribe may pass if re-sent: the backend was unavailable; a quota still
 * counted the subscriptions of the connection just lost (only a resubscribe, else the quota is
 * real); the token was refused and getToken can give another (PROTOCOL §9).
 */
function passing(code: string, resuming: boolean, canRenewToken: boolean): boolean {
  return code === "unavailable" || (code === "too_many_subs" && resuming) || (code === "unauthorized" && canRenewToken);
}

/** Absolute ws(s) URL: relative URLs resolve against the page. */
function resolveWsUrl(url: string): string {
  const loc = (globalThis as any).location?.href as string | undefined;
  const u = loc ? new URL(url, loc) : new URL(url);
  if (u.protocol === "http:") u.protocol = "ws:";
  if (u.protocol === "https:") u.protocol = "wss:";
  return u.href;
}
