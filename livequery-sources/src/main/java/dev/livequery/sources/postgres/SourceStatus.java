package dev.livequery.sources.postgres;

import java.util.Map;

/**
 * A running source as the gateway sees it, whichever mode: its configuration (which tables it
 * feeds), whether its tables can be served, what {@code /health} and the metrics say about it.
 * {@link PostgresSource} in embedded mode, {@link ClusterSource} in cluster mode.
 */
public interface SourceStatus extends AutoCloseable {
    PostgresSourceConfig config();

    /** Whether the fed tables can be served (false: not loaded yet, or failed for good). */
    boolean ready();

    /** The {@code source} object of {@code /health}. */
    Map<String, Object> health();

    /** Reported as {@code livequery_backend_source_*} metrics. */
    Map<String, Long> gauges();

    @Override
    void close();
}
