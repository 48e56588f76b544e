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
 */
final class Signer {
    static final int TAG = 8;

    private final SecretKeySpec key;
    /**
     * Initialised MACs, borrowed per tag. Not a ThreadLocal: tags are made on virtual threads (one
     * or two per connection), and a MAC per thread was a MAC per connection.
     */
    private final ConcurrentLinkedQueue<Mac> pool = new ConcurrentLinkedQueue<>();

    Signer(byte[] secret) {
        this.key = new SecretKeySpec(secret.clone(), "HmacSHA256");
    }

    private Mac newMac() {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(key);
            return m;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK has HmacSHA256", e);
        }
    }

    /** The tag of {@code fingerprint || payload[0..len)}. */
    byte[] tag(byte[] fingerprint, byte[] payload, int len) {
        Mac m = pool.poll();
        if (m == null) {
            m = newMac();
        }
        byte[] full;
        try {
            m.update(fingerprint);
            m.update(payload, 0, len);
            full = m.doFinal();
        } catch (RuntimeException e) {
            m.reset();
            throw e;
        }
        // at most as many MACs as threads ever signed at once: signing never blocks, so a virtual
        // thread keeps its carrier for the whole tag, and that is a handful
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
