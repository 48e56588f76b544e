// Test doubles for the client's injectables: a WebSocket whose server side the test plays, and a
// clock whose timers run only when the test advances it.

/** Fake timers: nothing runs until advance(ms) / runNext(); now() is the fake clock. */
export class FakeTimers {
  t = 0;
  seq = 0;
  queue = new Map(); // id -> {at, fn}
  // a delay past 2^31-1 ms overflows and fires after 1 ms, as in Node and browsers
  setTimeout = (fn, ms) => { const id = ++this.seq; this.queue.set(id, { at: this.t + (ms > 2 ** 31 - 1 ? 1 : Math.max(0, ms)), fn }); return id; };
  clearTimeout = id => { this.queue.delete(id); };
  now = () => this.t;
  /** Runs every timer due within `ms`, in time order, moving the clock. */
  advance(ms) {
    const end = this.t + ms;
    for (;;) {
      let next = null;
      for (const [id, x] of this.queue) if (x.at <= end && (!next || x.at < next[1].at || (x.at === next[1].at && id < next[0]))) next = [id, x];
      if (!next) break;
      this.queue.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
  /** Runs the next timer `late` ms after it was due, as a throttled background tab does. */
  runLate(late) {
    let next = null;
    for (const [id, x] of this.queue) if (!next || x.at < next[1].at || (x.at === next[1].at && id < next[0])) next = [id, x];
    this.queue.delete(next[0]);
    this.t = Math.max(this.t, next[1].at + late);
    next[1].fn();
  }
  /** Delays of the pending timers, from now. */
  pending() { return [...this.queue.values()].map(x => x.at - this.t).sort((a, b) => a - b); }
}

/** A fake WebSocket class; every instance is recorded in `sockets`. */
export function fakeSocketClass() {
  const sockets = [];
  class FakeSocket {
    readyState = 0;
    sent = [];
    onopen = null; onmessage = null; onclose = null; onerror = null;
    constructor(url) { this.url = url; sockets.push(this); }
    send(data) { if (this.readyState !== 1) throw new Error("send on a socket that is not open"); this.sent.push(JSON.parse(data)); }
    close(code = 1000, reason = "") { if (this.readyState >= 2) return; this.readyState = 3; this.closedWith = code; this.onclose?.({ code, reason }); }
    // the server's side
    open() { this.readyState = 1; this.onopen?.({}); }
    frame(f) { this.onmessage?.({ data: JSON.stringify(f) }); }
    serverClose(code, reason = "") { this.readyState = 3; this.onclose?.({ code, reason }); }
    sentOf(action) { return this.sent.filter(m => m.action === action); }
  }
  return { FakeSocket, sockets };
}

/** A window of n rows as the server would send it after a reset. */
export function snapshotFrames(sub, n, { eidPrefix = "e", start = 0 } = {}) {
  const frames = [{ op: "reset", sub, cause: "subscribe", epoch: 1 }];
  for (let i = 0; i < n; i++) {
    const id = "r" + (start + i);
    frames.push({ op: "enter", sub, id, version: 1, row: { id, n: start + i }, cursor: "c" + (start + i), new_index: i, eid: eidPrefix + (i + 1) });
  }
  frames.push({ op: "ready", sub, has_more_before: false, has_more_after: true, resumed: false, eid: eidPrefix + "r" });
  return frames;
}

export class MemoryStorage {
  map = new Map();
  getItem(k) { return this.map.has(k) ? this.map.get(k) : null; }
  setItem(k, v) { this.map.set(k, String(v)); }
  removeItem(k) { this.map.delete(k); }
}

export function fakeJwt(claims) {
  const b64 = o => Buffer.from(JSON.stringify(o)).toString("base64url");
  return b64({ alg: "HS256", typ: "JWT" }) + "." + b64(claims) + ".sig";
}
