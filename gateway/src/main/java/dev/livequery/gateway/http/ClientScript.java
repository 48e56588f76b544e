package dev.livequery.gateway.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * {@code /v1/client/livequery.js} and {@code /v1/client/livequery.d.ts}: the script-tag build of
 * {@code clients/js} (committed under {@code client/} on the classpath so the Maven build needs no
 * npm), served in every mode, demo or not. A strong ETag lets browsers revalidate cheaply and
 * pick up a new client on the first request after an upgrade.
 */
public final class ClientScript implements HttpService {
    private final Asset js = Asset.load("client/livequery.js", "text/javascript; charset=utf-8");
    private final Asset dts = Asset.load("client/livequery.d.ts", "text/plain; charset=utf-8");

    @Override
    public void routing(HttpRules rules) {
        rules.get("/livequery.js", (req, res) -> js.send(req, res, true));
        rules.get("/livequery.d.ts", (req, res) -> dts.send(req, res, true));
        // what a CDN or a link checker asks first: the same headers, no body
        rules.head("/livequery.js", (req, res) -> js.send(req, res, false));
        rules.head("/livequery.d.ts", (req, res) -> dts.send(req, res, false));
    }

    private record Asset(byte[] body, String etag, String contentType) {
        static Asset load(String path, String contentType) {
            try (InputStream in = ClientScript.class.getClassLoader().getResourceAsStream(path)) {
                if (in == null) {
                    throw new IllegalStateException(
                            path + " is missing from the classpath (built by clients/js: npm run sync-gateway)");
                }
                byte[] body = in.readAllBytes();
                String hash = HexFormat.of()
                        .formatHex(MessageDigest.getInstance("SHA-256").digest(body));
                return new Asset(body, "\"" + hash.substring(0, 32) + "\"", contentType);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        void send(ServerRequest req, ServerResponse res, boolean withBody) {
            res.header(HeaderNames.ETAG, etag);
            // revalidate every time: the URL has no version, the ETag makes the check a 304
            res.header(HeaderNames.CACHE_CONTROL, "no-cache");
            boolean fresh = req.headers()
                    .first(HeaderNames.IF_NONE_MATCH)
                    .map(v -> v.equals(etag) || v.equals("*"))
                    .orElse(false);
            if (fresh) {
                res.status(Status.NOT_MODIFIED_304).send();
                return;
            }
            res.header(HeaderNames.CONTENT_TYPE, contentType);
            if (withBody) {
                res.send(body);
            } else {
                res.header(HeaderNames.CONTENT_LENGTH, String.valueOf(body.length));
                res.send();
            }
        }
    }
}
