package dev.livequery.gateway.http;

import static dev.livequery.core.LiveQueryException.Code.BAD_QUERY;

import dev.livequery.core.LiveQueryException;
import io.helidon.common.parameters.Parameters;
import java.util.List;

/**
 * The query-string parameters of a window ({@code where}, {@code order}, {@code limit},
 * {@code after}, {@code before}, {@code resume}), for the one-shot query and the SSE stream alike.
 * A parameter given twice is refused: taking one of them would be the silent default PROTOCOL §2
 * rules out ({@code limit=2&limit=3} has no meaning a client can rely on).
 */
public final class Params {
    private Params() {}

    /** The parameter's value, null when absent; {@code bad_query} when it is given more than once. */
    public static String one(Parameters p, String name) throws LiveQueryException {
        if (!p.contains(name)) {
            return null;
        }
        List<String> all = p.all(name);
        if (all.size() > 1) {
            throw new LiveQueryException(
                    BAD_QUERY, "parameter '" + name + "' is given " + all.size() + " times; give it once");
        }
        return all.isEmpty() ? null : all.get(0);
    }
}
