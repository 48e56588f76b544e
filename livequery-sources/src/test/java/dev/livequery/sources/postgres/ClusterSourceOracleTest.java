package dev.livequery.sources.postgres;

import dev.livequery.core.EngineOptions;
import dev.livequery.core.Row;
import dev.livequery.redis.store.Redis;
import dev.livequery.redis.store.RowStore;
import dev.livequery.sources.postgres.SourceOracle.Feed;
import dev.livequery.sources.postgres.SqlScenario.Image;
import dev.livequery.testkit.Cluster;
import dev.livequery.testkit.Property;
import dev.livequery.testkit.Slow;
import dev.livequery.testkit.process.PostgresProcess;
import dev.livequery.testkit.process.RedisProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Cluster mode against Postgres as the oracle: the rows a holder of the source lease writes to
 * Redis (several transactions per Debezium batch, resolved against the rows Redis holds) equal
 * the table's after the snapshot and after each round of random transactions
 * ({@link SqlScenario}). A failure names the seed ({@code -Dlivequery.seed=…}), the shrunk
 * scenario and the SQL it ran.
 */
@Slow
@Cluster
class ClusterSourceOracleTest {
    static final int TRIES = 15;

    @Test
    void redisRowsEqualPostgresAfterEachRound() throws Exception {
        try (PostgresProcess pg = PostgresProcess.start();
                RedisProcess server = RedisProcess.start(false);
                Redis redis = Redis.connect(server.uri(), Duration.ofSeconds(2))) {
            RowStore store = new RowStore(redis, EngineOptions.defaults());
            Property.forAll(SqlScenario.scenarios(4))
                    .tries(TRIES)
                    .check(sc -> SourceOracle.check(pg, sc, schema -> {
                        String table = "t_" + schema;
                        ClusterSource src = ClusterSource.attach(
                                SourceOracle.node(pg, schema, table), server.uri(), EngineOptions.defaults(), "gw");
                        return new Feed() {
                            @Override
                            public List<Image> rows() throws Exception {
                                List<Image> out = new ArrayList<>();
                                for (Row r : store.table(table).rows()) {
                                    out.add(Image.of(r.id(), r.data()));
                                }
                                return out;
                            }

                            @Override
                            public boolean failed() {
                                return false; // a failing holder gives the lease up and tries again: the marker times
                                // out
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
