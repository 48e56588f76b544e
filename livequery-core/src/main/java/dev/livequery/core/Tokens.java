package dev.livequery.core;

/**
 * Resume-token codec for one view (one shape, one history epoch).
 *
 * <h2>What a token names</h2>
 * A token names the exact list a client holds, in terms any process with the same change
 * history can rebuild, so it fits in the protocol's 200 bytes however large the window:
 * <ul>
 * <li>{@link Range}: {@code count} consecutive rows of the view as it was at change
 *     {@code seq}, located by one of them ({@code anchor}, {@code offset} rows from the start).
 *     Every state an incremental change, a snapshot or a snapshot cut short leaves a client in is
 *     such a range (see {@code LiveWindow}), so almost every frame carries one.</li>
 * <li>{@link PartialSplice}: the first {@code j} frames of the deterministic {@code Splice.diff(a, b)},
 *     applied to range {@code a}. Reanchors and resumes, whose intermediate states are not ranges,
 *     carry these.</li>
 * <li>{@link Nested}: the first {@code k} frames of {@code Splice.diff(x, to)}, applied to the
 *     list {@code x} a {@link PartialSplice} names. A resume from inside a splice sends exactly the diff
 *     from what the client holds to the current window, and its frames carry these. One level
 *     only, to stay within 200 bytes: a resume from a {@code Nested} token completes that splice
 *     first (see {@code Resume}).</li>
 * </ul>
 * The anchor is a row id, which the protocol caps at 128 characters; when the ids at hand would
 * push a token past 200 bytes the frame carries an unresumable token instead, which resumes as
 * {@code reset resume_miss}: correct, only slower.
 *
 * <p>Layout (base64url): kind, epoch, range(s), j, {@link Signer#seal sealed} in the {@code TOKEN}
 * domain (a key id and an 8-byte HMAC over the shape fingerprint, access filter included, and the
 * payload), so a token of another shape or filter, an edited one or a forged one does not verify.
 */
final class Tokens {
    static final int MAX_LENGTH = 200;
    static final String UNRESUMABLE = "~";
    private static final int RANGE = 1;
    private static final int PARTIAL_SPLICE = 2;
    private static final int NESTED = 3;

    sealed interface State permits Range, PartialSplice, Nested {}

    /** {@code count} rows of the view at {@code seq}, the row {@code anchor} being the {@code offset}-th. */
    record Range(long seq, String anchor, int offset, int count) implements State {
        static Range empty(long seq) {
            return new Range(seq, null, 0, 0);
        }

        /** Ids longer than this are anchors only when no row of the range has a shorter one. */
        private static final int SHORT_ID = 32;

        /** Names {@code rows[0..n)} at {@code seq}, anchored on a short id so tokens stay small. */
        static Range of(long seq, Entry[] rows, int n) {
            return of(seq, rows, n, n == 0 ? null : anchor(rows[0]));
        }

        /**
         * The anchor {@link #of} takes for a range that starts with {@code first}, or null when
         * the range's other ids must be looked at: a window keeps it for its first row.
         */
        static String anchor(Entry first) {
            String id = first.id();
            return id.length() > SHORT_ID ? null : id;
        }

        /** {@link #of(long, Entry[], int)}, given {@code anchor(rows[0])}: no row is read when it is not null. */
        static Range of(long seq, Entry[] rows, int n, String firstAnchor) {
            if (n == 0) {
                return empty(seq);
            }
            if (firstAnchor != null) {
                return new Range(seq, firstAnchor, 0, n);
            }
            int best = 0;
            if (rows[0].id().length() > SHORT_ID) {
                for (int i = 1; i < n; i++) {
                    if (rows[i].id().length() < rows[best].id().length()) {
                        best = i;
                    }
                }
            }
            return new Range(seq, rows[best].id(), best, n);
        }
    }

    /** The first {@code j} frames of {@code Splice.diff(a, b)} applied to {@code a}. */
    record PartialSplice(Range a, Range b, int j) implements State {}

    /** The first {@code k} frames of {@code Splice.diff(x, to)} applied to {@code x}, the list {@code from} names. */
    record Nested(PartialSplice from, Range to, int k) implements State {}

    /** Why a token was not accepted: the reset cause the client gets. */
    static final class Refused extends Exception {
        final String cause;

        Refused(String cause) {
            super(cause, null, false, false);
            this.cause = cause;
        }
    }

    final Signer signer;
    final Shape shape;
    final int epoch;

    Tokens(Signer signer, Shape shape, int epoch) {
        this.signer = signer;
        this.shape = shape;
        this.epoch = epoch;
    }

    String encode(State s) {
        Bytes.Writer w = new Bytes.Writer();
        if (s instanceof Range r) {
            w.u8(RANGE).i32(epoch);
            range(w, r);
        } else if (s instanceof PartialSplice sp) {
            w.u8(PARTIAL_SPLICE).i32(epoch);
            partialSplice(w, sp);
        } else {
            Nested n = (Nested) s;
            w.u8(NESTED).i32(epoch);
            partialSplice(w, n.from());
            range(w, n.to());
            w.varlong(n.k());
        }
        String token =
                Bytes.B64.encodeToString(signer.seal(Signer.Domain.TOKEN, shape.fingerprint(), w.out.toByteArray()));
        return token.length() <= MAX_LENGTH ? token : UNRESUMABLE;
    }

    private static void partialSplice(Bytes.Writer w, PartialSplice sp) {
        range(w, sp.a());
        range(w, sp.b());
        w.varlong(sp.j());
    }

    private static void range(Bytes.Writer w, Range r) {
        w.varlong(r.seq()).varlong(r.count());
        if (r.count() > 0) {
            w.varlong(r.offset()).str(r.anchor());
        }
    }

    /**
     * @throws Refused with {@code resume_miss} for anything that does not verify, {@code epoch}
     *                 for a genuine token from a history this process no longer has
     */
    State decode(String token, int maxWindow) throws Refused {
        if (token.length() > MAX_LENGTH) {
            throw new Refused("resume_miss");
        }
        byte[] all;
        try {
            all = Bytes.B64D.decode(token);
        } catch (IllegalArgumentException e) {
            throw new Refused("resume_miss");
        }
        if (all.length < Signer.OVERHEAD + 6 || !signer.open(Signer.Domain.TOKEN, shape.fingerprint(), all)) {
            throw new Refused("resume_miss");
        }
        try {
            Bytes.Reader r = new Bytes.Reader(all, 1, all.length - Signer.TAG);
            int kind = r.u8();
            int e = r.i32();
            State s;
            if (kind == RANGE) {
                s = range(r, maxWindow);
            } else if (kind == PARTIAL_SPLICE) {
                s = partialSplice(r, maxWindow);
            } else if (kind == NESTED) {
                PartialSplice from = partialSplice(r, maxWindow);
                Range to = range(r, maxWindow);
                s = new Nested(from, to, r.varint(2 * maxWindow + 2));
            } else {
                throw new Bytes.Malformed("kind");
            }
            if (!r.done()) {
                throw new Bytes.Malformed("trailing bytes");
            }
            if (e != epoch) {
                throw new Refused("epoch");
            }
            return s;
        } catch (Bytes.Malformed m) {
            throw new Refused("resume_miss");
        }
    }

    private static PartialSplice partialSplice(Bytes.Reader r, int maxWindow) throws Bytes.Malformed {
        Range a = range(r, maxWindow);
        Range b = range(r, maxWindow);
        return new PartialSplice(a, b, r.varint(2 * maxWindow + 2));
    }

    private static Range range(Bytes.Reader r, int maxWindow) throws Bytes.Malformed {
        long seq = r.varlong();
        int count = r.varint(maxWindow + 1);
        if (count == 0) {
            return Range.empty(seq);
        }
        int offset = r.varint(count - 1);
        return new Range(seq, r.str(), offset, count);
    }
}
