/**
 * Live queries: exact, shared, resumable windows over tables, and the {@link dev.livequery.core.Backend}
 * seam transports talk to.
 *
 * <h2>The public surface</h2>
 * {@link dev.livequery.core.Backend} (with the embedded {@link dev.livequery.core.LocalBackend}, which is the
 * {@link dev.livequery.core.Engine} plus write sequencing; a shard and the Redis backend's one-shot queries use the
 * engine directly, with changes numbered elsewhere),
 * {@link dev.livequery.core.Subscription}, {@link dev.livequery.core.Frame} (one class per frame kind, with the
 * protocol's fields) and its {@link dev.livequery.core.FrameCodec} (JSON both ways, encoded once per shared frame
 * with each subscriber's {@code sub} spliced in),
 * {@link dev.livequery.core.Query} = {@link dev.livequery.core.Shape} + {@link dev.livequery.core.Window},
 * {@link dev.livequery.core.Row}, the results, {@link dev.livequery.core.EngineOptions} and
 * {@link dev.livequery.core.LiveQueryException}; for other backends and transports the shared
 * {@link dev.livequery.core.Json} codec and {@link dev.livequery.core.Rows} write checks, and the
 * {@link dev.livequery.core.Idempotency} rules with {@link dev.livequery.core.KeyedWrites} for
 * writes under an {@code Idempotency-Key}; for
 * row-level security (PROTOCOL §9)
 * {@link dev.livequery.core.Where} and {@link dev.livequery.core.Access}; and
 * {@link dev.livequery.core.Guard}, which keeps the gateway's and the cluster client's scheduled work
 * running past a failure. Everything else is package-private; among it {@code Values} (the value
 * order of PROTOCOL §1), {@code Order} (§2's keys with the id tiebreak), {@code Cursors} (signed
 * positions), {@code WindowFrames} and {@code SharedFrames} (a window's frames, shared by windows in
 * the same state), {@code ViewBudget} ({@code livequery.limits.max-view-rows}) and
 * {@code IdempotencyMemory} (the embedded backend's idempotency keys).
 *
 * <h2>Row-level security</h2>
 * A principal's read filter is the shape's {@code access} member, beside the client's where and
 * part of the fingerprint: views, cursors and tokens are per (shape, filter), so nothing of one
 * filter is ever served under another. Write filters are checked by the backends through
 * {@code Access}: a stored row outside is absent (404), a result outside is forbidden (403).
 *
 * <h2>How a change becomes frames</h2>
 * <ol>
 * <li>{@code Table} (one of the {@code Engine}'s) takes the write under its lock, gives it the next change number (which is
 *     also the row's version), records the change and its before-image in its {@code History}
 *     (the after-image is the current row or a later change's before-image), and routes
 *     it: views are filed under one {@code eq}/{@code in} term of their where, so only views that
 *     could match either image see the change. A stored row keeps its values of the filed fields,
 *     so routing the change that replaces it does not walk its (cold) object, and each view learns
 *     which image found it: an image that did not is not matched.</li>
 * <li>{@code View} (one per shape, shared by all its windows) decides whether the row left, entered
 *     or moved in its sorted rows ({@code SortedRows}, a two-level sorted array searched mostly by
 *     each {@code Key}'s {@code long} prefix), keying the row once.</li>
 * <li>{@code LiveWindow} (one per subscription) turns that into at most a handful of splice
 *     frames by a four-step rule (remove, insert inside, trim, fill at the edge), so its cost does
 *     not depend on the table or view size beyond one search of the view's rows.</li>
 * <li>{@code LocalSubscription} queues the frames, bounded; past the bound it drops the queue for a
 *     pending {@code reset overflow} that is snapshotted only when the consumer reads again.</li>
 * </ol>
 *
 * <h2>Resume without server-side session state</h2>
 * A resume token names the list the client holds in terms of the table's history, not of any
 * session: "rows {@code i..i+n} of this view as of change {@code s}" (a {@code Tokens.Range}),
 * or "the first {@code j} frames of {@code Splice.diff(rangeA, rangeB)}" (a {@code Tokens.PartialSplice}:
 * a splice cut short; {@code Splice} itself is the diff),
 * or, inside the resume of such a splice, "the first {@code k} frames of the diff from that list to
 * range C" (a {@code Tokens.Nested}).
 * The window rule above is chosen so that every incremental frame leaves the client holding such
 * a range, which keeps tokens under 200 bytes whatever the window size. To resume, the engine
 * rebuilds that list from the current view and the history ({@code View.rangeAt}), and sends
 * {@code Splice.diff(held, current)}. Tokens carry an HMAC over the shape's fingerprint, so they are
 * refused by other shapes and cannot be forged, a key id, so a previous secret is still accepted
 * while secrets rotate ({@code Signer}), and an epoch, so a lost history is told apart from a bad
 * token. Any process with the same rows, history, secret and epoch accepts the same tokens.
 *
 * <h2>Threading</h2>
 * <ul>
 * <li>One {@link java.util.concurrent.locks.ReentrantLock} per table orders writes, routing, frame
 *     generation, subscribe, reanchor, resume and overflow snapshots of that table. Tables are
 *     independent; writes to different tables run in parallel. A one-shot query of a shape nobody
 *     watches scans without the lock ({@code Scan}) and keeps the result only if {@code Table.stamp} did not
 *     move (taking the lock after a few such races), so reads do not hold up writes. A subscribe
 *     that makes a new view scans for it the same way and installs it under the lock if the stamp
 *     still holds; else (a write came) it builds the view under the lock as before.</li>
 * <li>Frames of one subscription are made under its table's lock, hence in change order, and
 *     queued under the subscription's monitor (lock order: table, then subscription).</li>
 * <li>The engine never blocks on a consumer: offering a frame is an {@code ArrayDeque} append.
 *     The consumer's {@code wakeup} callback runs on the writer's thread and must only signal.</li>
 * <li>{@link dev.livequery.core.Row}s are immutable and shared by the table, views, windows,
 *     history and frames; a row's JSON and a key's cursor are encoded once and cached. A stored
 *     row's fields are two arrays ({@code RowFields}, the names array shared by rows of the same
 *     names) instead of Jackson's map, and its text ({@code RowText}) and a frame's bytes
 *     ({@code FrameBytes}) are written without Jackson's per-call objects, falling back to Jackson
 *     for anything that needs escaping.</li>
 * </ul>
 *
 * <h2>Guarantees, stated so tests can check them</h2>
 * <ul>
 * <li>Applying a subscription's frames since its last {@code reset} to an empty list gives the
 *     window exactly (ids, order, versions) after every drained batch.</li>
 * <li>A resume from any eid the subscription was sent, within the horizon, sends no reset and no
 *     row the client already holds unchanged, and ends with {@code ready resumed:true}.</li>
 * <li>The frames of one {@link dev.livequery.core.LocalBackend#ingestAtomically} call (a source's
 *     transaction) enter each subscription's queue together: a consumer never drains part of them.</li>
 * <li>Memory is bounded: queues by {@code maxQueued} (plus one snapshot), history by
 *     {@code maxHistory} changes and {@code maxHistoryBytes} per table, rows by
 *     {@code maxRowBytes}, views live only while some window uses them.</li>
 * </ul>
 */
package dev.livequery.core;
