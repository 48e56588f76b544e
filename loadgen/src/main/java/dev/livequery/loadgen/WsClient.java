package dev.livequery.loadgen;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The part every WebSocket client shares, on Netty ({@link ClientPool}): the upgrade, messages
 * assembled from their frames, ordered sends, close codes, and reading that can be withheld
 * ({@link #pause}): with auto-read off Netty stops reading the socket, so the kernel's buffers fill
 * and the server sees exactly "this client stopped reading".
 */
abstract class WsClient implements LiveClient {
    /** A subscribe's first window with fat rows is a few hundred kB; a message is refused above this. */
    private static final int MAX_MESSAGE = 64 << 20;

    protected final URI uri;
    protected final Stats stats;
    private final ClientPool pool;
    private final int index;
    protected volatile boolean slow;
    private volatile boolean paused;
    /** SO_RCVBUF of the next connect, 0 for the kernel's (see {@link LiveClient#receiveBuffer}). */
    private volatile int receiveBuffer;
    /** The connection of the last connect(); events of an earlier (dropped) one are ignored. */
    private volatile Conn current;

    private volatile ChannelFuture sendTail;
    private volatile int closeCode = -1;
    private volatile boolean gone;
    protected volatile CompletableFuture<Void> ready = new CompletableFuture<>();
    private final AtomicLongArray marks = new AtomicLongArray(Marks.values().length);

    /** Connection {@code index} of the pool (its source address), to {@code uri}. */
    WsClient(ClientPool pool, int index, URI uri, Stats stats) {
        this.pool = pool;
        this.index = index;
        this.uri = uri;
        this.stats = stats;
    }

    @Override
    public CompletableFuture<Void> connect() {
        for (int i = 0; i < marks.length(); i++) {
            marks.set(i, 0);
        }
        mark(Marks.START);
        CompletableFuture<Void> r = new CompletableFuture<>();
        ready = r;
        gone = false;
        closeCode = -1;
        sendTail = null;
        Conn conn = new Conn(r);
        current = conn;
        WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .version(WebSocketVersion.V13)
                .allowExtensions(false)
                .maxFramePayloadLength(MAX_MESSAGE)
                .handleCloseFrames(false) // we read the code, then answer and close
                // drop() is a dead connection, not a goodbye: without this Netty's close() first
                // writes a close frame (1000) to the socket
                .sendCloseFrame(null)
                .handshakeTimeoutMillis(15_000)
                .generateOriginHeader(false) // as java.net.http: a client that is not a browser
                .build();
        int port = uri.getPort() > 0 ? uri.getPort() : 80;
        Bootstrap bootstrap = pool.bootstrap();
        if (receiveBuffer > 0) {
            bootstrap.option(ChannelOption.SO_RCVBUF, receiveBuffer);
        }
        ChannelFuture f = bootstrap
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        conn.channel = ch; // before the upgrade can complete and opened() sends
                        ch.pipeline()
                                .addLast(
                                        new HttpClientCodec(),
                                        new HttpObjectAggregator(8192),
                                        new WebSocketClientProtocolHandler(config),
                                        new WebSocketFrameAggregator(MAX_MESSAGE),
                                        conn);
                    }
                })
                .connect(new InetSocketAddress(uri.getHost(), port), pool.localAddress(index));
        conn.channel = f.channel();
        f.addListener(x -> {
            if (!x.isSuccess()) {
                r.completeExceptionally(x.cause());
            }
        });
        return r;
    }

    /** The socket is open: send the subscriptions (or wait for a handshake). */
    protected abstract void opened();

    /** One complete text message arrived. */
    protected abstract void message(String text);

    /**
     * One complete text message, as UTF-8 bytes valid only during the call; decodes it to a String
     * unless a client reads the bytes itself.
     */
    protected void message(ByteBuf utf8) {
        message(utf8.toString(StandardCharsets.UTF_8));
    }

    /** Queues {@code text} behind every earlier send of this connection (Netty keeps a channel's writes in order). */
    protected void send(String text) {
        Conn c = current;
        if (c != null) {
            sendTail = c.channel.writeAndFlush(new TextWebSocketFrame(text));
        }
    }

    private void mark(Marks m) {
        marks.set(m.ordinal(), System.nanoTime());
    }

    @Override
    public long[] marks() {
        long[] m = new long[marks.length()];
        for (int i = 0; i < m.length; i++) {
            m[i] = marks.get(i);
        }
        return m;
    }

    @Override
    public void pause() {
        paused = true;
        Conn c = current;
        if (c != null) {
            c.channel.config().setAutoRead(false);
        }
    }

    @Override
    public void receiveBuffer(int bytes) {
        receiveBuffer = bytes;
    }

    @Override
    public void resume() {
        paused = false;
        Conn c = current;
        if (c != null) {
            c.channel.config().setAutoRead(true);
        }
    }

    @Override
    public void drop() {
        Conn c = current;
        current = null;
        if (c != null) {
            c.channel.close(); // no close handshake: the server finds a dead TCP connection
        }
    }

    @Override
    public void slow(boolean slow) {
        this.slow = slow;
    }

    @Override
    public boolean gone() {
        return gone;
    }

    @Override
    public int closeCode() {
        return closeCode;
    }

    /**
     * One connection's handler, its last stage. Failures before the upgrade only fail {@code ready};
     * after it, the first close frame, EOF or error also counts as the server ending the connection.
     */
    private final class Conn extends SimpleChannelInboundHandler<WebSocketFrame> {
        private final CompletableFuture<Void> ready;
        volatile Channel channel;
        private boolean open;
        private boolean ended;

        Conn(CompletableFuture<Void> ready) {
            this.ready = ready;
        }

        private boolean mine() {
            return current == this;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE && mine()) {
                open = true;
                mark(Marks.OPEN);
                opened();
                ChannelFuture tail = sendTail;
                if (tail == null) {
                    mark(Marks.SENT);
                } else {
                    tail.addListener(x -> mark(Marks.SENT));
                }
                if (paused) {
                    ctx.channel().config().setAutoRead(false);
                }
            } else if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
                ready.completeExceptionally(new IOException("WebSocket upgrade timed out"));
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (!mine()) {
                return; // a dropped connection's leftovers
            }
            if (frame instanceof TextWebSocketFrame) {
                if (marks.get(Marks.FIRST_FRAME.ordinal()) == 0) {
                    mark(Marks.FIRST_FRAME);
                }
                ByteBuf content = frame.content();
                stats.received(content.readableBytes());
                try {
                    message(content);
                } catch (RuntimeException e) {
                    ready.completeExceptionally(e);
                }
            } else if (frame instanceof CloseWebSocketFrame close) {
                int code = close.statusCode();
                closeCode = code;
                end(new IllegalStateException("closed " + code + " " + close.reasonText()));
                ctx.writeAndFlush(new CloseWebSocketFrame(code, "")).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (mine()) {
                end(new IOException("connection closed by the server"));
            }
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (mine()) {
                end(cause);
            }
            ctx.close();
        }

        private void end(Throwable why) {
            if (open && !ended) {
                ended = true;
                gone = true;
                stats.closes.increment();
            }
            ready.completeExceptionally(why);
        }
    }
}
