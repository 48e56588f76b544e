/**
 * The gateway process: settings, wiring of the Helidon server, startup and shutdown.
 *
 * <p>The gateway speaks only to {@link dev.livequery.core.Backend}; it holds no query logic and no
 * state a client needs, so any gateway can serve any reconnecting client (resume tokens are
 * verified by the backend). Layers live in sub-packages: {@code delivery} (one bounded outbound
 * path and one writer per connection), {@code auth} (identity, access rules and quotas),
 * {@code metrics}, {@code ws}, {@code sse}, {@code http}, {@code demo}.
 *
 * <p>Here: {@link dev.livequery.gateway.Main} starts a gateway from its configuration (the backend,
 * a Postgres source, the demo); {@link dev.livequery.gateway.Gateway} is the running Helidon server
 * with its routes and connections. {@link dev.livequery.gateway.Settings} holds every key of
 * {@code application.yaml}, each named once in {@code SettingsKeys}, with its default in
 * {@code SettingsBuilder}, read through {@link dev.livequery.gateway.ConfigLookup} (which also takes
 * a key's obvious environment spelling, {@code LIVEQUERY_WRITE_DEADLINE}) and checked at start by
 * {@code SettingsCheck}.
 */
package dev.livequery.gateway;
