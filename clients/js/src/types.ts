// The wire types of PROTOCOL.md §2-§4, as the client sees them.

declare const brand: unique symbol;
/** An opaque position in a query's order, taken from a frame (PROTOCOL §2). */
export type Cursor = string & { readonly [brand]: "Cursor" };
/** An opaque resume token, the event id of a frame (PROTOCOL §3). */
export type Eid = string & { readonly [brand]: "Eid" };

/** Every row has a string id; the rest is whatever was written. */
export type RowBase = { id: string };

type Scalar = string | number | boolean | null;
/** Operators of a `where` term (PROTOCOL §2); a bare value means `eq`. */
export type Condition<V> =
  | V
  | {
      eq?: V; ne?: V; lt?: V; lte?: V; gt?: V; gte?: V;
      in?: readonly V[]; prefix?: string; exists?: boolean;
    };
/** A conjunction over the row's top-level fields, keyed by the row type. */
export type Where<Row> = {
  [K in keyof Row & string]?: Condition<Row[K] extends Scalar ? Row[K] : Scalar>;
} & { or?: readonly Omit<Where<Row>, "or">[] };
export type OrderKey<Row> = { field: keyof Row & string; dir?: "asc" | "desc" };

/** A query over table rows of type Row (PROTOCOL §2). At most one of after/before. */
export type Query<Row extends RowBase = RowBase> = {
  table: string;
  where?: Where<Row>;
  order?: readonly OrderKey<Row>[];
  /** 1 … livequery.limits.max-window (default 1000); required by the server */
  limit: number;
  after?: Cursor | null;
  before?: Cursor | null;
};

/** A change of window for {@link Subscription.reanchor}; `{after: null}` = from the top. */
export type Reanchor =
  | { limit: number; after?: undefined; before?: undefined }
  | { after: Cursor | null; limit?: number; before?: undefined }
  | { before: Cursor; limit?: number; after?: undefined };

/** One row of a window. Never mutated: a change makes a new entry. */
export type Entry<Row extends RowBase = RowBase> = {
  readonly id: string;
  readonly version: number;
  readonly row: Row;
  readonly cursor: Cursor;
  /** true while an optimistic write is shown in place of the server's row */
  readonly pending?: boolean;
};

type Common = {
  sub?: string; eid?: Eid;
  /**
   * set by the client: a change of the rows held, made while in sync or brought by a resume (not a
   * frame of a snapshot or of a reanchor)
   */
  live?: boolean;
};
export type ResetFrame = Common & { op: "reset"; cause: "subscribe" | "resume_miss" | "overflow" | "failover" | "epoch"; epoch?: unknown };
export type EnterFrame<Row extends RowBase = RowBase> = Common & { op: "enter"; id: string; version: number; row: Row; cursor: Cursor; new_index: number };
export type LeaveFrame = Common & { op: "leave"; id: string; version: number; old_index: number };
export type UpdateFrame<Row extends RowBase = RowBase> = Common & { op: "update"; id: string; version: number; row: Row; cursor: Cursor; new_index: number };
export type MoveFrame<Row extends RowBase = RowBase> = Common & { op: "move"; id: string; version: number; row: Row; cursor: Cursor; old_index: number; new_index: number };
export type ReadyFrame = Common & { op: "ready"; has_more_before: boolean; has_more_after: boolean; resumed: boolean };
export type ErrorFrame = Common & { op: "error"; code: string; message: string };
export type ClosedFrame = Common & { op: "closed"; cause: "unsubscribed" | "revoked" | "shutdown" | string };
export type StatusFrame = Common & { op: "status"; state: "stale" | "live" };
export type PongFrame = Common & { op: "pong" };

/** Every server→client frame (PROTOCOL §3), discriminated by `op`. */
export type Frame<Row extends RowBase = RowBase> =
  | ResetFrame | EnterFrame<Row> | LeaveFrame | UpdateFrame<Row> | MoveFrame<Row>
  | ReadyFrame | ErrorFrame | ClosedFrame | StatusFrame | PongFrame;
/** The frames that change a window. */
export type RowFrame<Row extends RowBase = RowBase> = EnterFrame<Row> | LeaveFrame | UpdateFrame<Row> | MoveFrame<Row>;

/**
 * The connection as a user would name it. `stopped` is final (lq.close(); 1008 or 4001 without a
 * token source, which end every subscription with error code `stopped`).
 */
export type ConnectionState = "connecting" | "open" | "closed" | "stopped";
/**
 * A subscription: `syncing` until the ready of a snapshot, reanchor or resume (for a resume, from
 * the moment the socket or stream dropped); `stale` per status frames, until a new connection or
 * SSE stream (which starts live).
 */
export type SubscriptionStatus = "syncing" | "live" | "stale" | "error" | "closed";

/** What a subscription holds after one applied batch. Frozen: a new object per batch. */
export type Snapshot<Row extends RowBase = RowBase> = {
  readonly rows: readonly Entry<Row>[];
  readonly status: SubscriptionStatus;
  readonly ready: ReadyFrame | null;
  readonly hasMoreBefore: boolean;
  readonly hasMoreAfter: boolean;
  readonly error: ErrorFrame | null;
  /** the frames this batch applied (empty for a snapshot made without frames) */
  readonly frames: readonly Frame<Row>[];
};

export type Handlers<Row extends RowBase = RowBase> = {
  /** once per applied batch that changed rows, with the frames it applied */
  onChange?: (rows: readonly Entry<Row>[], frames: Frame<Row>[]) => void;
  onReady?: (ready: ReadyFrame) => void;
  onStatus?: (status: "live" | "stale") => void;
  /** an error frame for this subscription; when it failed the subscribe, the subscription is over */
  onError?: (error: ErrorFrame) => void;
  /** a closed frame; `final` unless the cause is shutdown (then it resumes on another connection) */
  onClosed?: (closed: ClosedFrame & { final: boolean }) => void;
};
