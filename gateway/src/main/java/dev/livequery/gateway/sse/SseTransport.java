package dev.livequery.gateway.sse;

import dev.livequery.core.Frame;
import dev.livequery.core.FrameCodec;
import dev.livequery.gateway.delivery.Close;
import dev.livequery.gateway.delivery.Transport;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Frames as SSE events on the response stream: a writer pass's events are built in one buffer and
 * handed to the stream in one write and one flush. The buffer is dropped after each flush, so an
 * idle stream holds none.
 */
final class SseTransport implements Transport {
    private static final byte[] ID = ascii("id: ");
    private static final byte[] DATA = ascii("data: ");
    private static final byte[] HEARTBEAT = ascii("event: heartbeat\ndata: {}\n\n");
    private static final int MAX_BUFFER = 64 * 1024;

    private OutputStream out;
    private byte[] buf;
    private int len;

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    void open(OutputStream stream, long retryMillis) throws IOException {
        out = stream;
        out.write(ascii("retry: " + retryMillis + "\n\n"));
        out.flush();
    }

    @Override
    public Kind kind() {
        return Kind.SSE;
    }

    @Override
    public int write(Frame frame, byte[] subMember) throws IOException {
        String eid = frame.eid();
        int n = FrameCodec.length(frame, subMember);
        if (eid != null) {
            put(ID);
            put(eid.getBytes(StandardCharsets.US_ASCII)); // base64url or "~"
            put((byte) '\n');
        }
        put(DATA);
        room(n);
        len = FrameCodec.writeTo(frame, buf, len, subMember);
        put((byte) '\n');
        put((byte) '\n');
        spill();
        return n;
    }

    @Override
    public void write(String json) throws IOException {
        put(DATA);
        put(json.getBytes(StandardCharsets.UTF_8));
        put((byte) '\n');
        put((byte) '\n');
        spill();
    }

    @Override
    public void flush() throws IOException {
        if (len > 0) {
            byte[] b = buf;
            int n = len;
            buf = null;
            len = 0;
            out.write(b, 0, n);
        }
        out.flush();
    }

    @Override
    public void keepAlive() throws IOException {
        put(HEARTBEAT);
    }

    @Override
    public void finish(Close close) {
        buf = null; // what the last pass left unflushed (see Outbound): the stream ends here
        len = 0;
        try {
            out.close();
        } catch (IOException e) {
            // the client is gone; the stream is over either way
        }
    }

    private void room(int n) {
        if (buf == null) {
            buf = new byte[Math.max(n, 1024)];
        } else if (len + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(len + n, buf.length * 2));
        }
    }

    private void put(byte b) {
        room(1);
        buf[len++] = b;
    }

    private void put(byte[] b) {
        room(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
    }

    private void spill() throws IOException {
        if (len > MAX_BUFFER) {
            byte[] b = buf;
            int n = len;
            buf = null;
            len = 0;
            out.write(b, 0, n);
        }
    }
}
