package dev.livequery.testkit.wire;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/** A WebSocket client done by hand on a raw socket, for what java.net.http will not do: never read. */
public final class RawWs implements AutoCloseable {
    public final Socket socket;
    public final String response;
    /** Every frame is read through this, so the paced and unpaced reads never lose bytes to each other. */
    private final Paced in;

    public RawWs(int port, String origin, int receiveBuffer) throws IOException {
        socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(10_000);
        String req =
                "GET /v1/ws HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                        + (origin == null ? "" : "Origin: " + origin + "\r\n") + "\r\n";
        socket.getOutputStream().write(req.getBytes(StandardCharsets.US_ASCII));
        InputStream raw = socket.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = raw.read();
            if (b < 0) {
                break;
            }
            head.write(b);
        }
        response = head.toString(StandardCharsets.US_ASCII);
        in = new Paced(raw);
    }

    /** One server frame: opcode (1 text, 8 close, 9 ping, 10 pong) and unmasked payload. */
    public record Frame(int opcode, byte[] payload) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        /** The close code of a close frame (1005 when it has none). */
        public int closeCode() {
            return payload.length < 2 ? 1005 : (payload[0] & 0xff) << 8 | payload[1] & 0xff;
        }

        public String closeReason() {
            return payload.length < 2 ? "" : new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8);
        }
    }

    /** The next frame the server sent, or null at the end of the stream. */
    public Frame read() throws IOException {
        in.pace(Integer.MAX_VALUE, 0);
        return read(in);
    }

    /**
     * The next frame, the socket read at most {@code chunk} bytes per {@code pauseMillis}: a client
     * that reads slowly, not one that stopped reading. The pace is per chunk, not per frame, so a
     * stream of small frames is read at the same byte rate as a large one.
     */
    public Frame readSlowly(int chunk, long pauseMillis) throws IOException {
        in.pace(chunk, pauseMillis);
        return read(in);
    }

    /** The socket's input through one buffer, refilled at the pace last asked for. */
    private static final class Paced extends InputStream {
        private final InputStream raw;
        private final byte[] buf = new byte[64 * 1024];
        private int pos;
        private int end;
        private int chunk = Integer.MAX_VALUE;
        private long pauseMillis;

        Paced(InputStream raw) {
            this.raw = raw;
        }

        void pace(int chunk, long pauseMillis) {
            this.chunk = chunk;
            this.pauseMillis = pauseMillis;
        }

        private boolean fill() throws IOException {
            if (pauseMillis > 0) {
                try {
                    Thread.sleep(pauseMillis); // the client's pace, not a synchronisation
                } catch (InterruptedException e) {
                    throw new java.io.InterruptedIOException();
                }
            }
            int n = raw.read(buf, 0, Math.min(buf.length, chunk));
            pos = 0;
            end = Math.max(n, 0);
            return n > 0;
        }

        @Override
        public int read() throws IOException {
            if (pos == end && !fill()) {
                return -1;
            }
            return buf[pos++] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0; // readNBytes asks for 0 bytes once it has them all: that must not block
            }
            if (pos == end && !fill()) {
                return -1;
            }
            int n = Math.min(len, end - pos);
            System.arraycopy(buf, pos, b, off, n);
            pos += n;
            return n;
        }
    }

    private static Frame read(InputStream in) throws IOException {
        int b0 = in.read();
        if (b0 < 0) {
            return null;
        }
        int b1 = in.read();
        if (b1 < 0) {
            return null;
        }
        long n = b1 & 0x7f;
        if (n == 126) {
            n = (in.read() & 0xff) << 8 | in.read() & 0xff;
        } else if (n == 127) {
            n = 0;
            for (int i = 0; i < 8; i++) {
                n = n << 8 | in.read() & 0xff;
            }
        }
        byte[] payload = in.readNBytes((int) n);
        if (payload.length < n) {
            return null;
        }
        return new Frame(b0 & 0x0f, payload);
    }

    public int status() {
        return Integer.parseInt(response.split(" ", 3)[1]);
    }

    /** Sends one masked text frame, as a client must. */
    public void sendText(String text) throws IOException {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write(0x81);
        if (payload.length < 126) {
            f.write(0x80 | payload.length);
        } else {
            f.write(0x80 | 126);
            f.write(payload.length >>> 8);
            f.write(payload.length & 0xff);
        }
        byte[] mask = new byte[4];
        new Random().nextBytes(mask);
        f.write(mask);
        for (int i = 0; i < payload.length; i++) {
            f.write(payload[i] ^ mask[i & 3]);
        }
        OutputStream out = socket.getOutputStream();
        out.write(f.toByteArray());
        out.flush();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
