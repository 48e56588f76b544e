package dev.livequery.core;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import java.util.List;

/**
 * The engine against a brute-force oracle: random writes (ties, nulls, missing fields, mixed
 * kinds, big and decimal numbers, non-BMP strings, nested values in sort fields), several shapes
 * with several subscriptions each, reanchors, partial drains, disconnects and resumes from any
 * earlier eid (also mid-snapshot and mid-change), forged and foreign tokens, tiny queues and
 * tiny resume horizons. After every drain the naive client's window must be the oracle's.
 *
 * <p>Tries come from {@code jqwik.tries.default}: 1000 from junit-platform.properties, or
 * {@code ./mvnw -pl livequery-core test -Dtest=EngineOraclePropertyTest -Djqwik.tries=20000}.
 */
class EngineOraclePropertyTest {
    /** Events whose share of tries jqwik reports, so that a generator that stops reaching them shows. */
    static final List<String> EVENTS = List.of("frame move", "frame update", "frame leave", "frame reset overflow",
            "frame reset resume_miss", "resumed ready", "resume expecting RESUMED from mid-snapshot",
            "resume expecting RESUMED from row frame",
            "resume expecting RESUMED from resume splice", "resume expecting RESUME_MISS from ready",
            "resume expecting RESUME_MISS", "reanchor splice checked");

    @Property
    void engineMatchesOracle(@ForAll("scenarios") OracleScenario scenario) {
        OracleRun run = new OracleRun(scenario);
        run.run();
        for (String e : EVENTS) {
            Statistics.label(e).collect(run.events.contains(e));
        }
    }

    @Provide
    Arbitrary<OracleScenario> scenarios() {
        return OracleScenario.scenarios();
    }
}
