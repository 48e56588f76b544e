package dev.livequery.loadgen;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the load generator can see of the server process on this machine: CPU seconds and RSS from
 * {@code /proc/<pid>}, live heap after a full GC via {@code jcmd <pid> GC.run} +
 * {@code GC.heap_info} (JVM servers only; the gateway's /metrics has no JVM memory gauges), its
 * collector pauses ({@link ServerGc}), and the gateway's Prometheus counters from {@code /metrics}.
 */
final class ServerProbe {
    private static final Pattern USED = Pattern.compile("used (\\d+)K");
    private static final long TICKS = 100; // USER_HZ on Linux
    private final long pid;
    private final String jcmd;

    private ServerGc gc;
    private boolean gcTried;

    ServerProbe(long pid, String javaHome) {
        this.pid = pid;
        this.jcmd = javaHome == null ? "jcmd" : Path.of(javaHome, "bin", "jcmd").toString();
    }

    /** The server's collector pauses so far, or null when it is not a JVM whose counters we can read. */
    synchronized ServerGc.Totals gcPauses() {
        if (!gcTried && present()) {
            gcTried = true;
            gc = ServerGc.attach(pid);
        }
        return gc == null ? null : gc.read();
    }

    boolean present() {
        return pid > 0 && Files.exists(Path.of("/proc/" + pid));
    }

    /** User+system CPU seconds the process has used, or NaN. */
    double cpuSeconds() {
        if (!present()) {
            return Double.NaN;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) TICKS;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** Resident set size in bytes, or -1. */
    long rssBytes() {
        if (!present()) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** Heap in use after a full GC, bytes, or -1 if the server is not a JVM jcmd can reach. */
    long heapAfterGc() {
        if (!present()) {
            return -1;
        }
        if (run("GC.run") == null) {
            return -1;
        }
        String info = run("GC.heap_info");
        if (info == null) {
            return -1;
        }
        Matcher m = USED.matcher(info);
        return m.find() ? Long.parseLong(m.group(1)) * 1024 : -1;
    }

    private String run(String command) {
        try {
            Process p = new ProcessBuilder(jcmd, Long.toString(pid), command)
                    .redirectErrorStream(true)
                    .start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return null;
            }
            return new String(out);
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The gateway's /metrics as series → value; empty if unreachable. */
    static Map<String, Double> metrics(HttpClient http, URI base) {
        Map<String, Double> out = new HashMap<>();
        try {
            String text = http.send(
                            HttpRequest.newBuilder(base.resolve("/metrics"))
                                    .timeout(Duration.ofSeconds(10))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
            for (String line : text.split("\n")) {
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int sp = line.lastIndexOf(' ');
                try {
                    out.put(line.substring(0, sp), Double.parseDouble(line.substring(sp + 1)));
                } catch (NumberFormatException e) {
                    // not a sample
                }
            }
        } catch (IOException | RuntimeException e) {
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return out;
    }

    /** Sum of every series whose name starts with {@code prefix} and contains {@code label}. */
    static double sum(Map<String, Double> metrics, String prefix, String label) {
        return metrics.entrySet().stream()
                .filter(e -> e.getKey().startsWith(prefix) && e.getKey().contains(label))
                .mapToDouble(Map.Entry::getValue)
                .sum();
    }
}
