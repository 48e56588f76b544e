package dev.livequery.gateway.ws;

import dev.livequery.core.Frame;
import dev.livequery.core.FrameCodec;
import dev.livequery.gateway.delivery.Close;
import dev.livequery.gateway.delivery.Transport;
import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataWriter;
import io.helidon.webserver.ConnectionContext;
import io.helidon.websocket.WsSession;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Frames as WebSocket text messages, every message a writer pass has in one socket write.
 *
 * <p>Helidon's {@code WsSession.send} writes each message to the socket on its own ({@code writeNow}),
 * one syscall per frame. So the frames of a pass are framed here (RFC 6455 §5.2: FIN, opcode text,
 * unmasked server payload length) into one buffer and written with the connection's own
 * {@link DataWriter} in {@link #flush()}. That is safe because nothing else writes to this socket
 * while the connection is open: our writer is the only sender of data, ping and pong frames, and
 * Helidon's own close reply comes only after {@code onClose}, which waits for our writer to stop.
 * Control frames and the close go through the session as before.
 */
final class WsTransport implements Transport {
    private static final byte FIN_TEXT = (byte) 0x81;
    private static final byte FIN_PING = (byte) 0x89;
    private static final byte FIN_PONG = (byte) 0x8A;
    /** A pass that queued more than this writes it out before queueing more. */
    private static final int MAX_BUFFER = 64 * 1024;

    private final WsSession session;
    /** Called once our close frame is sent: the peer then has a grace to answer it. */
    private final Runnable closeSent;
    /** The raw socket writer, or null when the session is not Helidon's server connection. */
    private final DataWriter socket;
    /** What this pass queued; dropped after each flush, so an idle connection holds no buffer. */
    private byte[] buf;

    private int len;

    WsTransport(WsSession session, Runnable closeSent) {
        this.session = session;
        this.closeSent = closeSent;
        this.socket = session.socketContext() instanceof ConnectionContext c ? c.dataWriter() : null;
    }

    @Override
    public Kind kind() {
        return Kind.WS;
    }

    @Override
    public int write(Frame frame, byte[] subMember) {
        int n = FrameCodec.length(frame, subMember);
        if (socket == null) {
            byte[] b = new byte[n];
            FrameCodec.writeTo(frame, b, 0, subMember);
            session.send(new String(b, StandardCharsets.UTF_8), true);
            return n;
        }
        int at = header(FIN_TEXT, n);
        FrameCodec.writeTo(frame, buf, at, subMember);
        len = at + n;
        spill();
        return n;
    }

    @Override
    public void write(String json) {
        if (socket == null) {
            session.send(json, true);
            return;
        }
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        int at = header(FIN_TEXT, b.length);
        System.arraycopy(b, 0, buf, at, b.length);
        len = at + b.length;
        spill();
    }

    @Override
    public void flush() {
        if (len > 0) {
            BufferData data = BufferData.create(buf, 0, len);
            buf = null;
            len = 0;
            socket.writeNow(data);
        }
    }

    @Override
    public void keepAlive() {
        control(FIN_PING);
    }

    @Override
    public void pong() {
        control(FIN_PONG);
    }

    private void control(byte op) {
        if (socket == null) {
            if (op == FIN_PING) {
                session.ping(BufferData.empty());
            } else {
                session.pong(BufferData.empty());
            }
            return;
        }
        len = header(op, 0);
    }

    @Override
    public void finish(Close close) {
        buf = null; // what the last pass left unflushed: the close frame goes first (see Outbound)
        len = 0;
        try {
            session.close(close.code(), close.reason());
        } catch (RuntimeException e) {
            // the peer is gone already; nothing left to tell it
        }
        closeSent.run();
    }

    /** Makes room for a frame of {@code n} payload bytes, writes its header; returns where the payload goes. */
    private int header(byte first, int n) {
        int need = len + 10 + n;
        if (buf == null) {
            buf = new byte[Math.max(need, 1024)];
        } else if (need > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(need, buf.length * 2));
        }
        int at = len;
        buf[at++] = first;
        if (n < 126) {
            buf[at++] = (byte) n;
        } else if (n < 1 << 16) {
            buf[at++] = 126;
            buf[at++] = (byte) (n >>> 8);
            buf[at++] = (byte) n;
        } else {
            buf[at++] = 127;
            for (int shift = 56; shift >= 0; shift -= 8) {
                buf[at++] = (byte) ((long) n >>> shift);
            }
        }
        return at;
    }

    private void spill() {
        if (len > MAX_BUFFER) {
            flush();
        }
    }
}
