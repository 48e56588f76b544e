package dev.livequery.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livequery.testkit.Property;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The engine against a brute-force oracle: random writes (ties, nulls, missing fields, mixed
 * kinds, big and decimal numbers, non-BMP strings, nested values in sort fields), several shapes
 * with several subscriptions each, reanchors, partial drains, disconnects and resumes from any
 * earlier eid (also mid-snapshot and mid-change), forged and foreign tokens, tiny queues and
 * tiny resume horizons. After every drain the naive client's window must be the oracle's.
 *
 * <p>1000 tries; a long run: {@code ./mvnw -pl livequery-core -am verify -Dtest=EngineOraclePropertyTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Dlivequery.tries=20000}. A failure prints the seed
 * that replays it ({@code -Dlivequery.seed=…}).
 */
class EngineOraclePropertyTest {
    /** Events each run of 1000 tries must reach, so that a generator that stops reaching them shows. */
    static final List<String> EVENTS = List.of(
            "frame move",
            "frame update",
            "frame leave",
            "frame reset overflow",
            "frame reset resume_miss",
            "resumed ready",
            "resume expecting RESUMED from mid-snapshot",
            "resume expecting RESUMED from row frame",
            "resume expecting RESUMED from resume splice",
            "resume expecting RESUME_MISS from ready",
            "resume expecting RESUME_MISS",
            "reanchor splice checked");

    static final int TRIES = 1000;

    @Test
    void engineMatchesOracle() {
        Property<OracleScenario> property =
                Property.forAll(OracleScenario.scenarios()).tries(TRIES);
        Map<String, Integer> reached = new TreeMap<>();
        EVENTS.forEach(e -> reached.put(e, 0));
        property.check(scenario -> {
            OracleRun run = new OracleRun(scenario);
            run.run();
            for (String e : EVENTS) {
                if (run.events.contains(e)) {
                    reached.merge(e, 1, Integer::sum);
                }
            }
        });
        int tries = property.effectiveTries();
        StringBuilder table = new StringBuilder("tries that reached each event, of " + tries + ":");
        reached.forEach((e, n) -> table.append(String.format("%n  %5d  %s", n, e)));
        System.out.println(table);
        if (tries >= TRIES) {
            assertThat(reached)
                    .as("%s", table)
                    .allSatisfy((e, n) -> assertThat(n).as(e).isPositive());
        }
    }
}
