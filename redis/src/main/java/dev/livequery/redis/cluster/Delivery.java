package dev.livequery.redis.cluster;

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
            return new String[] {
                "k",
                "f",
                "sid",
                sid,
                "att",
                att,
                "n",
                Long.toString(n),
                "p",
                Integer.toString(partition),
                "lease",
                lease,
                "fr",
                frames
            };
        }

        /** The same batch under another lease value (a re-send after the lease was renewed). */
        public Frames withLease(String l) {
            return new Frames(sid, att, n, partition, l, frames);
        }
    }

    /**
     * The answer to a control request: {@code code} is empty when it succeeded. An attach that
     * succeeded names its {@code partition} and the last change-stream id {@code applied} to the
     * engine before the subscription was made (its frames, sent after the ack, bring the window at
     * least that far), so a gateway waiting for that owner's progress need not wait for its next
     * tick; otherwise {@code partition} is -1 and {@code applied} null.
     */
    record Ack(String req, String code, String msg, int partition, String applied) implements Delivery {
        public Ack(String req, String code, String msg) {
            this(req, code, msg, -1, null);
        }

        @Override
        public String[] fields() {
            if (applied == null) {
                return new String[] {"k", "a", "req", req, "code", code, "msg", msg};
            }
            return new String[] {
                "k", "a", "req", req, "code", code, "msg", msg, "p", Integer.toString(partition), Tick.APPLIED, applied
            };
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
     * Sent about twice a second to every gateway the shard hosts attachments of: "this sender is
     * alive, its publisher runs, and it hosts {@code hosted} of your attachments". A gateway that
     * hears nothing from the sender of a subscription for 2 s marks it stale.
     *
     * <p>{@code applied}: per partition the shard hosts attachments of this gateway on, the id of
     * the last change-stream entry its engine has applied (read before the frames queued in the
     * same round, so every frame of those changes precedes the tick in the delivery stream). The
     * gateway compares it with the stream's head it reads itself: a shard that is alive but not
     * keeping up (a slow Redis link, a stuck tail) is found out even though its ticks arrive.
     * {@code null} in a tick from a shard older than this field (it is then not checked).
     *
     * <p>{@code digest}: the XOR of {@link #hash} over the ids of those {@code hosted}
     * attachments, so the gateway can tell "the same number, other attachments" (a quiet leftover
     * whose unsubscribe was lost making up for one dropped without a word) from "the same ones".
     * The gateway computes it over what it holds attached to this sender; when the two differ it
     * sends {@link Control.Keep}. {@code null} in a tick from a shard older than this field (it is
     * then not checked).
     */
    record Tick(int hosted, Map<Integer, String> applied, Long digest) implements Delivery {
        static final String APPLIED = "ap";
        static final String DIGEST = "d";

        /** A tick without a digest (as an older shard sends). */
        public Tick(int hosted, Map<Integer, String> applied) {
            this(hosted, applied, null);
        }

        /**
         * The 64-bit hash of one attachment id whose XOR over a set is that set's digest: FNV-1a
         * over the id's chars, then the SplitMix64 finaliser (so ids differing in their last
         * digit do not differ in a few low bits only). The same on every JVM: shards and gateways
         * must agree.
         */
        public static long hash(String att) {
            long h = 0xcbf29ce484222325L;
            for (int i = 0; i < att.length(); i++) {
                h ^= att.charAt(i);
                h *= 0x100000001b3L;
            }
            h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
            h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
            return h ^ (h >>> 31);
        }

        @Override
        public String[] fields() {
            java.util.List<String> f = new java.util.ArrayList<>(8);
            f.addAll(java.util.List.of("k", "t", "c", Integer.toString(hosted)));
            if (applied != null) {
                StringBuilder b = new StringBuilder(applied.size() * 20);
                applied.forEach((p, id) -> {
                    if (!b.isEmpty()) {
                        b.append(',');
                    }
                    b.append(p).append(':').append(id);
                });
                f.add(APPLIED);
                f.add(b.toString());
            }
            if (digest != null) {
                f.add(DIGEST);
                f.add(Long.toHexString(digest));
            }
            return f.toArray(String[]::new);
        }

        /** {@code p:ms-seq,p:ms-seq}; throws {@link IllegalArgumentException} naming what is wrong. */
        static Map<Integer, String> parseApplied(String s) {
            Map<Integer, String> out = new java.util.HashMap<>();
            if (s.isEmpty()) {
                return out;
            }
            for (String one : s.split(",")) {
                int colon = one.indexOf(':');
                if (colon < 1) {
                    throw new IllegalArgumentException("tick with a bad applied position '" + one + "'");
                }
                out.put(Integer.parseInt(one.substring(0, colon)), streamId(one.substring(colon + 1)));
            }
            return out;
        }
    }

    /** Parses the message fields of a delivery entry. */
    static Delivery parse(Map<String, String> m) {
        String k = m.getOrDefault("k", "");
        return switch (k) {
            case "f" ->
                new Frames(
                        need(m, "sid"),
                        need(m, "att"),
                        Long.parseLong(need(m, "n")),
                        Integer.parseInt(need(m, "p")),
                        need(m, "lease"),
                        need(m, "fr"));
            case "a" ->
                m.containsKey(Tick.APPLIED)
                        ? new Ack(
                                need(m, "req"),
                                m.getOrDefault("code", ""),
                                m.getOrDefault("msg", ""),
                                Integer.parseInt(need(m, "p")),
                                streamId(m.get(Tick.APPLIED)))
                        : new Ack(need(m, "req"), m.getOrDefault("code", ""), m.getOrDefault("msg", ""));
            case "g" -> new Gone(need(m, "sid"), need(m, "att"), m.getOrDefault("why", ""));
            case "t" ->
                new Tick(
                        Integer.parseInt(need(m, "c")),
                        m.containsKey(Tick.APPLIED) ? Tick.parseApplied(m.get(Tick.APPLIED)) : null,
                        m.containsKey(Tick.DIGEST) ? Long.parseUnsignedLong(m.get(Tick.DIGEST), 16) : null);
            default -> throw new IllegalArgumentException("unknown delivery kind '" + k + "'");
        };
    }

    /** A stream id {@code ms-seq}, checked; throws {@link IllegalArgumentException} naming it. */
    private static String streamId(String id) {
        int dash = id.indexOf('-');
        if (dash < 1 || dash == id.length() - 1) {
            throw new IllegalArgumentException("bad stream id '" + id + "'");
        }
        Long.parseLong(id.substring(0, dash)); // a bad number is reported by DeliveryEntry.parse
        Long.parseLong(id.substring(dash + 1));
        return id;
    }

    private static String need(Map<String, String> m, String f) {
        String v = m.get(f);
        if (v == null) {
            throw new IllegalArgumentException("delivery entry without '" + f + "': " + m.keySet());
        }
        return v;
    }
}
