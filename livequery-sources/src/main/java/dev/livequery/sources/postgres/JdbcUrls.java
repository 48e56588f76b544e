package dev.livequery.sources.postgres;

import dev.livequery.redis.store.Redis;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * JDBC URLs fit for a log line or an error message: PgJDBC takes the password (and the SSL key's
 * password) as URL parameters, so a URL printed as configured can leak it. Every parameter value
 * is replaced by {@code <redacted>} except those known to be harmless and useful when reading a
 * log (the host, database and SSL mode stay); user info before the host goes as for Redis URIs.
 */
final class JdbcUrls {
    /** Parameters whose values say how to connect, not how to authenticate. */
    private static final Set<String> SHOWN = Set.of(
            "ssl",
            "sslmode",
            "sslrootcert",
            "sslcert",
            "sslkey",
            "user",
            "applicationname",
            "connecttimeout",
            "sockettimeout",
            "logintimeout",
            "targetservertype",
            "currentschema",
            "tcpkeepalive");

    private static final Pattern URL = Pattern.compile("jdbc:postgresql://[^\\s'\"]*");
    private static final Pattern PARAM = Pattern.compile("([?&])([^=&]*)=([^&]*)");

    private JdbcUrls() {}

    /** {@code text} with every JDBC URL in it redacted; works on error messages too. */
    static String redact(String text) {
        if (text == null) {
            return null;
        }
        Matcher m = URL.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(redactUrl(m.group())));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** One URL of any scheme: user info and every parameter value but the {@link #SHOWN} ones redacted. */
    static String redactUrl(String url) {
        Matcher m = PARAM.matcher(Redis.redact(url));
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = SHOWN.contains(m.group(2).toLowerCase(Locale.ROOT)) ? m.group(3) : "<redacted>";
            m.appendReplacement(out, Matcher.quoteReplacement(m.group(1) + m.group(2) + "=" + value));
        }
        m.appendTail(out);
        return out.toString();
    }
}
