import type { Timers } from "./connection.js";

/**
 * Subscribes refused for a passing reason, each re-sent after a backoff that grows with its tries
 * until a ready answers it. At most one re-send per sub is due at a time: a newer one replaces it.
 * A new socket re-sends every subscription anyway, so the connection clears them all when its
 * socket goes.
 */
export class SubscribeRetries {
  /** by sub: the timer of the re-send due, and the tries so far */
  private readonly bySub = new Map<string, { timer: unknown; tries: number }>();

  /** `wait(tries)`: the delay before the re-send that follows `tries` earlier ones. */
  constructor(private readonly timers: Timers, private readonly wait: (tries: number) => number) {}

  /** Runs `again` after the backoff for `sub`'s next try. */
  later(sub: string, again: () => void): void {
    const r = this.bySub.get(sub) ?? { timer: null, tries: 0 };
    if (r.timer != null) this.timers.clearTimeout(r.timer);
    r.timer = this.timers.setTimeout(() => { r.timer = null; again(); }, this.wait(r.tries++));
    this.bySub.set(sub, r);
  }

  /**
   * A ready for `sub`: its next refusal waits the first backoff again. Not while a re-send is due:
   * that ready does not answer the re-send, and the tries go on counting.
   */
  answered(sub: string): void {
    if (this.bySub.get(sub)?.timer == null) this.bySub.delete(sub);
  }

  /** `sub` ended, or was sent again by other means: no re-send is due. */
  cancel(sub: string): void {
    const r = this.bySub.get(sub);
    if (r?.timer != null) this.timers.clearTimeout(r.timer);
    this.bySub.delete(sub);
  }

  clear(): void {
    for (const r of this.bySub.values()) if (r.timer != null) this.timers.clearTimeout(r.timer);
    this.bySub.clear();
  }
}

/**
 * Whether a refused subscribe may pass if re-sent: the backend was unavailable; a quota still
 * counted the subscriptions of the connection just lost (only a resubscribe, else the quota is
 * real); the token was refused and getToken can give another (PROTOCOL §9).
 */
export function passing(code: string, resuming: boolean, canRenewToken: boolean): boolean {
  return code === "unavailable" || (code === "too_many_subs" && resuming) || (code === "unauthorized" && canRenewToken);
}
