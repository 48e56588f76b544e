package dev.livequery.sources.postgres;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.EngineOptions;
import dev.livequery.core.Json;
import dev.livequery.core.LocalBackend;
import dev.livequery.core.Query;
import dev.livequery.core.Row;
import dev.livequery.sources.postgres.SourceOracle.Feed;
import dev.livequery.sources.postgres.SqlScenario.Image;
import dev.livequery.testkit.Property;
import dev.livequery.testkit.Slow;
import dev.livequery.testkit.process.PostgresProcess;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Embedded mode against Postgres as the oracle: after the snapshot and after each round of
 * random transactions ({@link SqlScenario}: multi-row, rolled back, key changes and swaps,
 * updates leaving large TOASTed text and jsonb unchanged, one row changed several times, TRUNCATE)
 * the backend's rows equal the table's. A failure names the seed ({@code -Dlivequery.seed=…}),
 * the shrunk scenario and the SQL it ran.
 */
@Slow
class PostgresSourceOracleTest {
    static final int TRIES = 20;

    @Test
    void theBackendsRowsEqualPostgresAfterEachRound() throws Exception {
        try (PostgresProcess pg = PostgresProcess.start()) {
            Property.forAll(SqlScenario.scenarios(4))
                    .tries(TRIES)
                    .check(sc -> SourceOracle.check(pg, sc, schema -> {
                        LocalBackend b = new LocalBackend(EngineOptions.defaults());
                        PostgresSource src =
                                PostgresSource.start(PostgresSourceConfig.from(SourceOracle.node(pg, schema, "t")), b);
                        return new Feed() {
                            @Override
                            public List<Image> rows() throws Exception {
                                ObjectNode q = Json.MAPPER
                                        .createObjectNode()
                                        .put("table", "t")
                                        .put("limit", 100);
                                List<Image> out = new ArrayList<>();
                                for (Row r : b.query(Query.parse(q)).rows()) {
                                    out.add(Image.of(r.id(), r.data()));
                                }
                                return out;
                            }

                            @Override
                            public boolean failed() {
                                return src.state() == PostgresSource.State.FAILED;
                            }

                            @Override
                            public Object health() {
                                return src.health();
                            }

                            @Override
                            public void close() {
                                src.close();
                                SourceOracle.dropSlot(pg, "slot_" + schema);
                            }
                        };
                    }));
            System.out.println("snapshots of an empty table with a transaction folded in: "
                    + SourceOracle.SNAPSHOTS_WITH_A_TRANSACTION.get());
        }
    }
}
