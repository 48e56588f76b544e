package dev.livequery.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Json;
import dev.livequery.testkit.Tools;
import dev.livequery.testkit.wire.WsClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Real headless Chromium driven over the Chrome DevTools Protocol: one browser process, one page
 * (a flattened target session on the browser's WebSocket). Only what the browser tests need:
 * navigate, evaluate JavaScript, emulate offline, screenshot. Console output and uncaught page
 * exceptions are collected so a test can assert the page did not throw.
 */
final class Cdp implements WebSocket.Listener, AutoCloseable {
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(15);

    private final Process process;
    private final Path profile;
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final StringBuilder partial = new StringBuilder();
    private final List<String> stderr = new CopyOnWriteArrayList<>();
    /** "console.log: …" and "exception: …" lines from the page, in order. */
    final List<String> console = new CopyOnWriteArrayList<>();

    final List<String> exceptions = new CopyOnWriteArrayList<>();
    private WebSocket ws;
    private String session;

    private Cdp(Process process, Path profile) {
        this.process = process;
        this.profile = profile;
    }

    /** The Chromium binary: {@code -Dchromium.path}, {@code $CHROME_BIN}, or the Debian package's. */
    static Path binary() {
        return Tools.chromium();
    }

    /** Starts headless Chromium on a fresh profile and opens one blank page. */
    static Cdp launch() throws Exception {
        Path chromium = binary();
        Path profile = Files.createTempDirectory("livequery-chromium-");
        Process proc = new ProcessBuilder(
                        chromium.toString(),
                        "--headless",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-quic",
                        "--no-first-run",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--disable-extensions",
                        "--mute-audio",
                        "--window-size=1200,900",
                        "--user-data-dir=" + profile,
                        "--remote-debugging-port=0",
                        "about:blank")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        Cdp cdp = new Cdp(proc, profile);
        try {
            CompletableFuture<String> endpoint = new CompletableFuture<>();
            Thread drain = new Thread(
                    () -> {
                        try (BufferedReader r = new BufferedReader(
                                new InputStreamReader(proc.getErrorStream(), StandardCharsets.UTF_8))) {
                            for (String line; (line = r.readLine()) != null; ) {
                                if (line.startsWith("DevTools listening on ")) {
                                    endpoint.complete(line.substring("DevTools listening on ".length())
                                            .trim());
                                } else if (cdp.stderr.size() < 200) {
                                    cdp.stderr.add(line);
                                }
                            }
                        } catch (IOException e) {
                            // the process is gone
                        }
                        endpoint.completeExceptionally(new IllegalStateException("chromium exited: " + cdp.stderr));
                    },
                    "chromium-stderr");
            drain.setDaemon(true);
            drain.start();
            String url = endpoint.get(30, TimeUnit.SECONDS);
            cdp.ws = WsClient.HTTP
                    .newWebSocketBuilder()
                    .connectTimeout(Duration.ofSeconds(10))
                    .buildAsync(URI.create(url), cdp)
                    .get(15, TimeUnit.SECONDS);
            String target = cdp.call("Target.createTarget", Map.of("url", "about:blank"))
                    .get("targetId")
                    .asText();
            cdp.session = cdp.call("Target.attachToTarget", Map.of("targetId", target, "flatten", true))
                    .get("sessionId")
                    .asText();
            cdp.call("Page.enable", Map.of());
            cdp.call("Runtime.enable", Map.of());
            cdp.call("Network.enable", Map.of());
            return cdp;
        } catch (Exception | Error e) {
            cdp.close();
            throw e;
        }
    }

    /** Sends a command to the page session and waits for its result. */
    JsonNode call(String method, Map<String, ?> params) {
        int id = ids.incrementAndGet();
        ObjectNode msg = Json.MAPPER.createObjectNode();
        msg.put("id", id);
        msg.put("method", method);
        msg.set("params", Json.MAPPER.valueToTree(params));
        if (session != null) {
            msg.put("sessionId", session);
        }
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        pending.put(id, f);
        try {
            ws.sendText(msg.toString(), true).get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            JsonNode r = f.get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (r.has("error")) {
                throw new IllegalStateException(method + " failed: " + r.get("error"));
            }
            return r.path("result");
        } catch (Exception e) {
            throw new IllegalStateException(method + ": " + e, e);
        } finally {
            pending.remove(id);
        }
    }

    /** Loads {@code url} and waits for its load event. */
    void navigate(String url) {
        call("Page.navigate", Map.of("url", url));
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(15))
                .until(() -> "complete".equals(eval("document.readyState + ''").asText()));
    }

    /** Evaluates {@code js} in the page (promises are awaited) and returns its JSON value. */
    JsonNode eval(String js) {
        JsonNode r = call("Runtime.evaluate", Map.of("expression", js, "returnByValue", true, "awaitPromise", true));
        if (r.has("exceptionDetails")) {
            JsonNode d = r.get("exceptionDetails");
            throw new IllegalStateException(
                    "page threw: " + d.path("exception").path("description").asText(d.toString()) + "\n  in: " + js);
        }
        return r.path("result").path("value");
    }

    /** Browser offline (true) or online (false), as DevTools' network throttling does it. */
    void offline(boolean offline) {
        call(
                "Network.emulateNetworkConditions",
                Map.of("offline", offline, "latency", 0, "downloadThroughput", -1, "uploadThroughput", -1));
    }

    /** A PNG of the viewport. */
    byte[] screenshot() {
        return Base64.getDecoder()
                .decode(call("Page.captureScreenshot", Map.of("format", "png"))
                        .get("data")
                        .asText());
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            String text = partial.toString();
            partial.setLength(0);
            try {
                JsonNode m = Json.MAPPER.readTree(text);
                if (m.has("id")) {
                    CompletableFuture<JsonNode> f = pending.get(m.get("id").asInt());
                    if (f != null) {
                        f.complete(m);
                    }
                } else {
                    event(m.path("method").asText(), m.path("params"));
                }
            } catch (IOException e) {
                exceptions.add("unparseable CDP message: " + e);
            }
        }
        webSocket.request(1);
        return null;
    }

    private void event(String method, JsonNode p) {
        switch (method) {
            case "Runtime.consoleAPICalled" -> {
                StringBuilder b = new StringBuilder("console." + p.path("type").asText() + ":");
                p.path("args")
                        .forEach(a -> b.append(' ')
                                .append(
                                        a.has("value")
                                                ? a.get("value").asText()
                                                : a.path("description")
                                                        .asText(a.path("type").asText())));
                console.add(b.toString());
            }
            case "Runtime.exceptionThrown" -> {
                JsonNode d = p.path("exceptionDetails");
                String s = d.path("exception")
                        .path("description")
                        .asText(d.path("text").asText());
                exceptions.add(s);
                console.add("exception: " + s);
            }
            default -> {}
        }
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        pending.values().forEach(f -> f.completeExceptionally(error));
    }

    /** Chromium's stderr (minus the DevTools line), for failure messages. */
    List<String> stderr() {
        return stderr;
    }

    @Override
    public void close() {
        try {
            if (ws != null) {
                session = null;
                call("Browser.close", Map.of());
            }
        } catch (RuntimeException e) {
            // it may already be gone; destroy below
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        if (ws != null) {
            ws.abort();
        }
        try (Stream<Path> files = Files.walk(profile)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // best effort: it is a temp dir
        }
    }
}
