package dev.livequery.redis.cluster;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One entry of a gateway's delivery stream ({@code lq:gw:<gateway>}), as a shard writes it and the
 * gateway reads it: who sent it, its number in that sender's sequence to this gateway, and the
 * message. The flat field layout lives here and nowhere else.
 *
 * <p>{@code sender} is the shard id plus an incarnation chosen at start ({@code s1/4f2a9c}), so a
 * restarted shard (which knows none of the old attachments) is a new sender. {@code seq} counts
 * every entry a sender gives one gateway, 1, 2, 3…: a gateway that sees a number skipped knows it
 * lost something (a trimmed or deleted entry, a publish that failed half way) and repairs every
 * subscription attached to that sender, whatever the lost entry was (frames, an ack or a gone).
 * A sender that forgets a gateway (presumed dead, or sent nothing for minutes) counts on for it
 * later from past a skipped number, never from a lower one, so the gateway repairs then too.
 */
public record DeliveryEntry(String sender, long seq, Delivery body) {
    static final String SENDER = "sh";
    static final String SEQ = "sq";

    /** Field/value strings as XADD takes them: the header, then the message's own fields. */
    public String[] fields() {
        String[] own = body.fields();
        String[] out = new String[4 + own.length];
        out[0] = SENDER;
        out[1] = sender;
        out[2] = SEQ;
        out[3] = Long.toString(seq);
        System.arraycopy(own, 0, out, 4, own.length);
        return out;
    }

    /** {@link #fields()} as a map, for a plain XADD. */
    public Map<String, String> map() {
        String[] f = fields();
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < f.length; i += 2) {
            m.put(f[i], f[i + 1]);
        }
        return m;
    }

    /** Parses an entry; throws {@link IllegalArgumentException} naming what is wrong. */
    public static DeliveryEntry parse(Map<String, String> m) {
        String sender = m.get(SENDER);
        String seq = m.get(SEQ);
        if (sender == null || seq == null) {
            throw new IllegalArgumentException("delivery entry without sender/seq: " + m.keySet());
        }
        try {
            return new DeliveryEntry(sender, Long.parseLong(seq), Delivery.parse(m));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("delivery entry with a bad number: " + e.getMessage());
        }
    }
}
