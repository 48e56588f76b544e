/* @livequery/client 0.1.0 (script-tag build; protocol v1). Apache-2.0. */
declare namespace livequery {
    const brand: unique symbol;
    /** An opaque position in a query's order, taken from a frame (PROTOCOL §2). */
    export type Cursor = string & {
        readonly [brand]: "Cursor";
    };
    /** An opaque resume token, the event id of a frame (PROTOCOL §3). */
    export type Eid = string & {
        readonly [brand]: "Eid";
    };
    /** Every row has a string id; the rest is whatever was written. */
    export type RowBase = {
        id: string;
    };
    type Scalar = string | number | boolean | null;
    /** Operators of a `where` term (PROTOCOL §2); a bare value means `eq`. */
    export type Condition<V> = V | {
        eq?: V;
        ne?: V;
        lt?: V;
        lte?: V;
        gt?: V;
        gte?: V;
        in?: readonly V[];
        prefix?: string;
        exists?: boolean;
    };
    /** A conjunction over the row's top-level fields, keyed by the row type. */
    export type Where<Row> = {
        [K in keyof Row & string]?: Condition<Row[K] extends Scalar ? Row[K] : Scalar>;
    } & {
        or?: readonly Omit<Where<Row>, "or">[];
    };
    export type OrderKey<Row> = {
        field: keyof Row & string;
        dir?: "asc" | "desc";
    };
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
    export type Reanchor = {
        limit: number;
        after?: undefined;
        before?: undefined;
    } | {
        after: Cursor | null;
        limit?: number;
        before?: undefined;
    } | {
        before: Cursor;
        limit?: number;
        after?: undefined;
    };
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
        sub?: string;
        eid?: Eid;
        /**
         * set by the client: a change of the rows held, made while in sync or brought by a resume (not a
         * frame of a snapshot or of a reanchor)
         */
        live?: boolean;
    };
    export type ResetFrame = Common & {
        op: "reset";
        cause: "subscribe" | "resume_miss" | "overflow" | "failover" | "epoch";
        epoch?: unknown;
    };
    export type EnterFrame<Row extends RowBase = RowBase> = Common & {
        op: "enter";
        id: string;
        version: number;
        row: Row;
        cursor: Cursor;
        new_index: number;
    };
    export type LeaveFrame = Common & {
        op: "leave";
        id: string;
        version: number;
        old_index: number;
    };
    export type UpdateFrame<Row extends RowBase = RowBase> = Common & {
        op: "update";
        id: string;
        version: number;
        row: Row;
        cursor: Cursor;
        new_index: number;
    };
    export type MoveFrame<Row extends RowBase = RowBase> = Common & {
        op: "move";
        id: string;
        version: number;
        row: Row;
        cursor: Cursor;
        old_index: number;
        new_index: number;
    };
    export type ReadyFrame = Common & {
        op: "ready";
        has_more_before: boolean;
        has_more_after: boolean;
        resumed: boolean;
    };
    export type ErrorFrame = Common & {
        op: "error";
        code: string;
        message: string;
    };
    export type ClosedFrame = Common & {
        op: "closed";
        cause: "unsubscribed" | "revoked" | "shutdown" | string;
    };
    export type StatusFrame = Common & {
        op: "status";
        state: "stale" | "live";
    };
    export type PongFrame = Common & {
        op: "pong";
    };
    /** Every server→client frame (PROTOCOL §3), discriminated by `op`. */
    export type Frame<Row extends RowBase = RowBase> = ResetFrame | EnterFrame<Row> | LeaveFrame | UpdateFrame<Row> | MoveFrame<Row> | ReadyFrame | ErrorFrame | ClosedFrame | StatusFrame | PongFrame;
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
        onClosed?: (closed: ClosedFrame & {
            final: boolean;
        }) => void;
    };

    /** What a subscription needs from the connection it lives on. */
    interface Connection {
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
    export type EventHandler<E> = {
        bivariant(ev: E): unknown;
    }["bivariant"];
    /** The part of the WebSocket API the client uses: the browser's, Node 22's or the `ws` package's. */
    export interface SocketLike {
        readonly readyState: number;
        send(data: string): void;
        close(code?: number, reason?: string): void;
        onopen: EventHandler<unknown> | null;
        onmessage: EventHandler<{
            data: unknown;
        }> | null;
        onclose: EventHandler<{
            code: number;
            reason?: string;
        }> | null;
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
    function tokenTimes(token: string): {
        exp: number;
        iat: number | null;
    } | null;

    /** The part of the Web Storage API persistence uses (sessionStorage, localStorage or a test double). */
    export type KeyValueStorage = {
        getItem(key: string): string | null;
        setItem(key: string, value: string): void;
        removeItem(key: string): void;
    };
    /** Opt-in persistence of a subscription's window, so a reload paints at once and resumes by eid. */
    export type PersistOptions = {
        /** where to keep it; default sessionStorage (per tab, survives reload and back/forward) */
        storage?: KeyValueStorage;
        /** default: derived from the endpoint and the query as subscribed: its shape and window (limit, after, before) */
        key?: string;
    };
    type Saved<Row extends RowBase> = {
        v: 1;
        query: Query<Row>;
        rows: Entry<Row>[];
        eid: Eid;
    };
    /**
     * The key of a query as subscribed, window included, so that two windows of one shape are saved
     * apart; a window moved by reanchor is saved under the key of the query it was subscribed with.
     */
    function persistKey(url: string, query: Query<RowBase>): string;
    function defaultStorage(): KeyValueStorage | undefined;
    function load<Row extends RowBase>(storage: KeyValueStorage, key: string): Saved<Row> | null;
    function save<Row extends RowBase>(storage: KeyValueStorage, key: string, s: Saved<Row>): void;

    export type FetchLike = (url: string, init?: {
        method?: string;
        headers?: Record<string, string>;
        body?: string;
    }) => Promise<{
        ok: boolean;
        status: number;
        json(): Promise<any>;
        text(): Promise<string>;
    }>;
    /** The fields a PATCH merges into a row (PROTOCOL §7): `null` deletes a field. */
    export type Patch<Row> = {
        [K in keyof Row]?: Row[K] | null;
    };
    export type WriteOptions = {
        /** compare-and-set: the write succeeds only if the row is at this version (else 412) */
        ifMatch?: number;
        /** show the change in this client's windows at once; rolled back if the write fails */
        optimistic?: boolean;
    };
    /**
     * A failed call, with a code: an HTTP call's is that of PROTOCOL §7 (`version_mismatch`,
     * `not_found`, …), or for an answer that is not JSON (a proxy's page) `unavailable` for a 5xx and
     * `http_<status>` otherwise; `status` is its HTTP status, 0 for what is not an HTTP call (`stopped`).
     */
    export class LiveQueryError extends Error {
        readonly status: number;
        readonly code: string;
        constructor(status: number, code: string, message: string);
    }
    export type OneShot<Row> = {
        rows: Row[];
        cursors: Cursor[];
        has_more_after: boolean;
        [k: string]: unknown;
    };
    /**
     * The HTTP API of one table (PROTOCOL §7). Optimistic writes overlay the windows of this client
     * that hold the row, and the overlay goes when the server's frame for the row arrives (it wins,
     * whether it confirms or contradicts the write), when the row leaves the window (a leave, or a
     * reset whose snapshot lacks it) or when the write fails.
     */
    export class Table<Row extends RowBase = RowBase> {
        private readonly base;
        readonly name: string;
        private readonly fetcher;
        private readonly token;
        private readonly windows;
        constructor(base: string, name: string, fetcher: FetchLike, token: () => string | undefined | Promise<string | undefined>, windows: () => LiveWindow<Row>[]);
        /** Replaces or inserts a row. */
        put(row: Row, opts?: WriteOptions): Promise<{
            id: string;
            version: number;
        }>;
        /** Merges top-level fields (null deletes a field); 404 if the row is absent. */
        patch(id: string, fields: Patch<Row>, opts?: WriteOptions): Promise<{
            id: string;
            version: number;
        }>;
        delete(id: string, opts?: WriteOptions): Promise<{
            id: string;
            version: number;
        }>;
        /** Upserts and deletes, each row atomically (PROTOCOL §7). */
        batch(change: {
            upsert?: Row[];
            delete?: string[];
        }): Promise<unknown>;
        /** One row with its version, or null if absent. */
        get(id: string): Promise<{
            id: string;
            version: number;
            row: Row;
        } | null>;
        /** A one-shot window (not live). */
        query(q?: {
            where?: Where<Row>;
            order?: readonly OrderKey<Row>[];
            limit?: number;
            after?: Cursor;
            before?: Cursor;
        }): Promise<OneShot<Row>>;
        private write;
        private call;
    }

    /**
     * `q` moved by a reanchor (PROTOCOL §4): naming `after` or `before` replaces both; `{after: null}` = from the top.
     * A field set to `undefined` is not named: it does not travel in JSON, so the server keeps its value too.
     */
    function reanchored<Row extends RowBase>(q: Query<Row>, change: Reanchor): Query<Row>;
    /** Runs `fn` soon, once per burst of frames (an animation frame in a visible browser tab). */
    export type Scheduler = (fn: () => void) => void;
    /**
     * What {@link LiveWindow.whenReady} rejects with once the subscription has ended: a
     * {@link LiveQueryError} (`status` 0) whose `code` and `message` are those of the error frame that
     * ended it (`frame`; e.g. `forbidden`, `stopped`, `refused`), or code `closed` when it was closed
     * without an error (sub.close(), lq.close(), a final `closed` frame; `frame` is then null).
     */
    export class SubscriptionError extends LiveQueryError {
        readonly frame: ErrorFrame | null;
        constructor(frame: ErrorFrame | null);
    }
    /**
     * A window of rows kept equal to the server's by applying frames; the part that WebSocket and
     * SSE subscriptions share. Frames apply at once to a working array; handlers, listeners and the
     * public fields see them once per batch, as one frozen {@link Snapshot} — what
     * useSyncExternalStore, Svelte stores and Vue's shallowRef need (a new identity only on change).
     */
    export class LiveWindow<Row extends RowBase = RowBase> {
        private readonly schedule;
        query: Query<Row>;
        readonly handlers: Handlers<Row>;
        /** the rows as of the last applied batch (frozen) */
        rows: readonly Entry<Row>[];
        /** the last ready frame */
        ready: ReadyFrame | null;
        /** `stale` while the server says its backend is unreachable (a new connection or stream starts `live`) */
        status: "live" | "stale";
        /** from subscribe, reset, reanchor or a dropped connection until the ready that ends it */
        syncing: boolean;
        /** reset frames seen (a resume that works sends none) */
        resets: number;
        closed: boolean;
        error: ErrorFrame | null;
        /** the eid of the last applied frame: the resume token */
        eid: Eid | null;
        protected work: Entry<Row>[];
        /** the ids in `work`, to tell a frame that does not fit it */
        private ids;
        protected workSyncing: boolean;
        /**
         * The sync under way is a resume of the window the last ready confirmed (no reanchor, no reset):
         * its frames are the changes missed meanwhile, live as any other change.
         */
        private workResuming;
        private workReady;
        /** per status frames of the current server-side subscription or stream; a new one starts live */
        protected workStatus: "live" | "stale";
        /** what onStatus last heard */
        private toldStatus;
        private pending;
        private scheduled;
        private snapshot;
        private listeners;
        private overlays;
        /** the one promise every whenReady() of the current sync gets (not one per call) */
        private readyWaiter;
        constructor(query: Query<Row>, handlers: Handlers<Row> | undefined, schedule: Scheduler);
        get hasMoreBefore(): boolean;
        get hasMoreAfter(): boolean;
        /**
         * Applies one frame now; handlers and listeners hear of it with the rest of its batch. A frame
         * that does not fit the window is not applied: the window is not the server's, see {@link diverged}.
         */
        applyFrame(f: Frame<Row>): void;
        /**
         * Whether a row frame fits the window as PROTOCOL §3 says every frame does: its indexes in range,
         * a leave, update or move naming the row at its old index, an enter a row not in the window.
         */
        private fits;
        /**
         * A frame did not fit: applying it (or any after it) would show rows the server's window does not
         * hold, and resuming by the eid would only carry the difference on. Subclasses ask for a fresh
         * snapshot; here the resume token is dropped.
         */
        protected diverged(): void;
        /**
         * Syncing again by resume (a new connection or stream, from the last applied eid). Only a window
         * in sync resumes as it was: during a reanchor or a snapshot the frames to come are not all changes.
         */
        protected resuming(): void;
        /** A reanchor: the frames to come turn the window into another, they are no changes of its rows. */
        protected moving(): void;
        /** Replaces the working rows (a saved window). */
        protected replaceWork(rows: Entry<Row>[]): void;
        /** Publishes what was applied since the last flush: one snapshot, one round of handlers. */
        flush(): void;
        /** A new frozen snapshot from the working rows, then every listener. */
        protected publish(frames: Frame<Row>[]): void;
        /** Called after each flush; subscriptions persist their window here. */
        protected afterFlush(): void;
        /** Listens for new snapshots (useSyncExternalStore's `subscribe`). Returns the unsubscribe. */
        subscribe(listener: () => void): () => void;
        /** The current snapshot: the same object until the next applied batch. */
        getSnapshot(): Snapshot<Row>;
        /**
         * Resolves at the ready that brings the window in sync (Suspense can throw it); rejects with a
         * {@link SubscriptionError} (code and message of the error that ended it, or code `closed`) once
         * the subscription has ended. Calls while syncing all get the same promise.
         */
        whenReady(): Promise<ReadyFrame>;
        /** The subscription failed or ended: one last snapshot, then nothing more. */
        protected end(error: ErrorFrame | null): void;
        /** Shows `row` (null = deleted) in place of the server's row `id` until {@link settle}d. */
        overlay(id: string, row: Row | null): void;
        /** The write behind an overlay succeeded with `version`: keep it until a frame brings that version. */
        confirm(id: string, version: number): void;
        /** The write behind an overlay failed: show the server's row again. */
        dropOverlay(id: string): void;
        /** A frame for `id` arrived: the server's row wins over an overlay it confirms or contradicts. */
        private settle;
        /**
         * In sync (a ready): overlays of rows the window no longer holds go. A reset's snapshot without the
         * row brings no frame for it, and an overlay waiting for its confirmed version stayed for good.
         */
        private pruneOverlays;
        private withOverlays;
        private currentStatus;
        private makeSnapshot;
    }

    export type SubscribeOptions = {
        persist?: PersistOptions | boolean;
    };
    /**
     * One subscription on a {@link LiveQuery} connection (PROTOCOL §4): re-sent with `resume` after
     * every reconnect until it is closed, ends for good on an error to its subscribe (unless the
     * reason passes: then the subscribe is re-sent after a backoff) or a final closed frame.
     */
    export class Subscription<Row extends RowBase = RowBase> extends LiveWindow<Row> {
        private readonly conn;
        /** the sub id on the wire; a new one after {@link diverged} */
        name: string;
        private readonly storage;
        /** true from sending subscribe until its first ready */
        private subscribing;
        /** a frame of the subscribe came: it was accepted (the server refuses one before any frame) */
        private accepted;
        /** the window the server holds as far as its answers tell; `query` is it with the changes below */
        private base;
        /** the changes the reanchor in flight carries */
        private sent;
        /** changes made while the subscribe or a reanchor was unanswered */
        private queued;
        /**
         * The window the server last confirmed, while a resubscribe carries reanchors it never answered
         * (made offline, or in flight when the socket dropped): if the resubscribe is refused, the
         * refusal is theirs, and the subscription goes back to this window as a refused reanchor does.
         */
        private fallback;
        /** a reset came and its snapshot's ready has not: that ready answers no reanchor (see {@link answered}) */
        private inReset;
        constructor(conn: Connection, 
        /** the sub id on the wire; a new one after {@link diverged} */
        name: string, query: Query<Row>, handlers: Handlers<Row> | undefined, schedule: Scheduler, storage: {
            storage: KeyValueStorage;
            key: string;
        } | null);
        /** Changes the window: {limit}, {after: cursor}, {before: cursor}, {after: null} = from the top. */
        reanchor(change: Reanchor): void;
        /**
         * Sends the queued changes as one reanchor once the subscribe and any reanchor before are
         * answered. One at a time, because the server answers an error at once but a ready after the
         * frames queued before it: with two in flight, an error could be either's.
         */
        private pump;
        /** Ends the subscription (unsubscribe is sent if connected). */
        close(): void;
        /** The connection stopped for good: the subscription ends, with `error` unless by lq.close(). */
        stop(error: ErrorFrame | null): void;
        /** The socket dropped: the window may lack what changes until the resume's ready (as over SSE). */
        disconnected(): void;
        /**
         * Shared mode: the leader's re-send of this subscription was refused for good. True if it should
         * be subscribed again: unless a subscribe of its own is unanswered (its answer decides then), the
         * refusal was taken for a reanchor's, and the window was restored; the server holds nothing.
         */
        resubscribeIfIdle(): boolean;
        /** The subscribe message for a (re)connect: resume by the last applied eid when there is one. */
        subscribeMessage(): Record<string, unknown>;
        /** A frame for this subscription from the connection. */
        receive(f: Frame<Row>): void;
        /**
         * A ready: it answers the subscribe, else the reanchor in flight; then the next one goes. Not the
         * ready of a reset's snapshot (overflow, failover, epoch) while a reanchor is in flight: the
         * server may have written that snapshot before it read the reanchor (the reanchor's splice and
         * ready, or its error, follow) or made it after (a pending reset takes the reanchor in, an
         * overflow replaces its splice: no other ready follows; docs/protocol.md), and the frames do not
         * tell which.
         */
        private answered;
        /**
         * Which window the server holds is not known: subscribed again under a new sub id (the frames
         * and error still coming for the old one are then nobody's), resuming from the rows held, with
         * the window asked for; its ready, or its refusal (then back to {@link base}), answers.
         */
        private resubscribe;
        private failed;
        /**
         * A frame did not fit the window: subscribed again without resume, under a new sub id (the frames
         * still coming for the old one are then nobody's), for a fresh snapshot; the rows stay shown until it.
         */
        protected diverged(): void;
        private closedBy;
        protected afterFlush(): void;
        /** Paints the saved window at once; the subscribe then resumes from its eid. */
        private restore;
    }

    /**
     * Splices one frame into a window with the semantics of PROTOCOL §3: each index is relative to
     * the window as the previous frame left it. Frames that do not change rows leave it alone.
     * Mutates and returns `rows`; the entries it inserts are new frozen objects, never changed later,
     * so snapshots can share them.
     */
    export function applyFrame<Row extends RowBase>(rows: Entry<Row>[], f: Frame<Row>): Entry<Row>[];

    /** The part of an event the client reads: `persisted` of a pageshow (a PageTransitionEvent). */
    export type PageEvent = {
        readonly type: string;
        readonly persisted?: boolean;
    };
    /**
     * The part of EventTarget the client listens with: a window, a document, an EventTarget or a test
     * double. Its listeners take the dispatched event; one called with nothing (as a target written
     * for listeners typed `() => void` may do) counts as an event without `persisted`.
     */
    export type PageEvents = {
        addEventListener(type: string, listener: (ev?: PageEvent) => void): void;
        removeEventListener(type: string, listener: (ev?: PageEvent) => void): void;
    };
    /**
     * Listens to the page events a client acts on; returns the function that stops listening, which
     * a stopped client calls so the page no longer holds it. `online`, and `visibilitychange` to
     * visible, call `wake` (a tab that slept or lost the network need not wait out the backoff). With
     * `hide` and `show` (shared tabs), `pagehide` and `pageshow` call them: a closing tab takes its
     * subscriptions off the leader's socket, and one back from the bfcache (`persisted`) puts them back.
     */
    function listenToPage(events: PageEvents | null, doc: (PageEvents & {
        hidden: boolean;
    }) | null | undefined, on: {
        wake(): void;
        hide?(): void;
        show?(persisted: boolean): void;
    }): () => void;

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
        backoff?: {
            base?: number;
            max?: number;
        };
        /** client ping period (default 10 s): a quiet socket is pinged, and dropped if a period passes without a reply (PROTOCOL §4) */
        pingMs?: number;
        /** how long a socket may take to open (default 10 s): one still opening then is closed, and the connect retried after the backoff */
        connectTimeoutMs?: number;
        /** where the online, pagehide and pageshow events come from (default globalThis when it has addEventListener) */
        events?: PageEvents;
        /** the page's document, for visibilitychange (default globalThis.document) */
        document?: PageEvents & {
            hidden: boolean;
        };
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
        state: ConnectionState;
        /** successful opens: 1 + reconnects */
        connects: number;
        stopped: boolean;
        /** why it stopped */
        private stoppedBy;
        /** the detail of the last state, for a tab that joins */
        private detail;
        /** the subscriptions by sub id (a Map: a frame naming `constructor` or `__proto__` finds nothing) */
        readonly subs: Map<string, Subscription<any>>;
        ws: SocketLike | null;
        private next;
        private backoff;
        private retry;
        /** the socket's watchdog: its open deadline, then its pings */
        private pinger;
        private lastRx;
        /** when the oldest unanswered ping went out; null once anything is heard */
        private pingedAt;
        private attempt;
        private readonly tokens;
        /** subscribes refused for a passing reason, re-sent after a backoff */
        private readonly retries;
        private readonly timers;
        /** set when tabs share one socket; null = this tab has its own */
        private link;
        /** Stopped: the page's events (online, visibilitychange, pagehide, pageshow) no longer hold this client. */
        private readonly unlisten;
        /** Splices one frame into a window array: for EventSource users, who hold the rows themselves. */
        static apply: typeof applyFrame;
        constructor(url: string, options?: LiveQueryOptions);
        /** A new subscription; throws a {@link LiveQueryError} with code `stopped` once the client is stopped. */
        subscribe<Row extends RowBase = RowBase>(query: Query<Row>, handlers?: Handlers<Row>, opts?: SubscribeOptions): Subscription<Row>;
        /**
         * The HTTP API of one table (PROTOCOL §7), with optimistic updates to this client's windows. Its
         * calls send the token: with getToken, the last one it gave while that lasts, else a new answer
         * (in every tab, also one whose socket is another tab's); a getToken that fails fails the call.
         */
        table<Row extends RowBase = RowBase>(name: string): Table<Row>;
        /** Closes the socket for good; every subscription ends (status `closed`). */
        close(): void;
        /** Drops the socket as a network failure would (for tests and demos); it reconnects and resumes. */
        drop(): void;
        send(msg: Record<string, unknown>): void;
        forget(name: string): void;
        renamed(name: string): string;
        private newName;
        restored(name: string, query: Query<any>): void;
        resendLater(name: string, error: ErrorFrame, resuming: boolean): boolean;
        private connect;
        private open;
        private receive;
        private dispatch;
        private closed;
        /** Stops for good, not by close(): every subscription ends with error code `stopped`, and a shared link is given up. */
        private halt;
        /** Back online or visible again: do not wait out the backoff. */
        private reconnectNow;
        private schedulePing;
        private ping;
        /** Gives up on a socket now (a close handshake could wait on a dead peer) and reconnects after the backoff. */
        private abandon;
        private clearTimers;
        private setState;
        private scheduler;
        private storageFor;
        private httpUrl;
        /** `delay` jittered ±50 %, then capped: `backoff.max` is the longest wait, jitter included. */
        private jittered;
        private doc;
        private now;
        private base;
        private max;
    }

    /** The part of the EventSource API the client uses: the browser's or the `eventsource` package's. */
    export interface EventSourceLike {
        onmessage: EventHandler<{
            data: string;
            lastEventId?: string;
        }> | null;
        onopen: EventHandler<unknown> | null;
        /** the `eventsource` package's event has `code` and `message`: the HTTP status and why (browsers say nothing) */
        onerror: EventHandler<unknown> | null;
        readonly readyState: number;
        close(): void;
    }
    export type EventSourceConstructor = new (url: string, init?: {
        withCredentials?: boolean;
    }) => EventSourceLike;
    export type EventSourceOptions = {
        /** the EventSource class; default globalThis.EventSource (pass the `eventsource` package's in Node) */
        EventSource?: EventSourceConstructor;
        schedule?: Scheduler;
        /**
         * a fixed token, sent as `access_token` (PROTOCOL §9); EventSource reconnects with it, so once it
         * has expired the stream is refused (401) and the subscription ends with error code `refused`
         */
        token?: string;
        /**
         * called for every stream, whose `access_token` it gives; with it the client reconnects by itself
         * (the server ends a stream when its token expires): with a fresh token and `resume` by its last eid
         */
        getToken?: () => string | Promise<string>;
        /** how long a getToken call may take (default 10 s): one that has not settled by then counts as failed, and the stream is tried again after the wait */
        getTokenTimeoutMs?: number;
        /** send cookies (`lq_token`) to a gateway on another origin (one in its `livequery.allowed-origins`) */
        withCredentials?: boolean;
        /** for the waits before the client's own reconnects (with getToken) */
        timers?: Timers;
        /**
         * the jitter of those waits, each its base ×0.5–1.5 and then capped at 10 s, so that streams
         * whose tokens expire together do not all come back in the same second; default Math.random
         */
        random?: () => number;
    };
    /**
     * A live window over Server-Sent Events (PROTOCOL §5) with the same shape as a WebSocket
     * subscription. EventSource reconnects and resumes by itself (Last-Event-ID); a reanchor opens a
     * new stream with `resume` and the new window, which the server answers with only the splice.
     *
     * With `getToken` the client reconnects instead of EventSource, which would send the old token
     * again: after about 1 s (the server's `retry`, jittered ±50 %), doubling up to 10 s while streams
     * fail to open, with a fresh token and `resume` by the last eid.
     *
     * A stream the server refuses (400 bad query, 401, 403, 429, 503: EventSource gives up) ends the
     * subscription with error code `refused`, unless it was a reanchor's: then the window before it
     * is resumed. A 401 with `getToken` (the token expired on its way; only the `eventsource` package
     * tells the status) is retried with a fresh token. An error frame or a final `closed` frame (any
     * cause but `shutdown`) ends it too.
     *
     * `url` is the SSE endpoint prefix, e.g. `/v1/live` or `https://host/v1/live`; a query string of
     * its own is kept.
     */
    export class EventSourceSubscription<Row extends RowBase = RowBase> extends LiveWindow<Row> {
        private readonly url;
        private readonly options;
        private es;
        /** the window before a reanchor whose stream has not opened yet */
        private previous;
        private readonly timers;
        private readonly tokens;
        /** the client's own reconnect, due after its wait */
        private retry;
        /** streams that failed to open since the last that did: the next wait doubles with each */
        private fails;
        /** the streams asked for: a getToken answer for an earlier one is dropped */
        private attempt;
        constructor(url: string, query: Query<Row>, handlers: Handlers<Row> | undefined, options: EventSourceOptions);
        reanchor(change: Reanchor): void;
        close(): void;
        /** No stream, and none to come. */
        private stop;
        /**
         * The stream closed and a pending reconnect cancelled; a getToken answer asked for before is
         * dropped too. Returns the new attempt's number.
         */
        private drop;
        /** A new stream for the current window, resuming by the last eid; with getToken, once it has given a token. */
        private open;
        private connect;
        /** The stream ended or failed: a new one with a fresh token after the wait. */
        private reconnectLater;
        /** A frame did not fit the window: a new stream without resume, for a fresh snapshot. */
        protected diverged(): void;
        /** EventSource gave up: the server answered other than 200 with an event stream. */
        private refused;
        private failed;
    }
    /**
     * The SSE URL of a query (PROTOCOL §5): where, order as `-price,name`, limit, after/before, resume,
     * and `token` as `access_token` (§9). The parameters of a base with a query string of its own stay.
     */
    export function sseUrl(base: string, q: Query<any>, resume: string | null, token?: string): string;
    /** A live window over SSE: `liveEventSource("/v1/live", query, handlers)`. */
    export function liveEventSource<Row extends RowBase = RowBase>(url: string, query: Query<Row>, handlers?: Handlers<Row>, options?: EventSourceOptions): EventSourceSubscription<Row>;

    /** The wire protocol this client speaks (PROTOCOL.md, "v1"). */
    export const protocolVersion = 1;
    /** This package's version (kept equal to package.json by a test). */
    export const version = "0.1.0";

    export {};
}
declare var LiveQuery: typeof livequery.LiveQuery;
