/**
 * The processes a test starts for itself, each on a free loopback port and removed by
 * {@code close()}, so that a test can kill, pause or restart them: never the machine's own.
 *
 * <ul>
 *   <li>{@link dev.livequery.testkit.process.RedisProcess}: one {@code redis-server} (optionally
 *       with AOF, {@code appendfsync always}), which a test can SIGKILL, SIGSTOP, wipe and launch
 *       again on the same port.
 *   <li>{@link dev.livequery.testkit.process.RedisCluster}: a Redis Cluster of three masters (and
 *       replicas if asked), with {@code CLUSTER NODES} parsed for failover tests.
 *   <li>{@link dev.livequery.testkit.process.PostgresProcess}: a throw-away PostgreSQL with
 *       {@code wal_level=logical}, for the Postgres source.
 *   <li>{@link dev.livequery.testkit.process.ShardProcess} and
 *       {@link dev.livequery.testkit.process.GatewayProcess}: a shard or a gateway as a separate
 *       JVM, so a test can SIGKILL it. They run {@code java -cp} of the system property
 *       {@code lq.test.classpath} (the calling module's surefire configuration sets it to its
 *       runtime classpath); the main class is named, not linked, because the kit depends on no
 *       livequery module. A package-private {@code ProcessLog} copies their output to
 *       a log file the test can watch and print on failure.
 *   <li>{@link dev.livequery.testkit.process.TcpProxy}: a proxy in front of a Redis or a Postgres
 *       that delays, throttles, cuts or drops connections: the network faults of the fault tests.
 * </ul>
 *
 * <p>Each needs its program ({@code redis-server}, {@code redis-cli}, {@code initdb}); the
 * {@link dev.livequery.testkit.Cluster} tag checks for redis-server before a test starts.
 */
package dev.livequery.testkit.process;
