package dev.livequery.loadgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Netty transport of {@link WsClient} against a real (Netty) WebSocket server on loopback. */
class WsClientTest {
    private final EventLoopGroup serverLoop = new NioEventLoopGroup(1);
    private final ClientPool pool = new ClientPool("127.0.0.1", 500, 10);
    private final CompletableFuture<Channel> serverSide = new CompletableFuture<>();
    private final BlockingQueue<String> serverGot = new LinkedBlockingQueue<>();
    private URI uri;

    /** A client that completes ready on open and queues every message. */
    private static final class Recording extends WsClient {
        final BlockingQueue<String> got = new LinkedBlockingQueue<>();

        Recording(ClientPool pool, URI uri) {
            super(pool, 0, uri, new Stats());
        }

        @Override
        protected void opened() {
            send("one");
            send("two");
            ready.complete(null);
        }

        @Override
        protected void message(String text) {
            got.add(text);
        }

        @Override
        public List<dev.livequery.testkit.Replica> replicas() {
            return List.of();
        }

        @Override
        public List<Integer> shapes() {
            return List.of();
        }
    }

    @BeforeEach
    void server() throws Exception {
        Channel listener = new ServerBootstrap()
                .group(serverLoop)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline()
                                .addLast(
                                        new HttpServerCodec(),
                                        new HttpObjectAggregator(8192),
                                        new WebSocketServerProtocolHandler("/ws"),
                                        new SimpleChannelInboundHandler<TextWebSocketFrame>() {
                                            @Override
                                            public void channelActive(ChannelHandlerContext ctx) throws Exception {
                                                serverSide.complete(ctx.channel());
                                                super.channelActive(ctx);
                                            }

                                            @Override
                                            protected void channelRead0(
                                                    ChannelHandlerContext ctx, TextWebSocketFrame f) {
                                                serverGot.add(f.text());
                                            }
                                        });
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .sync()
                .channel();
        uri = URI.create("ws://127.0.0.1:" + ((InetSocketAddress) listener.localAddress()).getPort() + "/ws");
    }

    @AfterEach
    void stop() {
        pool.close();
        serverLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    @Test
    void sendsInOrderAndAssemblesAMessageOfSeveralFrames() throws Exception {
        Recording c = new Recording(pool, uri);
        c.connect().get(10, TimeUnit.SECONDS);
        assertThat(serverGot.poll(10, TimeUnit.SECONDS)).isEqualTo("one");
        assertThat(serverGot.poll(10, TimeUnit.SECONDS)).isEqualTo("two");
        Channel s = serverSide.get(10, TimeUnit.SECONDS);
        s.write(new TextWebSocketFrame(false, 0, "hel"));
        s.write(new ContinuationWebSocketFrame(false, 0, "lo, "));
        s.writeAndFlush(new ContinuationWebSocketFrame(true, 0, "world"));
        assertThat(c.got.poll(10, TimeUnit.SECONDS)).isEqualTo("hello, world");
        assertThat(c.marks()).as("every connect step is stamped").doesNotContain(0L);
        c.drop();
    }

    @Test
    void pauseStopsReadingUntilTheServerCannotWriteAndResumeReadsEverything() throws Exception {
        Recording c = new Recording(pool, uri);
        c.connect().get(10, TimeUnit.SECONDS);
        Channel s = serverSide.get(10, TimeUnit.SECONDS);
        c.pause();
        String kb8 = "x".repeat(8192);
        // Write until the server's own buffer holds back, i.e. the socket between them is full (at
        // most 64 MB).
        CompletableFuture<Integer> sent = new CompletableFuture<>();
        s.eventLoop().execute(() -> {
            int n = 0;
            while (s.isWritable() && n < 8192) {
                s.writeAndFlush(new TextWebSocketFrame(kb8));
                n++;
            }
            sent.complete(s.isWritable() ? -n : n);
        });
        int n = sent.get(30, TimeUnit.SECONDS);
        assertThat(n).as("messages written before the server's buffer filled").isPositive();
        // A client still reading takes about half of what the server writes before its buffer fills
        // (650 of 1,193 when pause() did nothing); a paused one none, but for a read under way.
        assertThat(c.got.size()).as("messages read while paused, of %d", n).isLessThan(n / 4);
        c.resume();
        for (int i = 0; i < n; i++) {
            assertThat(c.got.poll(10, TimeUnit.SECONDS))
                    .as("message %d after resume", i)
                    .isEqualTo(kb8);
        }
        c.drop();
    }

    @Test
    void aCloseFrameSurfacesItsCode() throws Exception {
        Recording c = new Recording(pool, uri);
        c.connect().get(10, TimeUnit.SECONDS);
        Channel s = serverSide.get(10, TimeUnit.SECONDS);
        s.writeAndFlush(new CloseWebSocketFrame(4008, "too slow"));
        s.closeFuture().get(10, TimeUnit.SECONDS); // the client answered and the server closed
        assertThat(c.closeCode()).isEqualTo(4008);
        assertThat(c.gone()).isTrue();
    }

    @Test
    void aRefusedConnectionFailsReady() throws Exception {
        int closed;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            closed = free.getLocalPort();
        }
        Recording c = new Recording(pool, URI.create("ws://127.0.0.1:" + closed + "/ws"));
        assertThatThrownBy(() -> c.connect().get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        assertThat(c.gone()).isFalse();
    }
}
