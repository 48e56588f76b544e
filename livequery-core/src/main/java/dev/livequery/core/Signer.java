package dev.livequery.core;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 tags, truncated to 64 bits, that bind cursors and resume tokens to the server's
 * secret and to one shape. 64 bits keep tokens inside the protocol's 200-byte budget while making
 * a blind forgery a 2^-64 guess; the tag authenticates, it does not hide anything.
 */
final class Signer {
    static final int TAG = 8;

    private final ThreadLocal<Mac> mac;

    Signer(byte[] secret) {
        SecretKeySpec key = new SecretKeySpec(secret.clone(), "HmacSHA256");
        this.mac = ThreadLocal.withInitial(() -> {
            try {
                Mac m = Mac.getInstance("HmacSHA256");
                m.init(key);
                return m;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("every JDK has HmacSHA256", e);
            }
        });
    }

    /** The tag of {@code fingerprint || payload[0..len)}. */
    byte[] tag(byte[] fingerprint, byte[] payload, int len) {
        Mac m = mac.get();
        m.update(fingerprint);
        m.update(payload, 0, len);
        byte[] full = m.doFinal();
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
