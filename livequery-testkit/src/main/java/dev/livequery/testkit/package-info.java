/**
 * What every module's tests share, without depending on any livequery module (so that core's own
 * tests can use it).
 *
 * <h2>The replica</h2>
 * {@link dev.livequery.testkit.Replica} is a client's window built only by applying frames as
 * PROTOCOL §3 splice semantics say, checking every index, id and version it is given. Engine,
 * wire, cluster and fault tests and the load generator all use this one; core and shard tests
 * feed it engine frames through their wire encoding.
 *
 * <h2>The truth model</h2>
 * {@link dev.livequery.testkit.Oracle} recomputes any window from scratch from the protocol's
 * definitions (value order, where, order, cursors as row images) on raw Jackson trees, sharing no
 * code with the engine: the engine's oracle tests compare against it, and the engine's one-shot
 * query, checked against it there, is in turn the truth that wire, cluster and fault tests read.
 *
 * <h2>Property tests</h2>
 * {@link dev.livequery.testkit.Property} runs a check on values from a
 * {@link dev.livequery.testkit.Gen}; a failing value is shrunk and reported with the seed that
 * replays it ({@code -Dlivequery.seed=…}), tries are set per run with {@code -Dlivequery.tries=…}.
 * Generators draw every random decision from a {@link dev.livequery.testkit.Source} as a sequence
 * of numbers, and the shrinker ({@code Shrinker}) edits that sequence rather than the values (the approach of
 * Hypothesis): generators need no shrinking code of their own, any edit still generates a valid
 * value, and dropping the numbers of one list element drops one operation of a scenario. A
 * failure is a {@link dev.livequery.testkit.PropertyFailure}, its message led by the seed. It
 * replaces jqwik, whose current release asks not to be used by automated coding agents.
 *
 * <h2>Tags</h2>
 * {@link dev.livequery.testkit.Cluster} (starts redis-server), {@link dev.livequery.testkit.Browser}
 * (drives Chromium) and {@link dev.livequery.testkit.Slow} put the JUnit tags {@code cluster},
 * {@code browser} and {@code slow} on a test class; {@code bin/test --fast} excludes all three. The
 * first two also check for their program before the test starts ({@code Requirements}) and fail
 * with one line naming the Debian package ({@link dev.livequery.testkit.Tools}), instead of a stack trace from deep
 * inside a process launcher.
 *
 * <h2>Stale without being told</h2>
 * {@link dev.livequery.testkit.SilenceChecker} samples clients against the truth and records, per
 * client, the longest time its window differed while it was neither told {@code status stale} nor
 * resyncing after a reset ({@link dev.livequery.testkit.Silence} holds that rule and is tested on
 * its own clock). The caller says what the truth and "told" are, so fault tests of any module use it.
 *
 * <h2>A stalled host</h2>
 * {@link dev.livequery.testkit.StallWatch} measures how long the test's own JVM went without
 * running. A test that holds another process to a deadline (a lease renewed, a partition re-owned)
 * discounts what the host stalled, which held that process up too, and fails on the rest.
 *
 * <h2>Processes and clients</h2>
 * {@link dev.livequery.testkit.process} starts what a test needs as real processes (redis-server,
 * a Redis Cluster, Postgres, a shard or gateway JVM) and puts a fault-injecting TCP proxy in front
 * of them; {@link dev.livequery.testkit.wire} holds the WebSocket and SSE clients that gateway tests
 * talk to a gateway with.
 */
package dev.livequery.testkit;
