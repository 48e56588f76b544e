package dev.livequery.gateway.auth;

import dev.livequery.redis.store.Redis;
import java.util.logging.Filter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.regex.Pattern;

/**
 * Keeps credentials out of log lines: bearer tokens, {@code access_token} and {@code lq_token}
 * values, anything shaped like a JWT, and the user-info part of URIs ({@code redis://:pw@host}).
 * Our own code never logs them; this is the net under libraries that log request lines.
 */
public final class Redact {
    private static final Pattern PARAM = Pattern.compile("((?:access_token|lq_token)=)[^&;\\s\"']++");
    private static final Pattern BEARER = Pattern.compile("(?i)(bearer\\s++)[A-Za-z0-9._~+/=-]++");
    /**
     * A JWT: {@code eyJ…} and two more dot-separated segments, wherever it starts in a run of
     * base64url characters. Linear in the text, which may be anyone's (a header): a match is tried
     * only where a run starts (the lookbehind), the run's prefix up to its first {@code eyJ} is
     * taken without backtracking, and every quantifier is possessive, as no segment can hold a dot.
     * The plain {@code eyJ[…]*\.[…]*\.[…]*} scanned to the end of the run from every {@code eyJ} in
     * it: 14 KB of {@code eyJ} in an Origin header cost 1.6 s of CPU.
     */
    static final Pattern JWT = Pattern.compile(
            "(?<![A-Za-z0-9_-])((?:(?!eyJ)[A-Za-z0-9_-])*+)eyJ[A-Za-z0-9_-]*+\\.[A-Za-z0-9_-]*+\\.[A-Za-z0-9_-]*+");

    private Redact() {}

    public static String text(String s) {
        if (s == null) {
            return null;
        }
        String out = PARAM.matcher(s).replaceAll("$1<redacted>");
        out = BEARER.matcher(out).replaceAll("$1<redacted>");
        out = JWT.matcher(out).replaceAll("$1<jwt redacted>");
        return Redis.redact(out);
    }

    /** A URI for a log line: {@code redis://user:secret@host:6379} becomes {@code redis://<redacted>@host:6379}. */
    public static String uri(String uri) {
        return Redis.redact(uri);
    }

    /** Puts the redacting filter in front of every handler of the root logger (call after logging is configured). */
    public static void install() {
        for (Handler h : Logger.getLogger("").getHandlers()) {
            Filter prior = h.getFilter();
            if (prior instanceof Scrub) {
                continue;
            }
            h.setFilter(new Scrub(prior));
        }
    }

    /** Formats the record's message with its parameters, then replaces it with the redacted text. */
    static final class Scrub implements Filter {
        private static final SimpleFormatter FORMAT = new SimpleFormatter();
        private final Filter next;

        Scrub(Filter next) {
            this.next = next;
        }

        @Override
        public boolean isLoggable(LogRecord r) {
            String m = FORMAT.formatMessage(r);
            String red = text(m);
            if (!red.equals(m)) {
                r.setMessage(red);
                r.setParameters(null);
            }
            return next == null || next.isLoggable(r);
        }
    }
}
