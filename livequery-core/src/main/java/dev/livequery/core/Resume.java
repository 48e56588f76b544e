package dev.livequery.core;

import java.util.ArrayList;
import java.util.List;

/**
 * What a resume sends: the splice from the state a token names ({@link Tokens.State}) to the
 * window now, rebuilt from the view and the table's history (see the package doc, "Resume without
 * server-side session state"). Under the table's lock.
 */
final class Resume {
    private Resume() {}

    /**
     * The splice from the state {@code s} names to {@code w} as of change {@code seq}, or null if
     * that state cannot be rebuilt. The horizon counts from the newest state a token names: when
     * its frame was sent.
     */
    static List<Frame> splice(View v, LiveWindow w, Tokens.State s, long seq) {
        List<Frame> out = new ArrayList<>();
        Tokens.Range now = w.range(seq);
        long sent = switch (s) {
            case Tokens.Range r -> r.seq();
            case Tokens.PartialSplice sp -> sp.b().seq();
            case Tokens.Nested n -> n.to().seq();
        };
        if (!v.table.history.within(sent, System.nanoTime())) {
            return null;
        }
        if (s instanceof Tokens.Range r) {
            Entry[] a = v.rangeAt(r);
            if (a == null) {
                return null;
            }
            Splice.diff(a, w.rows(), r, now, v.tokens, out);
            return out;
        }
        if (s instanceof Tokens.PartialSplice sp) {
            // Exactly what the client holds, to the window now: no row it has is sent again.
            Entry[] held = held(v, sp);
            if (held == null) {
                return null;
            }
            Splice.diff(held, w.rows(), k -> new Tokens.Nested(sp, now, k), v.tokens, out);
            return out;
        }
        // Cut inside such a resume: complete it (its frames again carry Nested tokens), then
        // splice from its end to now. A row both splices touch can be sent again (documented).
        Tokens.Nested n = (Tokens.Nested) s;
        Entry[] held = held(v, n.from());
        Entry[] to = v.rangeAt(n.to());
        if (held == null || to == null) {
            return null;
        }
        Splice.diff(held, to, k -> new Tokens.Nested(n.from(), n.to(), k), v.tokens, out);
        if (n.k() > out.size()) {
            return null;
        }
        out.subList(0, n.k()).clear();
        Splice.diff(to, w.rows(), n.to(), now, v.tokens, out);
        return out;
    }

    /** The list a {@link Tokens.PartialSplice} names: its first j frames applied to its start. */
    private static Entry[] held(View v, Tokens.PartialSplice sp) {
        Entry[] a = v.rangeAt(sp.a());
        Entry[] b = v.rangeAt(sp.b());
        if (a == null || b == null) {
            return null;
        }
        List<Frame> frames = new ArrayList<>();
        Splice.diff(a, b, sp.a(), sp.b(), v.tokens, frames);
        if (sp.j() > frames.size()) {
            return null;
        }
        return Splice.prefix(a, b, frames, sp.j());
    }
}
