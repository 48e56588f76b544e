/**
 * Identity and access at the edge (PROTOCOL §9): who a request is, what it may read and write,
 * and how much of the gateway it may use.
 *
 * <p>The pieces, each with one job:
 * <ul>
 *   <li>{@link dev.livequery.gateway.auth.TokenVerifier} verifies a JWT with Nimbus JOSE only (no
 *       hand-written JOSE code). The algorithm is pinned by the configured key, so {@code none} and
 *       HS/RS confusion fail in the key selector, before any signature code runs. With keys fixed
 *       for the life of the process, {@link dev.livequery.gateway.auth.VerifiedTokens} remembers
 *       a token that verified, so a client's every write is not a signature check; {@code exp} is
 *       still checked on every use.</li>
 *   <li>{@link dev.livequery.gateway.auth.Credentials} finds the token where §9 says it travels
 *       (header, cookie, query parameter; first found wins) and nowhere else.</li>
 *   <li>{@link dev.livequery.gateway.auth.Rules} turns the rule map into a filter per (token, table,
 *       read|write). A filter is the §2 {@code where} with the token's claims substituted; it is
 *       handed to the engine as a separate member of the shape (never merged into the user's
 *       {@code where}), so two tenants never share a view and one tenant's subscribers do.
 *       A claim that is absent denies: a missing claim must never widen a filter to "all". A list
 *       member with its own {@code or} is distributed at start ({@code Distribute}), since §2 has
 *       one level of {@code or} and the list is already one.</li>
 *   <li>{@link dev.livequery.gateway.auth.Quotas} bounds what one principal may hold, with memory
 *       bounded by the number of principals that currently hold something.</li>
 *   <li>{@link dev.livequery.gateway.auth.Auth} is the one object the endpoints talk to.</li>
 * </ul>
 *
 * <p>Secrets (tokens, the HMAC key, passwords in URIs) never reach a log line:
 * {@link dev.livequery.gateway.auth.Redact} scrubs every record the JUL handlers format.
 */
package dev.livequery.gateway.auth;
