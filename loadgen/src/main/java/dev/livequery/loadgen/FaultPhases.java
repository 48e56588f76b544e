package dev.livequery.loadgen;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.testkit.Replica;
import java.net.URI;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The optional phases of a run that hurt the clients on purpose: slow consumers ({@code
 * --slow-fraction}) and a reconnect storm ({@code --storm}); each records what the server did and
 * how many subscriptions came back by resuming rather than by a reset.
 */
record FaultPhases(URI url, double slowFraction, int slowDuration, int stormConcurrency) {
    /** The receive buffer of a client that will be slow (see {@link LiveClient#receiveBuffer}). */
    static final int SLOW_RECEIVE_BUFFER = 64 << 10;
    /** A slow client that hears nothing this long after it reads again has lost its connection. */
    private static final long SILENT = java.util.concurrent.TimeUnit.SECONDS.toNanos(3);

    /** The clients the slow phase will stop: every (1 / fraction)-th, none without a fraction. */
    List<LiveClient> slowClients(List<LiveClient> all) {
        List<LiveClient> slow = new ArrayList<>();
        if (slowFraction > 0) {
            int every = (int) Math.max(1, Math.round(1 / slowFraction));
            for (int c = 0; c < all.size(); c += every) {
                slow.add(all.get(c));
            }
        }
        return slow;
    }

    /**
     * The last eid of each of a client's replicas, and since when: a client whose replicas have
     * not moved for {@link #SILENT} hears nothing. A client without replicas (a peer's) is never
     * silent by this measure.
     */
    private record Heard(List<String> eids, long since) {
        static Heard of(LiveClient c, long now) {
            return new Heard(c.replicas().stream().map(Replica::lastEid).toList(), now);
        }

        /** This, unless {@code later} saw the replicas move. */
        Heard since(Heard later) {
            return eids.equals(later.eids) ? this : later;
        }

        boolean silent(long now) {
            return !eids.isEmpty() && now - since > SILENT;
        }
    }

    /** Stops a share of the clients reading, then lets them read again and reconnect the torn-down ones. */
    void slow(ObjectNode n, Fleet fleet, Progress progress) throws InterruptedException {
        List<LiveClient> slow = slowClients(fleet.clients);
        HttpClient http = HttpClient.newHttpClient();
        double teardowns0 = ServerProbe.sum(ServerProbe.metrics(http, url), "livequery_teardowns_total", "");
        slow.forEach(c -> {
            c.slow(true);
            c.pause();
        });
        progress.phase("slow");
        Thread.sleep(slowDuration * 1000L);
        double teardowns1 = ServerProbe.sum(ServerProbe.metrics(http, url), "livequery_teardowns_total", "");
        progress.phase("slow-end");
        slow.forEach(LiveClient::resume);
        // Read what the socket still holds; a torn-down client then sees its close frame, or EOF
        // when the server had to drop a socket no close frame could pass. Wait until every
        // connection the server has closed has ended on its client's side too (a deadline passing
        // in the phase's last moments closes just after it), or 20 s. A connection can also die
        // without its client seeing an end: the kernel may give up on the server's orphaned socket
        // without a reset. Such a client's replicas stop moving while its shape is written (~80
        // frames/s in bench/run's slow run); after SILENT of that it counts as ended, as a real
        // client's liveness check would find (the protocol's pings), and is dropped and
        // reconnected with the rest.
        Map<LiveClient, Heard> heard = new IdentityHashMap<>();
        long readingAgain = System.nanoTime();
        slow.forEach(c -> heard.put(c, Heard.of(c, readingAgain)));
        double teardowns2 = teardowns1;
        List<LiveClient> torn = List.of();
        for (int i = 0, settled = 0; i < 20 && settled < 2; i++) {
            Thread.sleep(1000);
            teardowns2 = ServerProbe.sum(ServerProbe.metrics(http, url), "livequery_teardowns_total", "");
            long now = System.nanoTime();
            slow.forEach(c -> heard.merge(c, Heard.of(c, now), Heard::since));
            torn = slow.stream()
                    .filter(c -> c.gone() || heard.get(c).silent(now))
                    .toList();
            settled = torn.size() >= teardowns2 - teardowns0 ? settled + 1 : 0;
        }
        List<LiveClient> silent = torn.stream().filter(c -> !c.gone()).toList();
        silent.forEach(LiveClient::drop);
        long closed4008 = slow.stream().filter(c -> c.closeCode() == 4008).count();
        n.put("slow_clients", slow.size());
        n.put("slow_receive_buffer_bytes", SLOW_RECEIVE_BUFFER);
        n.put("slow_seconds", slowDuration);
        n.put("server_teardowns_during_slow_phase", teardowns1 - teardowns0);
        n.put("server_teardowns_by_drain", teardowns2 - teardowns0);
        n.put("slow_clients_disconnected", torn.size());
        n.put("slow_clients_silent", silent.size());
        n.put("slow_clients_seen_close_4008", closed4008);
        System.err.printf(
                "loadgen: %d slow clients; server teardowns %.0f by the end of the slow phase, %.0f once they"
                        + " drained; disconnected %d (close 4008 seen by %d, silent without an end %d)%n",
                slow.size(), teardowns1 - teardowns0, teardowns2 - teardowns0, torn.size(), closed4008, silent.size());
        slow.forEach(c -> c.slow(false));
        if (!torn.isEmpty()) {
            Fleet.Round again = fleet.connectAll(torn, stormConcurrency, 60);
            Measures.round(n.putObject("reconnect_after_teardown"), again);
            long resumed = torn.stream()
                    .flatMap(c -> c.replicas().stream())
                    .filter(Replica::lastReadyResumed)
                    .count();
            // Why the others were reset (e.g. resume_miss: their last eid fell out of the horizon)
            Map<String, Integer> causes = new TreeMap<>();
            torn.stream()
                    .flatMap(c -> c.replicas().stream())
                    .filter(r -> !r.lastReadyResumed() && !r.resetCauses().isEmpty())
                    .forEach(r -> causes.merge(r.resetCauses().getLast(), 1, Integer::sum));
            n.put("reconnected_resumed_without_reset", resumed);
            causes.forEach(n.putObject("reconnected_reset_causes")::put);
            System.err.printf(
                    "loadgen: %d torn-down clients reconnected, %d resumed without reset%s%n",
                    again.ok(), resumed, causes.isEmpty() ? "" : ", the others reset: " + causes);
        }
    }

    /** Drops every WebSocket client at once and reconnects them with their last eids. */
    void storm(ObjectNode n, Fleet fleet, Progress progress, ServerProbe probe) throws InterruptedException {
        List<LiveClient> ws =
                fleet.clients.stream().filter(c -> c instanceof LqWsClient).toList();
        Map<Replica, Integer> resetsBefore = new IdentityHashMap<>();
        ws.forEach(c ->
                c.replicas().forEach(r -> resetsBefore.put(r, r.resetCauses().size())));
        progress.phase("storm");
        double[] cpu0 = Measures.cpu(probe);
        fleet.drop(ws);
        Fleet.Round r = fleet.connectAll(ws, stormConcurrency, 120);
        Measures.cpu(n, probe, cpu0, "storm");
        long resumed = 0;
        long subsTotal = 0;
        for (LiveClient c : ws) {
            for (Replica rep : c.replicas()) {
                subsTotal++;
                if (rep.ready() && rep.lastReadyResumed() && rep.resetCauses().size() == resetsBefore.get(rep)) {
                    resumed++;
                }
            }
        }
        Measures.round(n, r);
        n.put("subscriptions", subsTotal);
        n.put("resumed_without_reset", resumed);
        n.put("resumed_share", subsTotal == 0 ? 0 : Report.round((double) resumed / subsTotal));
        System.err.printf(
                "loadgen: storm: %d/%d reconnected in %.1f s, p99 %d ms; %d/%d subscriptions resumed "
                        + "without reset%n",
                r.ok(),
                ws.size(),
                r.seconds(),
                r.millis().getTotalCount() > 0 ? r.millis().getValueAtPercentile(99) : -1,
                resumed,
                subsTotal);
        System.err.println("loadgen: storm steps: " + r.stepsLine());
        progress.phase("after-storm");
        Thread.sleep(2000);
    }
}
