/**
 * The JSON HTTP API of PROTOCOL §7, plus {@code /health} and {@code /metrics}.
 *
 * <p>Every handler is wrapped by {@link dev.livequery.gateway.http.HttpErrors#guard}: protocol
 * errors become {@code {"error":{"code","message"}}} with the code's status, anything unexpected
 * becomes a 500 with a generic message and one WARNING log line with the stack trace, so a client
 * never sees a trace. Bodies are read through a size cap before parsing, and parsed with the shared
 * {@link dev.livequery.core.Json#MAPPER} (exact numbers, duplicate keys refused), not Helidon's
 * default mapper.
 *
 * <p>{@link dev.livequery.gateway.http.RequestDeadline} bounds, for every HTTP/1 request (WebSocket
 * upgrades included), the time its headers and its body take to arrive, which Helidon does not.
 *
 * <p>The routes: {@link dev.livequery.gateway.http.RowsApi} ({@code /v1/tables/{t}/…}, with
 * {@link dev.livequery.gateway.http.Params} for a window's query-string parameters, shared with
 * SSE), {@link dev.livequery.gateway.http.HealthAndMetrics} and
 * {@link dev.livequery.gateway.http.ClientScript} ({@code /v1/client/livequery.js} and its types).
 * {@link dev.livequery.gateway.http.JsonDirectHandler} puts what Helidon answers before any route
 * runs into the same JSON error body.
 */
package dev.livequery.gateway.http;
