package dev.livequery.shard.cluster;

import java.util.Map;

/**
 * What a shard tells a gateway, one record per kind, each with one encoding ({@link #fields()})
 * and one parser ({@link #parse}). Carried in a {@link DeliveryEntry}.
 */
public sealed interface Delivery {
    /** The message's field/value strings ({@code k} first). */
    String[] fields();

    /**
     * A batch of frames of one attachment; {@code n} counts the attachment's batches from 1 (a
     * batch re-sent after an ambiguous error keeps its number, so the gateway drops the duplicate).
     * {@code partition} and {@code lease} name the lease it was published under.
     */
    record Frames(String sid, String att, long n, int partition, String lease, String frames) implements Delivery {
        @Override
        public String[] fields() {
            return new String[] {"k", "f", "sid", sid, "att", att, "n", Long.toString(n), "p",
                    Integer.toString(partition), "lease", lease, "fr", frames};
        }

        /** The same batch under another lease value (a re-send after the lease was renewed). */
        public Frames withLease(String l) {
            return new Frames(sid, att, n, partition, l, frames);
        }
    }

    /** The answer to a control request: {@code code} is empty when it succeeded. */
    record Ack(String req, String code, String msg) implements Delivery {
        @Override
        public String[] fields() {
            return new String[] {"k", "a", "req", req, "code", code, "msg", msg};
        }

        public boolean ok() {
            return code.isEmpty();
        }
    }

    /** The shard dropped the attachment (it lost the partition, a reload…): re-attach with resume. */
    record Gone(String sid, String att, String why) implements Delivery {
        @Override
        public String[] fields() {
            return new String[] {"k", "g", "sid", sid, "att", att, "why", why};
        }
    }

    /**
     * Sent about once a second to every gateway the shard hosts attachments of: "this sender is
     * alive, its publisher runs, and it hosts {@code hosted} of your attachments". A gateway that
     * hears nothing from the sender of a subscription for 3 s marks it stale.
     */
    record Tick(int hosted) implements Delivery {
        @Override
        public String[] fields() {
            return new String[] {"k", "t", "c", Integer.toString(hosted)};
        }
    }

    /** Parses the message fields of a delivery entry. */
    static Delivery parse(Map<String, String> m) {
        String k = m.getOrDefault("k", "");
        return switch (k) {
            case "f" -> new Frames(need(m, "sid"), need(m, "att"), Long.parseLong(need(m, "n")),
                    Integer.parseInt(need(m, "p")), need(m, "lease"), need(m, "fr"));
            case "a" -> new Ack(need(m, "req"), m.getOrDefault("code", ""), m.getOrDefault("msg", ""));
            case "g" -> new Gone(need(m, "sid"), need(m, "att"), m.getOrDefault("why", ""));
            case "t" -> new Tick(Integer.parseInt(need(m, "c")));
            default -> throw new IllegalArgumentException("unknown delivery kind '" + k + "'");
        };
    }

    private static String need(Map<String, String> m, String f) {
        String v = m.get(f);
        if (v == null) {
            throw new IllegalArgumentException("delivery entry without '" + f + "': " + m.keySet());
        }
        return v;
    }
}
