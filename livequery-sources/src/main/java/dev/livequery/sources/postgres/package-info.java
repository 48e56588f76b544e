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
 * and committed transactions; {@link dev.livequery.sources.postgres.PostgresSource} runs the
 * engine, and {@link dev.livequery.sources.postgres.Batches} hands each unit to an
 * {@link dev.livequery.sources.postgres.Applier}, acknowledging a record to Postgres only after the
 * unit it completed was applied. Embedded mode:
 * {@link dev.livequery.sources.postgres.LocalApplier} applies each with
 * {@code LocalBackend.ingestAtomically} (one table-lock hold per fed table, frames held back
 * until the last change), so no subscriber is ever sent half of a transaction's effect on its
 * window. A transaction touching several fed tables is applied table by table: each window shows
 * one table, and each of them moves in one step. How a table's share of changes becomes rows
 * (unchanged TOAST values taken from the row as it was, the new row of a key change from the old
 * key's, truncates) is {@link dev.livequery.sources.postgres.RowResolver}'s alone: both appliers
 * use it, and so does {@code Transactions} for a transaction folded into an empty snapshot.
 *
 * <h2>Versions and positions (embedded mode)</h2>
 * A row's version is {@code commitLsn << 16 | i} (i-th change of that table in the transaction),
 * the snapshot's rows carry {@code snapshotLsn << 16}: versions grow with the commit order of
 * Postgres itself, so they stay monotonic across restarts of this process and of Postgres (the
 * numbering holds for 65,536 changes per table per transaction and LSNs below 2^47, i.e. 128 TiB
 * of WAL; past that the engine still never goes back, see {@code ingestAtomically}). Embedded
 * mode keeps its position in memory only: a restarted gateway drops the idle slot of its earlier
 * run, snapshots again, and clients resuming across the restart get {@code reset epoch}.
 * Within a process, Debezium restarts its task after a lost connection or a Postgres restart and
 * replays from the last acknowledged offset; a transaction whose commit LSN is not above the last
 * applied one is skipped, so each is applied exactly once. When the restarted task cannot connect
 * either (Postgres still starting: its type-registry connection fails, which Debezium does not
 * retry), the engine stops; {@link dev.livequery.sources.postgres.PostgresSource} rebuilds it with
 * backoff ({@link dev.livequery.sources.postgres.Reconnects}) over the same in-memory offsets
 * ({@link dev.livequery.sources.postgres.HeldOffsets}), so it resumes where the old one stopped.
 * Debezium's own retries do not stop the engine and tell nobody: a source that has heard nothing
 * for ten heartbeat intervals says it is reconnecting
 * ({@link dev.livequery.sources.postgres.SilenceWatch}), and looks at the slot (one dropped or
 * invalidated meanwhile would have Debezium retry for half an hour before it gives up). Those
 * heartbeats are made by Debezium itself, so they go on while Postgres is frozen or the network
 * drops every packet: the source also asks Postgres every second
 * ({@link dev.livequery.sources.postgres.PostgresProbe}), on a connection of its own
 * with bounded timeouts ({@code Catalog.TIMEOUTS}), and says it is reconnecting when no answer
 * came for as long.
 *
 * <h2>Cluster mode: a gateway role under a lease</h2>
 * Which process streams: a role of the gateway ({@link dev.livequery.sources.postgres.ClusterSource}),
 * held by whichever gateway configured with the source holds its lease. The smallest design that
 * is correct: the gateway already carries Debezium for embedded mode (a shard would gain 15 MB of
 * jars; a separate {@code livequery-source} process would be one more thing to deploy and to run
 * twice for failover), and the lease, not the process kind, is what makes one streamer at a time.
 * The lease is the partitions' fenced lease on the slot's own key
 * ({@code dev.livequery.redis.cluster.SourceLease}), TTL 3 s.
 *
 * <p>Exactly once across failover: {@link dev.livequery.sources.postgres.RedisApplier} writes each
 * fed table's share of a Debezium batch's whole transactions through
 * {@code dev.livequery.redis.store.SourceWrites}, one Redis script that stores the rows, appends
 * the changes and stores the position in that table (the last transaction's commit LSN, its
 * record's Debezium offset, a change count), refusing a commit LSN at or below the stored one and
 * a lease fence below the one that claimed the table. One script per table per batch, not a read
 * and a write per transaction: that is what lets one holder keep up with thousands of changes a
 * second. Records are acknowledged only after the batch's scripts returned. Positions are per table
 * because a transaction may span partitions, which one script cannot on a Redis Cluster. Before
 * Debezium may acknowledge a batch, the tables it did not touch are moved forward to the batch's
 * offset, so every stored position is at or past what the slot was told. A new holder claims
 * every table with its fence (the old holder can write nothing after that), seeds Debezium's
 * offsets from the lowest stored position ({@link dev.livequery.sources.postgres.HeldOffsets#seed},
 * in Connect's own serialisation) and resumes the slot: transactions after it are replayed, and
 * each table's share at or below that table's stored LSN is skipped (an untouched table is moved
 * forward only to what the replay has brought, never to a further table's position). A table without a stored position means a first start:
 * the slot is dropped and the source snapshots, each table replaced in one write with its position.
 * So does a slot that can no longer replay from the stored positions
 * ({@link dev.livequery.sources.postgres.ReplicationSlot#lost}: dropped or invalidated meanwhile):
 * Debezium would refuse to resume from them for ever. In embedded mode such a slot fails the source
 * ({@code source_slot_lost}), where Debezium's own refusal would be an unexplained dump of its offset.
 * Versions are the tables' Redis change counters (the shards' engines number changes by them).
 *
 * <h2>Values</h2>
 * See {@link dev.livequery.sources.postgres.ColumnValues}: exact numbers, strings (livequery
 * orders them by code point, which is Postgres' {@code COLLATE "C"}), ISO-8601 UTC timestamps of
 * one width, nested json and arrays. {@link dev.livequery.sources.postgres.Catalog} refuses at
 * start what has no exact mapping, tables without a one-column primary key or with a deferrable
 * one, a replica identity that would send a DELETE without that key, a non-key column named
 * {@code id}, and an existing publication that would not send every change (a table missing, an
 * operation not published, a partitioned table not published via its root, a row filter or a
 * partial column list). Values
 * Debezium would hand over wrong are refused at run time instead: a numeric NaN, a
 * multi-dimensional array ({@link dev.livequery.sources.postgres.ArrayDimensions}). A row whose
 * key's text is no livequery id is skipped and counted, so that one row cannot stop the feed.
 * {@code Catalog}'s checks are {@code TableCheck} (per fed table) and {@code PublicationCheck}.
 *
 * <h2>What the gateway sees</h2>
 * {@link dev.livequery.sources.postgres.PostgresSourceConfig} reads
 * {@code livequery.sources.postgres.*}; a running source, either mode, is a
 * {@link dev.livequery.sources.postgres.SourceStatus} ({@code /health}, metrics from
 * {@code SourceCounters}); {@link dev.livequery.sources.postgres.SourcedBackend} wraps the
 * gateway's backend so that fed tables refuse HTTP writes unless {@code writable}; a source that
 * cannot start or go on throws a {@link dev.livequery.sources.postgres.SourceException} with its
 * {@code source_*} code. {@code EngineProperties} are Debezium's settings, {@code DebeziumLogs}
 * quiets its loggers, {@code JdbcUrls} redacts URLs for log lines.
 */
package dev.livequery.sources.postgres;
