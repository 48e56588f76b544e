package dev.livequery.redis.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Frame;
import dev.livequery.core.FrameCodec;
import dev.livequery.core.Json;
import dev.livequery.redis.cluster.Delivery;
import java.util.ArrayList;
import java.util.List;

/**
 * The batches of one attachment, from the sender that acknowledged it, turned into the client's
 * frames in order. The sender numbers them from 1; a number below the next is a batch re-sent
 * after an ambiguous error (already applied), one above it means a batch was lost. The first
 * reset may be renamed as the attach asked: its cause {@code from} becomes {@code to} (e.g.
 * resume_miss → failover when the history could not follow a move; subscribe → overflow after
 * an overflow); a ready before any reset means the attach resumed, with nothing to rename. Not
 * thread-safe: its {@link RemoteSubscription}'s lock guards it.
 */
final class Batches {
    private long next = 1;
    /** Cause to put on the next reset instead of {@code renameFrom} (null: none). */
    private String renameFrom;

    private String renameTo;

    /** A new attachment: its batches count from 1, and its first reset's cause {@code from} becomes {@code to}. */
    void restart(String from, String to) {
        next = 1;
        renameFrom = from;
        renameTo = to;
    }

    /** True if batch {@code n} was applied already. */
    boolean applied(long n) {
        return n < next;
    }

    /**
     * The frames of {@code b} if it is the next batch, which it then counts as applied; null if a
     * batch before it is missing or it does not decode: either way the attachment needs repair.
     */
    List<Frame> next(Delivery.Frames b) {
        if (b.n() != next) {
            return null;
        }
        next++;
        List<Frame> frames = new ArrayList<>();
        try {
            ArrayNode arr = (ArrayNode) Json.MAPPER.readTree(b.frames());
            for (JsonNode n : arr) {
                ObjectNode o = (ObjectNode) n;
                String op = o.path("op").asText();
                if (renameFrom != null && "reset".equals(op)) {
                    if (renameFrom.equals(o.path("cause").asText())) {
                        o.put("cause", renameTo);
                    }
                    renameFrom = null;
                } else if ("ready".equals(op)) {
                    renameFrom = null; // resumed without a reset: nothing to rename
                }
                frames.add(FrameCodec.decode(o));
            }
        } catch (Exception e) {
            return null;
        }
        return frames;
    }
}
