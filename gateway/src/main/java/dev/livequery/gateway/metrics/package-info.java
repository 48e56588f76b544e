/**
 * The gateway's Prometheus metrics, served at {@code /metrics} by
 * {@link dev.livequery.gateway.http.HealthAndMetrics}.
 *
 * <p>Why a package of its own: the metrics read the delivery path's gauges (connections,
 * subscriptions, queue depth) and are fed by it through
 * {@link dev.livequery.gateway.delivery.DeliveryMetrics}, so they sit beside delivery rather than
 * inside it, and delivery knows only that small interface.
 */
package dev.livequery.gateway.metrics;
