package dev.livequery.gateway.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livequery.core.Json;
import dev.livequery.core.LiveQueryException;
import io.helidon.http.HeaderValues;
import io.helidon.http.HttpException;
import io.helidon.webserver.ServerConnectionException;
import io.helidon.webserver.http.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Maps failures to the protocol's JSON error body. */
public final class HttpErrors {
    private static final Logger LOG = Logger.getLogger(HttpErrors.class.getName());

    private HttpErrors() {}

    /** A handler that may throw {@link LiveQueryException}. */
    @FunctionalInterface
    public interface LiveHandler {
        void handle(io.helidon.webserver.http.ServerRequest req, io.helidon.webserver.http.ServerResponse res)
                throws Exception;
    }

    public static Handler guard(LiveHandler h) {
        return (req, res) -> {
            try {
                h.handle(req, res);
            } catch (LiveQueryException e) {
                send(res, e.code().httpStatus(), e.code().wire(), e.getMessage());
            } catch (HttpException e) {
                throw e;
            } catch (ServerConnectionException e) {
                // The connection is gone (the peer left, or a RequestDeadline closed it): nothing to
                // answer, and not the server's failure; Helidon ends the connection.
                throw e;
            } catch (Exception e) {
                LOG.log(
                        Level.WARNING,
                        req.prologue().method().text() + " " + req.path().path() + " failed",
                        e);
                if (!res.isSent()) {
                    send(res, 500, "internal", "internal error; the server log has the details");
                }
            }
        };
    }

    public static void send(io.helidon.webserver.http.ServerResponse res, int status, String code, String message) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        ObjectNode err = body.putObject("error");
        err.put("code", code);
        err.put("message", message);
        res.status(status);
        res.header(HeaderValues.CONTENT_TYPE_JSON);
        res.send(Json.text(body));
    }

    public static void send(io.helidon.webserver.http.ServerResponse res, LiveQueryException e) {
        send(res, e.code().httpStatus(), e.code().wire(), e.getMessage());
    }

    /** The JSON body of an error, as every error answer carries it. */
    static String body(String code, String message) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        ObjectNode err = body.putObject("error");
        err.put("code", code);
        err.put("message", message);
        return Json.text(body);
    }

    /** The error code for an HTTP status the server produced by itself (no route, bad request line…). */
    static String code(int status) {
        return switch (status) {
            case 403 -> "forbidden";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 413, 414, 431 -> "too_large";
            case 415 -> "unsupported_media_type";
            case 503 -> "unavailable";
            default -> status >= 500 ? "internal" : "bad_request";
        };
    }

    /**
     * Helidon's own answers (no route for the path or method) as JSON: the routing's error handler
     * for {@link HttpException}.
     */
    public static void httpException(
            io.helidon.webserver.http.ServerRequest req,
            io.helidon.webserver.http.ServerResponse res,
            HttpException e) {
        int status = e.status().code();
        String message = switch (status) {
            case 404 ->
                "no such endpoint: " + req.prologue().method().text() + " "
                        + req.path().path();
            case 405 ->
                "method " + req.prologue().method().text() + " is not allowed on "
                        + req.path().path();
            default -> e.status().reasonPhrase();
        };
        send(res, status, code(status), message);
    }
}
