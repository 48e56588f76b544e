import type { ErrorFrame, Handlers, Query, Reanchor, RowBase, Frame } from "./types.js";
import type { EventHandler } from "./connection.js";
import { LiveWindow, reanchored, type Scheduler } from "./window.js";

/** The part of the EventSource API the client uses: the browser's or the `eventsource` package's. */
export interface EventSourceLike {
  onmessage: EventHandler<{ data: string; lastEventId?: string }> | null;
  onopen: EventHandler<unknown> | null;
  /** the `eventsource` package's event has `code` and `message`: the HTTP status and why (browsers say nothing) */
  onerror: EventHandler<unknown> | null;
  readonly readyState: number;
  close(): void;
}
/** EventSource.CLOSED: it gave up and will not reconnect. */
const CLOSED = 2;

export type EventSourceConstructor = new (url: string) => EventSourceLike;

export type EventSourceOptions = {
  /** the EventSource class; default globalThis.EventSource (pass the `eventsource` package's in Node) */
  EventSource?: EventSourceConstructor;
  schedule?: Scheduler;
};

/**
 * A live window over Server-Sent Events (PROTOCOL §5) with the same shape as a WebSocket
 * subscription. EventSource reconnects and resumes by itself (Last-Event-ID); a reanchor opens a
 * new stream with `resume` and the new window, which the server answers with only the splice.
 *
 * A stream the server refuses (400 bad query, 401, 403, 429, 503: EventSource gives up) ends the
 * subscription with error code `refused`, unless it was a reanchor's: then the window before it
 * is resumed. An error frame or a final `closed` frame (any cause but `shutdown`) ends it too.
 *
 * `url` is the SSE endpoint prefix, e.g. `/v1/live` or `https://host/v1/live`.
 */
export class EventSourceSubscription<Row extends RowBase = RowBase> extends LiveWindow<Row> {
  private es: EventSourceLike | null = null;
  /** the window before a reanchor whose stream has not opened yet */
  private previous: Query<Row> | null = null;

  constructor(private readonly url: string, query: Query<Row>, handlers: Handlers<Row> | undefined,
      private readonly options: EventSourceOptions) {
    super(query, handlers, options.schedule ?? (fn => { setTimeout(fn, 0); }));
    this.open();
  }

  reanchor(change: Reanchor): void {
    if (this.closed) return;
    this.previous ??= this.query;
    this.query = reanchored(this.query, change);
    this.workSyncing = true;
    this.publish([]);
    this.open();
  }

  close(): void {
    this.es?.close();
    this.es = null;
    this.end(null);
  }

  private open(): void {
    this.es?.close();
    const ES = this.options.EventSource ?? (globalThis as any).EventSource as EventSourceConstructor;
    const es = new ES(sseUrl(this.url, this.query, this.eid));
    this.es = es;
    es.onmessage = ev => {
      if (es !== this.es) return;
      const f = JSON.parse(ev.data) as Frame<Row>;
      if (ev.lastEventId) f.eid = ev.lastEventId as Frame["eid"];
      if (f.op === "error") return this.failed(f);
      if (f.op === "closed") {
        // after "shutdown" the stream ends too, and EventSource's reconnect resumes elsewhere
        const final = f.cause !== "shutdown";
        if (final) {
          this.es?.close();
          this.es = null;
          this.end(null);
        }
        this.handlers.onClosed?.({ ...f, final });
        return;
      }
      this.applyFrame(f);
    };
    // a new stream (EventSource reconnects by itself): `stale` was said of the old one
    es.onopen = () => { if (es === this.es) { this.workStatus = "live"; this.previous = null; } };
    es.onerror = ev => {
      if (es !== this.es) return;
      if (es.readyState === CLOSED) return this.refused(ev);
      // EventSource reconnects by itself with Last-Event-ID: a resume, syncing until its ready
      if (!this.workSyncing) { this.workSyncing = true; this.publish([]); }
    };
  }

  /** A frame did not fit the window: a new stream without resume, for a fresh snapshot. */
  protected override diverged(): void {
    this.eid = null;
    this.workSyncing = true;
    this.publish([]);
    this.open();
  }

  /** EventSource gave up: the server answered other than 200 with an event stream. */
  private refused(event: unknown): void {
    const ev = event as { code?: number; message?: string } | undefined;
    const f: ErrorFrame = { op: "error", code: "refused",
      message: "the server refused the stream" + (ev?.code ? ` (HTTP ${ev.code}${ev.message ? ": " + ev.message : ""})` : "") };
    if (this.previous) {
      // a reanchor's stream (a bad cursor or limit): resume the window before it
      this.handlers.onError?.(f);
      this.query = this.previous;
      this.previous = null;
      this.open();
      return;
    }
    this.failed(f);
  }

  private failed(f: ErrorFrame): void {
    this.handlers.onError?.(f);
    this.es?.close();
    this.es = null;
    this.end(f);
  }
}

/** The SSE URL of a query (PROTOCOL §5): where, order as `-price,name`, limit, after/before, resume. */
export function sseUrl(base: string, q: Query<any>, resume: string | null): string {
  const p = new URLSearchParams();
  if (q.where) p.set("where", JSON.stringify(q.where));
  if (q.order) p.set("order", q.order.map(k => (k.dir === "desc" ? "-" : "") + k.field).join(","));
  if (q.limit) p.set("limit", String(q.limit));
  if (q.after) p.set("after", q.after);
  if (q.before) p.set("before", q.before);
  if (resume) p.set("resume", resume);
  return `${base.replace(/\/$/, "")}/${encodeURIComponent(q.table)}?${p}`;
}

/** A live window over SSE: `liveEventSource("/v1/live", query, handlers)`. */
export function liveEventSource<Row extends RowBase = RowBase>(url: string, query: Query<Row>,
    handlers?: Handlers<Row>, options: EventSourceOptions = {}): EventSourceSubscription<Row> {
  return new EventSourceSubscription(url, query, handlers, options);
}
