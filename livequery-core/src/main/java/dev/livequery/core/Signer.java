package dev.livequery.core;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.concurrent.ConcurrentLinkedQueue;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 tags, truncated to 64 bits, that bind cursors and resume tokens to the server's
 * secret and to one shape. 64 bits keep tokens inside the protocol's 200-byte budget while making
 * a blind forgery a 2^-64 guess; the tag authenticates, it does not hide anything.
 *
 * <p>Initialised Macs are pooled, not kept per thread: the gateway signs on virtual threads (two
 * per connection), where a ThreadLocal meant a {@code Mac.getInstance} provider lookup for every
 * new connection and one Mac kept alive per thread. The pool holds about as many Macs as threads
 * ever sign at once; a new one is a clone of the prototype, no provider lookup.
 */
final class Signer {
    static final int TAG = 8;

    private final Mac prototype;
    private final ConcurrentLinkedQueue<Mac> pool = new ConcurrentLinkedQueue<>();

    Signer(byte[] secret) {
        SecretKeySpec key = new SecretKeySpec(secret.clone(), "HmacSHA256");
        try {
            prototype = Mac.getInstance("HmacSHA256");
            prototype.init(key);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK has HmacSHA256", e);
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

    /** The tag of {@code fingerprint || payload[0..len)}. */
    byte[] tag(byte[] fingerprint, byte[] payload, int len) {
        Mac m = take();
        byte[] full;
        try {
            m.update(fingerprint);
            m.update(payload, 0, len);
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

    /** Constant-time check of the tag at {@code payload[len..len+TAG)}. */
    boolean verify(byte[] fingerprint, byte[] payload, int len) {
        byte[] expected = tag(fingerprint, payload, len);
        byte[] actual = new byte[TAG];
        System.arraycopy(payload, len, actual, 0, TAG);
        return MessageDigest.isEqual(expected, actual);
    }
}
