/**
 * The gateway process: settings, wiring of the Helidon server, startup and shutdown.
 *
 * <p>The gateway speaks only to {@link dev.livequery.core.Backend}; it holds no query logic and no
 * state a client needs, so any gateway can serve any reconnecting client (resume tokens are
 * verified by the backend). Layers live in sub-packages: {@code delivery} (one bounded outbound
 * path and one writer per connection), {@code auth} (identity, access rules and quotas),
 * {@code metrics}, {@code ws}, {@code sse}, {@code http}, {@code demo}.
 */
package dev.livequery.gateway;
