package dev.livequery.gateway.auth;

import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/**
 * A PEM {@code PUBLIC KEY} (X.509 SubjectPublicKeyInfo) as a JDK key. The JDK reads the DER;
 * this only strips the armour, so no key parsing is hand-written.
 */
final class PemKeys {
    private PemKeys() {}

    static PublicKey publicKey(String pem) {
        String body = pem.replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "").replaceAll("\\s", "");
        if (pem.contains("RSA PUBLIC KEY") || pem.contains("CERTIFICATE")) {
            throw new IllegalArgumentException("livequery.auth.jwt.public-key must be a '-----BEGIN PUBLIC KEY-----' "
                    + "PEM (X.509 SubjectPublicKeyInfo); convert with: openssl pkey -pubin -in key.pem");
        }
        byte[] der;
        try {
            der = Base64.getDecoder().decode(body);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("livequery.auth.jwt.public-key is not PEM (bad base64)", e);
        }
        for (String alg : new String[] {"RSA", "EC"}) {
            try {
                PublicKey k = KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(der));
                if (k instanceof ECPublicKey ec
                        && ec.getParams().getCurve().getField().getFieldSize() != 256) {
                    throw new IllegalArgumentException(
                            "livequery.auth.jwt.public-key: an EC key must be on P-256 (ES256)");
                }
                return k;
            } catch (InvalidKeySpecException e) {
                // not this algorithm; try the next
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JDK has " + alg, e);
            }
        }
        throw new IllegalArgumentException("livequery.auth.jwt.public-key is neither an RSA nor an EC public key");
    }
}
