/**
 * The Vert.x peer of bench/run: a bare room broadcast server, the floor livequery's per-delivery
 * cost is measured against. It has its own pom and is not a module of the project's build, so
 * the project never depends on Vert.x.
 */
package dev.livequery.peers.vertx;
