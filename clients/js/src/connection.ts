import type { ErrorFrame, Query } from "./types.js";

/** What a subscription needs from the connection it lives on. */
export interface Connection {
  /** Sends now if the socket is open; otherwise the next (re)subscribe carries the state. */
  send(msg: Record<string, unknown>): void;
  /** The subscription is over: do not re-send it after a reconnect. */
  forget(name: string): void;
  /**
   * Its subscribe was refused: true if for a passing reason (then the subscribe is re-sent after a
   * backoff), false if re-sending would fail the same way.
   */
  resendLater(name: string, error: ErrorFrame, resuming: boolean): boolean;
  /** The subscription `name` goes on under a new sub id, which this returns; `name` is nobody's. */
  renamed(name: string): string;
  /** A reanchor failed and the subscription has `query` after all (the server kept its window). */
  restored(name: string, query: Query<any>): void;
}

/**
 * An event handler property of a socket or EventSource class. Compared both ways, as a method's
 * parameters are: a class's handlers take its own fuller events (the DOM's MessageEvent, `ws`'s
 * CloseEvent), which a handler of only the fields the client reads would not accept under strict.
 */
export type EventHandler<E> = { bivariant(ev: E): unknown }["bivariant"];

/** The part of the WebSocket API the client uses: the browser's, Node 22's or the `ws` package's. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: EventHandler<unknown> | null;
  onmessage: EventHandler<{ data: unknown }> | null;
  onclose: EventHandler<{ code: number; reason?: string }> | null;
  onerror: EventHandler<unknown> | null;
}
export type SocketConstructor = new (url: string) => SocketLike;

/** Injectable clock and timers (fake ones in tests). */
export type Timers = {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
  now?(): number;
};

/** The `exp` and `iat` claims of a JWT in ms, or null when the token is not a JWT with an `exp`. */
export function tokenTimes(token: string): { exp: number; iat: number | null } | null {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
    const json = JSON.parse(atob(b64 + "===".slice((b64.length + 3) % 4)));
    if (typeof json.exp !== "number") return null;
    return { exp: json.exp * 1000, iat: typeof json.iat === "number" ? json.iat * 1000 : null };
  } catch {
    return null;
  }
}
