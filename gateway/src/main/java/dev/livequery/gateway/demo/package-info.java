/**
 * The demo: a {@code demo_items} table seeded with a few thousand rows, a change simulator, and the
 * page at {@code /} (static HTML and JS in {@code resources/web}, no build step, no CDN).
 *
 * <p>The simulator writes through the {@link dev.livequery.core.Backend} like any HTTP client
 * would, so the page shows exactly what a real deployment would deliver. It runs on one daemon
 * scheduler thread at a fixed rate; it never blocks on a client.
 */
package dev.livequery.gateway.demo;
