import { type Connection, type SocketConstructor, type SocketLike, type Timers } from "./connection.js";
import { defaultStorage, persistKey, type KeyValueStorage, type PersistOptions } from "./persist.js";
import { Subscription, type SubscribeOptions } from "./subscription.js";
import { LiveQueryError, Table, type FetchLike } from "./table.js";
import type { ConnectionState, ErrorFrame, Frame, Handlers, Query, RowBase } from "./types.js";
import type { Scheduler } from "./window.js";
import { applyFrame } from "./apply.js";
import { TabLink } from "./shared.js";
import { passing, SubscribeRetries } from "./retries.js";
import { animationFrames } from "./scheduler.js";
import { listenToPage, type PageEvents } from "./page.js";
import { TokenKeeper } from "./token.js";

/** Close codes after which reconnecting cannot help without a new token (PROTOCOL §4, §9). */
const POLICY = 1008;
const TOKEN_EXPIRED = 4001;
/** The reason of the 1008 that refuses the page's Origin (docs/protocol.md), which no token changes. */
const ORIGIN_REFUSED = "origin not allowed";

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
  /** how long a socket may take to open (default 10 s): one still opening then is closed, and the connect retried after the backoff */
  connectTimeoutMs?: number;
  /** where the online, pagehide and pageshow events come from (default globalThis when it has addEventListener) */
  events?: PageEvents;
  /** the page's document, for visibilitychange (default globalThis.document) */
  document?: PageEvents & { hidden: boolean };
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
  /** the detail of the last state, for a tab that joins */
  private detail: string | undefined;
  /** the subscriptions by sub id (a Map: a frame naming `constructor` or `__proto__` finds nothing) */
  readonly subs = new Map<string, Subscription<any>>();
  ws: SocketLike | null = null;

  private next = 1;
  private backoff: number;
  private retry: unknown = null;
  /** the socket's watchdog: its open deadline, then its pings */
  private pinger: unknown = null;
  private lastRx = 0;
  /** when the oldest unanswered ping went out; null once anything is heard */
  private pingedAt: number | null = null;
  private attempt = 0;
  private readonly tokens: TokenKeeper;
  /** subscribes refused for a passing reason, re-sent after a backoff */
  private readonly retries: SubscribeRetries;
  private readonly timers: Timers;
  /** set when tabs share one socket; null = this tab has its own */
  private link: TabLink | null = null;
  /** Stopped: the page's events (online, visibilitychange, pagehide, pageshow) no longer hold this client. */
  private readonly unlisten: () => void;

  /** Splices one frame into a window array: for EventSource users, who hold the rows themselves. */
  static apply = applyFrame;

  constructor(url: string, options: LiveQueryOptions = {}) {
    this.options = options;
    this.url = resolveWsUrl(url);
    this.timers = options.timers ?? globalThis;
    this.backoff = this.base();
    this.tokens = new TokenKeeper(options, this.timers, () => this.now(), () => this.max());
    this.retries = new SubscribeRetries(this.timers, tries => this.jittered(this.base() * 2 ** tries));
    if (options.shared && TabLink.available()) {
      this.link = new TabLink(this.url, this.timers, {
        becomeLeader: () => { if (!this.stopped) this.connect(); },
        frame: f => this.dispatch(f),
        state: (s, d) => {
          if (s === "open") this.connects++;
          // the leader stopped for good (close() announces nothing): its token or the page's Origin
          // was refused, as this tab's would be; a new LiveQuery of any tab can lead
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
          this.retries.later(sub, again);
          return true;
        },
        cancel: sub => this.retries.cancel(sub),
        refused: sub => { const s = this.subs.get(sub); if (s?.resubscribeIfIdle()) this.send(s.subscribeMessage()); },
        current: () => ({ s: this.state, detail: this.detail }),
      });
    }
    const page = options.events ?? (typeof (globalThis as any).addEventListener === "function" ? (globalThis as any) : null);
    this.unlisten = listenToPage(page, this.doc(), this.link ? {
      wake: () => this.reconnectNow(),
      hide: () => { for (const sub of [...this.subs.values()]) this.send({ action: "unsubscribe", sub: sub.name }); },
      show: persisted => { if (persisted) for (const sub of [...this.subs.values()]) this.send(sub.subscribeMessage()); },
    } : { wake: () => this.reconnectNow() });
    if (!this.link) this.connect();
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

  /**
   * The HTTP API of one table (PROTOCOL §7), with optimistic updates to this client's windows. Its
   * calls send the token: with getToken, the last one it gave while that lasts, else a new answer
   * (in every tab, also one whose socket is another tab's); a getToken that fails fails the call.
   */
  table<Row extends RowBase = RowBase>(name: string): Table<Row> {
    return new Table<Row>(this.httpUrl(), name, this.options.fetch ?? globalThis.fetch.bind(globalThis),
      () => this.tokens.forHttp(), () => [...this.subs.values()].filter(s => s.query.table === name));
  }

  /** Closes the socket for good; every subscription ends (status `closed`). */
  close(): void {
    this.stopped = true;
    this.stoppedBy ||= "closed by the client";
    this.clearTimers();
    this.tokens.stop();
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
    this.retries.cancel(name);
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
    if (!this.link || this.link.leader) this.retries.later(name, () => {
      const s = this.subs.get(name);
      if (s) this.send(s.subscribeMessage());
    });
    return true;
  }

  private connect(): void {
    if (this.stopped) return;
    this.retry = null;
    this.setState("connecting");
    const attempt = ++this.attempt;
    if (!this.options.getToken) return this.open(attempt);
    this.tokens.fetch().then(
      () => { if (attempt === this.attempt) this.open(attempt); },
      e => { if (attempt === this.attempt) this.closed(null, 0, "getToken failed: " + e); });
  }

  private open(attempt: number): void {
    if (this.stopped) return;
    const WS = this.options.WebSocket ?? (globalThis as any).WebSocket as SocketConstructor | undefined;
    if (!WS) throw new TypeError("LiveQuery: no WebSocket class here (Node 20 has none): pass one as options.WebSocket, e.g. the ws package's");
    const ws = new WS(this.url);
    this.ws = ws;
    // a socket whose opening hangs (a black-holed SYN, a network gone) would wait for the OS for minutes
    this.pinger = this.timers.setTimeout(() => {
      if (ws === this.ws && ws.readyState === 0) this.abandon(ws, "not open in time");
    }, this.options.connectTimeoutMs ?? 10_000);
    ws.onopen = () => {
      if (ws !== this.ws) return;
      if (this.pinger !== null) this.timers.clearTimeout(this.pinger);
      this.connects++;
      this.lastRx = this.now();
      this.pingedAt = null;
      this.setState("open");
      // the token as the first message (PROTOCOL §9), so it stays out of URLs and logs
      if (this.tokens.token) ws.send(JSON.stringify({ action: "auth", token: this.tokens.token }));
      for (const s of [...this.subs.values()]) ws.send(JSON.stringify(s.subscribeMessage()));
      for (const m of this.link?.remoteSubscribes() ?? []) ws.send(JSON.stringify(m));
      this.schedulePing(ws);
      this.tokens.refreshWhile(() => ws === this.ws, token => this.send({ action: "auth", token }));
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
    if (f.op === "ready" && f.sub) this.retries.answered(f.sub);
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

  /** Stops for good, not by close(): every subscription ends with error code `stopped`, and a shared link is given up. */
  private halt(detail: string): void {
    this.stopped = true;
    this.stoppedBy = detail;
    this.clearTimers();
    this.tokens.stop();
    this.unlisten();
    for (const s of [...this.subs.values()]) {
      const e: ErrorFrame = { op: "error", sub: s.name, code: "stopped", message: "the connection stopped: " + detail };
      this.options.onError?.(e);
      s.stop(e);
    }
    this.subs.clear();
    this.setState("stopped", detail);
    // leading, it would keep the lock and answer every later LiveQuery of this browser "stopped";
    // not, it would take the lock when the leader goes, and never connect
    this.link?.close();
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

  private clearTimers(): void {
    for (const t of [this.retry, this.pinger]) if (t !== null) this.timers.clearTimeout(t);
    this.retry = this.pinger = null;
    this.tokens.cancelRefresh();
    // a new socket re-sends every subscription anyway
    this.retries.clear();
  }

  private setState(s: ConnectionState, detail?: string): void {
    this.state = s;
    this.detail = detail;
    // the socket (this tab's or the leader tab's) is gone: no window is in sync until its resume's ready
    if (s === "closed") for (const sub of this.subs.values()) sub.disconnected();
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

/** Absolute ws(s) URL: relative URLs resolve against the page. */
function resolveWsUrl(url: string): string {
  const loc = (globalThis as any).location?.href as string | undefined;
  const u = loc ? new URL(url, loc) : new URL(url);
  if (u.protocol === "http:") u.protocol = "ws:";
  if (u.protocol === "https:") u.protocol = "wss:";
  return u.href;
}
