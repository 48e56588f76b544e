/**
 * PostgreSQL as a source: every committed change of the configured tables flows into live
 * windows, whole transactions at a time, in commit order.
 *
 * <h2>Why Debezium, and which parts of it</h2>
 * Decoding the replication stream is a job with years of edge cases (TOAST, replica identity,
 * key changes, reconnects, slot acknowledgement, snapshot/stream hand-over); Debezium's Postgres
 * connector does it with the {@code pgoutput} plugin that ships with Postgres, so the server
 * needs no extension. We run its <em>embedded engine</em> (no Kafka broker): records arrive in
 * commit order with {@code BEGIN}/{@code END} transaction records around them
 * ({@code provide.transaction.metadata}). PgJDBC's replication API alone would mean decoding
 * {@code pgoutput}'s binary messages by hand, which is what we wanted not to own. The price is
 * weight: 15 MB of jars in the gateway's libs/ (kafka-clients alone is 10 MB, PgJDBC 1.2 MB;
 * Connect's REST server, Jersey, Jetty, compression codecs and the decoderbufs plugin's protobuf
 * are excluded, see the pom), and kafka-clients 4.3 pinned over Helidon's BOM (3.9.1), which Connect 4.3 needs.
 * Jackson stays at the version Helidon's BOM pins (2.18.1) for everything.
 *
 * <h2>From records to atomic steps</h2>
 * {@link dev.livequery.sources.postgres.Transactions} cuts the stream into the initial snapshot
 * and committed transactions; {@link dev.livequery.sources.postgres.PostgresSource} applies each
 * with {@code LocalBackend.ingestAtomically} (one table-lock hold per fed table, frames held back
 * until the last change), so no subscriber is ever sent half of a transaction's effect on its
 * window. A transaction touching several fed tables is applied table by table: each window shows
 * one table, and each of them moves in one step.
 *
 * <h2>Versions and positions</h2>
 * A row's version is {@code commitLsn << 16 | i} (i-th change of that table in the transaction),
 * the snapshot's rows carry {@code snapshotLsn << 16}: versions grow with the commit order of
 * Postgres itself, so they stay monotonic across restarts of this process and of Postgres (the
 * numbering holds for 65,536 changes per table per transaction and LSNs below 2^47, i.e. 128 TiB
 * of WAL; past that the engine still never goes back, see {@code ingestAtomically}). Embedded
 * mode keeps its position in memory only: a restarted gateway drops the idle slot of its earlier
 * run, snapshots again, and clients resuming across the restart get {@code reset epoch}.
 * Within a process, Debezium restarts its task after a lost connection or a Postgres restart and
 * replays from the last acknowledged offset; a transaction whose commit LSN is not above the last
 * applied one is skipped, so each is applied exactly once. The slot is acknowledged only for
 * records whose transaction was applied. When the restarted task cannot connect either (Postgres
 * still starting: its type-registry connection fails, which Debezium does not retry), the engine
 * stops; {@link dev.livequery.sources.postgres.PostgresSource} rebuilds it with backoff
 * ({@link dev.livequery.sources.postgres.Reconnects}) over the same in-memory offsets
 * ({@link dev.livequery.sources.postgres.HeldOffsets}), so it resumes where the old one stopped.
 *
 * <h2>Values</h2>
 * See {@link dev.livequery.sources.postgres.ColumnValues}: exact numbers, strings (livequery
 * orders them by code point, which is Postgres' {@code COLLATE "C"}), ISO-8601 UTC timestamps of
 * one width, nested json and arrays. {@link dev.livequery.sources.postgres.Catalog} refuses at
 * start what has no exact mapping, tables without a one-column primary key, and tables missing
 * from an existing publication.
 *
 * <h2>Not built yet: cluster mode</h2>
 * The design it would follow: a source lease in Redis like a partition's (one holder, renewed,
 * fenced by an epoch), the holder running this engine; each transaction written with its commit
 * LSN in the same Redis script that stores its rows and appends its changes, the script refusing
 * a transaction at or below the stored LSN (exactly once across failover, without the in-memory
 * check); a new holder starts Debezium from the stored LSN through an offset store that reads it,
 * instead of snapshotting. Until then {@code livequery.backend=redis} with a source configured
 * refuses to start.
 */
package dev.livequery.sources.postgres;
