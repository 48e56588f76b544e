package dev.livequery.loadgen;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.testkit.Replica;
import java.net.URI;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The optional phases of a run that hurt the clients on purpose: slow consumers ({@code
 * --slow-fraction}) and a reconnect storm ({@code --storm}); each records what the server did and
 * how many subscriptions came back by resuming rather than by a reset.
 */
record FaultPhases(URI url, double slowFraction, int slowDuration, int stormConcurrency) {
    /** Stops a share of the clients reading, then lets them read again and reconnect the torn-down ones. */
    void slow(ObjectNode n, Fleet fleet, Progress progress) throws InterruptedException {
        int every = (int) Math.max(1, Math.round(1 / slowFraction));
        List<LiveClient> slow = new ArrayList<>();
        for (int c = 0; c < fleet.clients.size(); c += every) {
            slow.add(fleet.clients.get(c));
        }
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
        // Read what the socket still holds; a torn-down client then sees EOF (the server could not
        // send a close frame through a full buffer, so 4008 is rarely seen by the client itself).
        long lastGone = -1;
        for (int i = 0, stable = 0; i < 20 && stable < 3; i++) {
            Thread.sleep(1000);
            long g = slow.stream().filter(LiveClient::gone).count();
            stable = g == lastGone ? stable + 1 : 0;
            lastGone = g;
        }
        List<LiveClient> torn = slow.stream().filter(LiveClient::gone).toList();
        long closed4008 = slow.stream().filter(c -> c.closeCode() == 4008).count();
        // Read again once the slow clients have drained: a write deadline that passed in the last
        // moments of the phase is counted by the server as it closes, which can be just after the
        // first read (the counter then said 0 while every slow client got 4008).
        double teardowns2 = ServerProbe.sum(ServerProbe.metrics(http, url), "livequery_teardowns_total", "");
        n.put("slow_clients", slow.size());
        n.put("slow_seconds", slowDuration);
        n.put("server_teardowns_during_slow_phase", teardowns1 - teardowns0);
        n.put("server_teardowns_by_drain", teardowns2 - teardowns0);
        n.put("slow_clients_disconnected", torn.size());
        n.put("slow_clients_seen_close_4008", closed4008);
        System.err.printf(
                "loadgen: %d slow clients; server teardowns %.0f by the end of the slow phase, %.0f once they"
                        + " drained; disconnected %d (close 4008 seen by %d)%n",
                slow.size(), teardowns1 - teardowns0, teardowns2 - teardowns0, torn.size(), closed4008);
        slow.forEach(c -> c.slow(false));
        if (!torn.isEmpty()) {
            Fleet.Round again = fleet.connectAll(torn, stormConcurrency, 60);
            Measures.round(n.putObject("reconnect_after_teardown"), again);
            long resumed = torn.stream()
                    .flatMap(c -> c.replicas().stream())
                    .filter(Replica::lastReadyResumed)
                    .count();
            n.put("reconnected_resumed_without_reset", resumed);
            System.err.printf(
                    "loadgen: %d torn-down clients reconnected, %d resumed without reset%n", again.ok(), resumed);
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
