/**
 * The engine benchmark behind {@code bench/engine}: the incremental engine against re-running
 * every affected query and diffing the windows, on one deterministic {@code Workload}, measured
 * side by side in one JMH run because these machines are shared and noisy.
 *
 * <p>Before anything is timed, {@code EngineReport} applies thousands of changes to both sides and
 * checks that their windows agree: a fast engine that is wrong would otherwise look good here.
 * The baseline ({@code Requery}) is deliberately the strong one (typed records, an index on the
 * filtered field, bounded top-k selection), so the ratio is not flattered.
 */
package dev.livequery.bench;
