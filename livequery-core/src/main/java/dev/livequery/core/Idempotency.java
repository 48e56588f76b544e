package dev.livequery.core;

import static dev.livequery.core.LiveQueryException.Code.IDEMPOTENCY_KEY_REUSED;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * The rules both backends follow for writes under an {@code Idempotency-Key} ({@link
 * Backend#idempotent}), so embedded and cluster mode answer a retry alike: the first successful
 * write's result is remembered with a digest of its request for {@link #remember} (the resume
 * horizon's time, at least a minute); a retry with the same key and request answers that result
 * and writes nothing; the same key with another request is refused ({@link #reused}). A refused
 * write is not remembered: it changed nothing, so a retry may as well run again.
 */
public final class Idempotency {
    /** Remembered for at least this long, whatever the horizon says (docs/protocol.md promises it). */
    static final Duration AT_LEAST = Duration.ofMinutes(1);

    private Idempotency() {}

    /** How long a key is remembered: the resume horizon's time, at least {@link #AT_LEAST}. */
    public static Duration remember(EngineOptions o) {
        return remember(o.horizonTime());
    }

    /** How long a key is remembered under a horizon of {@code horizonTime}. */
    public static Duration remember(Duration horizonTime) {
        return horizonTime.compareTo(AT_LEAST) > 0 ? horizonTime : AT_LEAST;
    }

    /**
     * The digest stored with a remembered result: SHA-256 of the request's fingerprint, so a
     * reused key costs 64 characters however large the body was.
     */
    public static String digest(String request) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(request.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /**
     * The key both backends store a client's {@code Idempotency-Key} under: scoped by the
     * principal ({@code principal}: its quota key, {@code sub:…} in jwt mode, {@code addr:…} the
     * client address in none mode), so one principal's keys never meet another's: another tenant
     * can neither block a write by taking its key first nor learn which keys are in use. The
     * principal is digested, so it is not spelled out in Redis key names and the length stays bounded.
     */
    public static String scoped(String principal, String key) {
        return digest(principal).substring(0, 32) + ":" + key;
    }

    /**
     * The answer to a key sent again with a different request. The key is not echoed: the
     * backends see it scoped ({@link #scoped}), and the client knows which key it sent.
     */
    public static LiveQueryException reused() {
        return new LiveQueryException(
                IDEMPOTENCY_KEY_REUSED,
                "this Idempotency-Key was used for a different request (method, table, row, If-Match or body); "
                        + "use a new key per intended write");
    }
}
