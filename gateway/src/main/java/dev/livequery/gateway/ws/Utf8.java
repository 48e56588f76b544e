package dev.livequery.gateway.ws;

/** UTF-8 sizes of text Helidon already decoded, for limits stated in bytes. */
final class Utf8 {
    private Utf8() {}

    /**
     * The UTF-8 length of {@code s}, or, once the count passes {@code limit}, some value over it (an
     * oversized message is not counted to its end). A lone surrogate counts 3 bytes, as the
     * replacement character it stands for.
     */
    static int length(CharSequence s, int limit) {
        int bytes = 0;
        for (int i = 0, n = s.length(); i < n && bytes <= limit; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes++;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }
}
