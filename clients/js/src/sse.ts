import type { Handlers, Query, Reanchor, RowBase, Frame } from "./types.js";
import { LiveWindow, reanchored, type Scheduler } from "./window.js";

type EventSourceLike = {
  onmessage: ((ev: { data: string; lastEventId?: string }) => void) | null;
  onopen: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  readyState: number;
  close(): void;
};
export type EventSourceConstructor = new (url: string) => EventSourceLike;

export type EventSourceOptions = {
  EventSource?: EventSourceConstructor;
  schedule?: Scheduler;
};

/**
 * A live window over Server-Sent Events (PROTOCOL §5) with the same shape as a WebSocket
 * subscription. EventSource reconnects and resumes by itself (Last-Event-ID); a reanchor opens a
 * new stream with `resume` and the new window, which the server answers with only the splice.
 *
 * `url` is the SSE endpoint prefix, e.g. `/v1/live` or `https://host/v1/live`.
 */
export class EventSourceSubscription<Row extends RowBase = RowBase> extends LiveWindow<Row> {
  private es: EventSourceLike | null = null;

  constructor(private readonly url: string, query: Query<Row>, handlers: Handlers<Row> | undefined,
      private readonly options: EventSourceOptions) {
    super(query, handlers, options.schedule ?? (fn => { setTimeout(fn, 0); }));
    this.open();
  }

  reanchor(change: Reanchor): void {
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
      if (f.op === "error") { this.handlers.onError?.(f); return; }
      if (f.op === "closed") {
        this.handlers.onClosed?.({ ...f, final: f.cause !== "shutdown" });
        return;
      }
      this.applyFrame(f);
    };
    // a new stream (EventSource reconnects by itself): `stale` was said of the old one
    es.onopen = () => { if (es === this.es) this.workStatus = "live"; };
    // EventSource reconnects by itself with Last-Event-ID: a resume, syncing until its ready
    es.onerror = () => {
      if (es === this.es && !this.workSyncing) { this.workSyncing = true; this.publish([]); }
    };
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
