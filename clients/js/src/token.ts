import { tokenTimes, type Timers } from "./connection.js";
import type { LiveQueryOptions } from "./client.js";

/** How far a token's `iat` may be ahead of this client's clock before the clock is taken to be wrong (the gateway's leeway). */
const CLOCK_SKEW = 30_000;
/** The longest delay a timer holds: a longer one overflows and fires after 1 ms. */
const MAX_TIMEOUT = 2 ** 31 - 1;

type TokenOptions = Pick<LiveQueryOptions, "token" | "getToken" | "getTokenTimeoutMs" | "refreshBeforeMs">;

/**
 * The client's token (PROTOCOL §9): a fixed one, or getToken's answer, asked for with a time
 * limit and asked for again before it expires while the socket it was sent on lasts. A refresh that
 * fails is retried while the token in use lasts; past `exp` the server's close 4001 makes the
 * reconnect ask. Only the refresh timer and getToken's time limits are held here: the connection
 * cancels the refresh with its other timers when its socket goes. HTTP calls take the token from
 * here too ({@link forHttp}), also in a tab that never connects (a shared socket's other tabs).
 */
export class TokenKeeper {
  /** the token the next connect or refresh sends: the last one getToken gave */
  token: string | undefined;
  /** when {@link token} expires by this client's clock, taken when it came; null: not known to */
  private until: number | null;
  private refresher: unknown = null;
  /** the getToken calls under way: each one's timeout and how to fail it */
  private readonly asking = new Map<unknown, (e: Error) => void>();
  /** the getToken call under way: a connect, a refresh and HTTP calls meanwhile all take its answer */
  private asked: Promise<string> | null = null;

  /** `longestWait`: the backoff's largest delay, which also bounds the wait before a failed refresh is retried. */
  constructor(private readonly options: TokenOptions, private readonly timers: Timers, private readonly now: () => number,
      private readonly longestWait: () => number) {
    this.token = options.token;
    this.until = this.token ? this.expiresAt(this.token) : null;
  }

  /**
   * The token for an HTTP call: without getToken the fixed one; with it the one held until it
   * expires, else getToken's answer (rejects as {@link fetch} does). Only a connect asked before,
   * so a tab that did not connect (or not yet: the first answer is awaited) sent none and got 401.
   */
  forHttp(): Promise<string | undefined> {
    if (!this.options.getToken) return Promise.resolve(this.token);
    if (this.token && (this.until === null || this.now() < this.until)) return Promise.resolve(this.token);
    return this.fetch();
  }

  /**
   * getToken's answer, kept as {@link token}, or a rejection once it has taken longer than
   * `getTokenTimeoutMs`: one that never settles left the client `connecting` for good. A late
   * answer is dropped. A call under way is not asked again.
   */
  fetch(): Promise<string> {
    if (this.asked) return this.asked;
    const asked: Promise<string> = this.ask().then(t => {
      if (this.asked === asked) {
        this.token = t;
        // by the clock now, when the token is fresh: expiresAt reads a wrong clock right only then
        this.until = this.expiresAt(t);
      }
      return t;
    }).finally(() => { if (this.asked === asked) this.asked = null; });
    this.asked = asked;
    return asked;
  }

  private ask(): Promise<string> {
    const ms = this.options.getTokenTimeoutMs ?? 10_000;
    return new Promise<string>((ok, fail) => {
      let timer: unknown = null;
      const done = () => { if (timer !== null) { this.timers.clearTimeout(timer); this.asking.delete(timer); timer = null; } };
      timer = this.timers.setTimeout(() => {
        this.asking.delete(timer);
        timer = null;
        fail(new Error("no answer within " + ms + " ms"));
      }, Math.min(ms, MAX_TIMEOUT));
      this.asking.set(timer, fail);
      Promise.resolve().then(() => this.options.getToken!()).then(t => { done(); ok(t); }, e => { done(); fail(e); });
    });
  }

  /**
   * A socket opened with {@link token}: with getToken and a JWT, a new token is fetched before this
   * one expires and handed to `use` while `current()` (the socket is still the connection's) holds.
   */
  refreshWhile(current: () => boolean, use: (token: string) => void): void {
    const exp = this.token && this.options.getToken ? this.expiresAt(this.token) : null;
    if (exp === null) return;
    const left = exp - this.now();
    const margin = Math.min(this.options.refreshBeforeMs ?? 60_000, left / 2);
    this.refreshAt(this.now() + Math.max(1000, left - margin), exp, current, use);
  }

  /** The socket went: no refresh for it. */
  cancelRefresh(): void {
    if (this.refresher !== null) this.timers.clearTimeout(this.refresher);
    this.refresher = null;
  }

  /**
   * Stopped: no getToken timeout is left to fire, and what waits for a getToken under way (an HTTP
   * call) fails now rather than when, or if ever, getToken answers. A call after this asks anew.
   */
  stop(): void {
    this.cancelRefresh();
    const waiting = [...this.asking];
    this.asking.clear();
    this.asked = null;
    for (const [t, fail] of waiting) {
      this.timers.clearTimeout(t);
      fail(new Error("the client stopped before getToken answered"));
    }
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

  /** Refreshes the token at `at`; a wait longer than a timer holds is done in capped steps. */
  private refreshAt(at: number, exp: number, current: () => boolean, use: (token: string) => void): void {
    const wait = at - this.now();
    this.refresher = this.timers.setTimeout(() => {
      if (wait > MAX_TIMEOUT) return this.refreshAt(at, exp, current, use);
      this.fetch().then(t => {
        if (!current()) return;
        use(t);
        this.refreshWhile(current, use);
      }, () => {
        if (!current()) return;
        const next = this.now() + Math.max(1000, Math.min(this.longestWait(), (exp - this.now()) / 4));
        if (next < exp) this.refreshAt(next, exp, current, use);
      });
    }, Math.min(wait, MAX_TIMEOUT));
  }
}
