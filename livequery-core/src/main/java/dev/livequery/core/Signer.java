package dev.livequery.core;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.LongSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 tags, truncated to 64 bits, that bind cursors and resume tokens to the server's
 * secret and to one shape. 64 bits keep tokens inside the protocol's 200-byte budget while making
 * a blind forgery a 2^-64 guess; the tag authenticates, it does not hide anything.
 *
 * <h2>Sealed layout</h2>
 * {@code kid, payload, tag}: {@code kid} is one byte derived from the key, so a secret can be
 * rotated — the new one signs, the previous one is still accepted for an overlap, and a message
 * names which key to check it with. The tag covers a {@link Domain} byte, the shape fingerprint,
 * the kid and the payload: the domain keeps a cursor from ever verifying as a resume token (or
 * the reverse) however their payloads happen to look.
 *
 * <p>Initialised Macs are pooled, not kept per thread: the gateway signs on virtual threads (two
 * per connection), where a ThreadLocal meant a {@code Mac.getInstance} provider lookup for every
 * new connection and one Mac kept alive per thread. The pool holds about as many Macs as threads
 * ever sign at once; a new one is a clone of the prototype, no provider lookup.
 */
final class Signer {
    static final int TAG = 8;
    /** Bytes a sealed message adds to its payload. */
    static final int OVERHEAD = 1 + TAG;

    /** What a tag is for; part of the MAC input. */
    enum Domain {
        CURSOR(1),
        TOKEN(2);

        final byte b;

        Domain(int b) {
            this.b = (byte) b;
        }
    }

    private final Key current;
    private final Key previous;
    private final long previousUntil;
    private final LongSupplier nanos;

    Signer(byte[] secret) {
        this(secret, null, Duration.ZERO, System::nanoTime);
    }

    /**
     * @param previous the key being rotated out, or null; accepted (never used to sign) for
     *                 {@code overlap} from now
     */
    Signer(byte[] secret, byte[] previous, Duration overlap, LongSupplier nanos) {
        this.current = new Key(secret);
        this.previous = previous == null ? null : new Key(previous);
        this.nanos = nanos;
        this.previousUntil = nanos.getAsLong() + overlap.toNanos();
    }

    /** {@code kid || payload || tag}. */
    byte[] seal(Domain d, byte[] fingerprint, byte[] payload) {
        byte[] all = new byte[payload.length + OVERHEAD];
        all[0] = current.id;
        System.arraycopy(payload, 0, all, 1, payload.length);
        int len = 1 + payload.length;
        System.arraycopy(current.tag(d, fingerprint, all, len), 0, all, len, TAG);
        return all;
    }

    /**
     * Whether {@code sealed} (as made by {@link #seal}) verifies in domain {@code d} for this
     * fingerprint under the current key, or under the previous one during its overlap. The
     * payload is {@code sealed[1 .. length - TAG)}.
     */
    boolean open(Domain d, byte[] fingerprint, byte[] sealed) {
        if (sealed.length < OVERHEAD) {
            return false;
        }
        int len = sealed.length - TAG;
        if (sealed[0] == current.id && current.verify(d, fingerprint, sealed, len)) {
            return true;
        }
        return previous != null
                && sealed[0] == previous.id
                && nanos.getAsLong() - previousUntil < 0
                && previous.verify(d, fingerprint, sealed, len);
    }

    /** One HMAC key, its id and its pool of initialised Macs. */
    private static final class Key {
        final byte id;
        private final Mac prototype;
        private final ConcurrentLinkedQueue<Mac> pool = new ConcurrentLinkedQueue<>();

        Key(byte[] secret) {
            try {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                sha.update("livequery key id".getBytes(StandardCharsets.UTF_8));
                // Collisions (1 in 256 between two keys) only cost a second HMAC: open() tries both.
                this.id = sha.digest(secret)[0];
                prototype = Mac.getInstance("HmacSHA256");
                prototype.init(new SecretKeySpec(secret.clone(), "HmacSHA256"));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("every JDK has SHA-256 and HmacSHA256", e);
            }
        }

        private Mac take() {
            Mac m = pool.poll();
            if (m != null) {
                return m;
            }
            try {
                synchronized (prototype) {
                    return (Mac) prototype.clone();
                }
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException("HmacSHA256 Macs are cloneable", e);
            }
        }

        /** The tag of {@code domain || fingerprint || msg[0..len)}. */
        byte[] tag(Domain d, byte[] fingerprint, byte[] msg, int len) {
            Mac m = take();
            byte[] full;
            try {
                m.update(d.b);
                m.update(fingerprint);
                m.update(msg, 0, len);
                full = m.doFinal();
            } catch (RuntimeException e) {
                m.reset();
                throw e;
            }
            pool.offer(m);
            byte[] t = new byte[TAG];
            System.arraycopy(full, 0, t, 0, TAG);
            return t;
        }

        /** Constant-time check of the tag at {@code msg[len..len+TAG)}. */
        boolean verify(Domain d, byte[] fingerprint, byte[] msg, int len) {
            byte[] expected = tag(d, fingerprint, msg, len);
            byte[] actual = new byte[TAG];
            System.arraycopy(msg, len, actual, 0, TAG);
            return MessageDigest.isEqual(expected, actual);
        }
    }
}
