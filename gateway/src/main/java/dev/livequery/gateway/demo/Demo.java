package dev.livequery.gateway.demo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Backend;
import dev.livequery.core.Guard;
import dev.livequery.core.Json;
import dev.livequery.core.LiveQueryException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Seeds {@code demo_items} and keeps changing it. */
public final class Demo implements AutoCloseable {
    public static final String TABLE = "demo_items";
    private static final Logger LOG = Logger.getLogger(Demo.class.getName());
    private static final String[] ADJECTIVES = {
        "amber", "brisk", "calm", "dusty", "eager", "fuzzy", "gentle", "hollow", "icy", "jolly", "keen", "lucky",
        "mellow", "nimble", "odd", "proud", "quiet", "rusty", "shiny", "tidy", "vivid", "witty", "young", "zesty"
    };
    private static final String[] NOUNS = {
        "anchor",
        "badger",
        "candle",
        "dynamo",
        "ember",
        "falcon",
        "garden",
        "harbor",
        "island",
        "jigsaw",
        "kettle",
        "lantern",
        "meadow",
        "nutmeg",
        "orchid",
        "pebble",
        "quartz",
        "rocket",
        "saddle",
        "teapot",
        "umbrella",
        "violin",
        "walnut",
        "yarn"
    };
    private static final String[] CATEGORIES = {"tools", "toys", "books", "garden", "kitchen"};

    private final Backend backend;
    private final Random random = new Random();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "livequery-demo");
        t.setDaemon(true);
        return t;
    });
    private final List<String> ids = new ArrayList<>();
    private int next;

    private Demo(Backend backend) {
        this.backend = backend;
    }

    /** As {@code livequery.demo.rows} and {@code livequery.demo.changes-per-second} say. */
    public static Demo start(Backend backend, dev.livequery.gateway.Settings settings) throws LiveQueryException {
        return start(backend, settings.demoRows(), settings.demoChangesPerSecond());
    }

    /** Seeds {@code rows} rows and starts {@code changesPerSecond} changes (0 = none). */
    public static Demo start(Backend backend, int rows, double changesPerSecond) throws LiveQueryException {
        Demo d = new Demo(backend);
        d.seed(rows);
        if (changesPerSecond > 0) {
            long period = Math.max(1, (long) (1_000_000 / changesPerSecond));
            d.timer.scheduleAtFixedRate(
                    Guard.round(LOG, "the demo's change", d::change), period, period, TimeUnit.MICROSECONDS);
        }
        return d;
    }

    private void seed(int rows) throws LiveQueryException {
        List<ObjectNode> batch = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            batch.add(item(newId()));
            if (batch.size() == 500) {
                backend.batch(TABLE, batch, List.of());
                batch.clear();
            }
        }
        if (!batch.isEmpty()) {
            backend.batch(TABLE, batch, List.of());
        }
    }

    private String newId() {
        String id = "item-%05d".formatted(next++);
        ids.add(id);
        return id;
    }

    private ObjectNode item(String id) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", id);
        o.put("name", ADJECTIVES[random.nextInt(ADJECTIVES.length)] + " " + NOUNS[random.nextInt(NOUNS.length)]);
        o.put("category", CATEGORIES[random.nextInt(CATEGORIES.length)]);
        o.put("price", new java.math.BigDecimal(random.nextInt(100_000)).movePointLeft(2));
        o.put("stock", random.nextInt(500));
        return o;
    }

    private void change() {
        try {
            int roll = random.nextInt(100);
            if (roll < 80 || ids.size() < 10) {
                String id = ids.get(random.nextInt(ids.size()));
                ObjectNode f = Json.MAPPER.createObjectNode();
                if (random.nextBoolean()) {
                    f.put("price", new java.math.BigDecimal(random.nextInt(100_000)).movePointLeft(2));
                } else {
                    f.put("stock", random.nextInt(500));
                }
                backend.patch(TABLE, id, f, null);
            } else if (roll < 90) {
                String id = ids.remove(random.nextInt(ids.size()));
                backend.delete(TABLE, id, null);
            } else {
                String id = newId();
                backend.put(TABLE, id, item(id), null);
            }
        } catch (LiveQueryException e) {
            LOG.log(Level.FINE, "demo change refused: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "demo change failed", e);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
