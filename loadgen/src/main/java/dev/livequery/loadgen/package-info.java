/**
 * The load generator ({@code java -jar loadgen/target/livequery-loadgen.jar}).
 *
 * <p>Its commands ({@link dev.livequery.loadgen.Main}): {@code run}
 * ({@link dev.livequery.loadgen.RunCommand}: a {@link dev.livequery.loadgen.Fleet} of
 * {@link dev.livequery.loadgen.LiveClient}s, livequery's over WebSocket or SSE
 * ({@link dev.livequery.loadgen.LqWsClient}, {@link dev.livequery.loadgen.LqSseClient}) or a
 * peer's ({@link dev.livequery.loadgen.PeerWsClient}); the {@link dev.livequery.loadgen.WriteDriver};
 * {@link dev.livequery.loadgen.Stats} read once a second by {@link dev.livequery.loadgen.Progress};
 * the {@link dev.livequery.loadgen.Verifier}; results by {@link dev.livequery.loadgen.Report},
 * {@link dev.livequery.loadgen.Summary} and {@link dev.livequery.loadgen.Plots}), {@code record},
 * {@code replay}, {@code compare} and {@code targets}.
 *
 * <p>Why it looks the way it does:
 * <ul>
 *   <li><b>One client stack for every target.</b> The gateway and the peers (bench/peers: a bare
 *       Vert.x broadcast server and a Socket.IO server) are all driven through the same Netty
 *       WebSocket client ({@link dev.livequery.loadgen.WsClient}) on one shared event loop group, from
 *       the same JVM, so the client-side cost per message is the same and the ratios compare servers,
 *       not client libraries. Netty rather than {@code java.net.http}: the client shares the cores with
 *       the server it measures, and the JDK WebSocket's per-frame machinery made it a bottleneck of its
 *       own. Socket.IO is spoken as its Engine.IO v4 text framing
 *       ({@link dev.livequery.loadgen.PeerProtocol}) — three rules, not worth a second HTTP stack.</li>
 *   <li><b>Writes on the same transport.</b> The write driver and {@link
 *       dev.livequery.loadgen.ClusterLatency} send over {@link dev.livequery.loadgen.HttpWrites}
 *       (Netty, keep-alive connections, one request per connection at a time); one-off requests
 *       (seeding, metrics, the verifier's queries) and the SSE streams stay on {@code HttpClient}.</li>
 *   <li><b>Latency is write→client, wall clock.</b> The writer stamps each row with
 *       {@code ts} = epoch microseconds ({@link dev.livequery.loadgen.Clock}); the client subtracts on
 *       receipt. Same machine, same clock, so no skew.</li>
 *   <li><b>Workload with exactly one frame per write per subscriber.</b> Each shape
 *       {@code where g = k order -ts} holds {@code rows-per-shape <= window} rows, so every write
 *       is a {@code move} (or {@code update}) to index 0 in every window of its shape: the livequery
 *       delivery count is directly comparable to a peer's one broadcast message per write.</li>
 *   <li><b>Correctness under load.</b> Every livequery subscription keeps a {@link
 *       dev.livequery.testkit.Replica} by splice semantics; after the writers stop, each replica is
 *       compared with the one-shot query; any difference exits non-zero.</li>
 *   <li><b>Ephemeral ports.</b> Connections are spread over loopback source addresses 127.0.0.x, a
 *       few hundred to each ({@link dev.livequery.loadgen.ClientPool}), so
 *       10k connections plus their TIME_WAIT twins during a reconnect storm never exhaust one
 *       source address's port range.</li>
 *   <li><b>The client's own load is part of every result.</b> The load generator shares the cores
 *       with the server, so each phase records its CPU and the lag of its callback executor
 *       ({@link dev.livequery.loadgen.ClientLoad}); a client over 0.8 of a core is flagged, so its
 *       queueing is never read as server latency. For a JVM server it also records the collector's
 *       pauses ({@link dev.livequery.loadgen.ServerGc}), so a tail made of pauses is told from
 *       queueing. {@link dev.livequery.loadgen.Targets} judges the
 *       fan-out targets from a {@code bench/run} directory (paired ratios, median and spread).</li>
 *   <li><b>Everything stops by itself.</b> Every phase has a duration; writers are bounded by a
 *       rate and an in-flight cap; the run has an overall deadline.</li>
 *   <li><b>Two latency benchmarks ride along.</b> {@link dev.livequery.loadgen.ClusterLatency}
 *       ({@code bench/cluster-latency}) and {@link dev.livequery.loadgen.PgLatency}
 *       ({@code bench/pg-latency}) time one SSE subscriber against stamped writes; both read it
 *       through {@link dev.livequery.loadgen.LatencyStream}, so they are compiled (and kept
 *       compiling) with the rest.</li>
 * </ul>
 */
package dev.livequery.loadgen;
