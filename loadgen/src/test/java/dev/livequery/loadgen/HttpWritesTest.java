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
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link HttpWrites} against a real (Netty) HTTP server: statuses, bodies, kept-alive connections, a dropped one. */
class HttpWritesTest {
    private final EventLoopGroup serverLoop = new NioEventLoopGroup(1);
    private final Set<Channel> connections = ConcurrentHashMap.newKeySet();
    private final BlockingQueue<String> requests = new LinkedBlockingQueue<>();
    private URI base;

    @BeforeEach
    void server() throws Exception {
        Channel listener = new ServerBootstrap()
                .group(serverLoop)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.add(ch);
                        ch.pipeline()
                                .addLast(
                                        new HttpServerCodec(),
                                        new HttpObjectAggregator(1 << 16),
                                        new SimpleChannelInboundHandler<FullHttpRequest>() {
                                            @Override
                                            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest r) {
                                                String body = r.content().toString(StandardCharsets.UTF_8);
                                                requests.add(r.method() + " " + r.uri() + " "
                                                        + r.headers().get(HttpHeaderNames.AUTHORIZATION) + " " + body);
                                                if (r.uri().equals("/drop")) {
                                                    ctx.close();
                                                    return;
                                                }
                                                FullHttpResponse res = new DefaultFullHttpResponse(
                                                        HttpVersion.HTTP_1_1,
                                                        r.uri().equals("/missing")
                                                                ? HttpResponseStatus.NOT_FOUND
                                                                : HttpResponseStatus.OK);
                                                res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
                                                ctx.writeAndFlush(res);
                                            }
                                        });
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .sync()
                .channel();
        base = URI.create("http://127.0.0.1:" + ((InetSocketAddress) listener.localAddress()).getPort());
    }

    @AfterEach
    void stop() {
        serverLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    @Test
    void sendsTheRequestAndReturnsTheStatusOverKeptAliveConnections() throws Exception {
        try (HttpWrites http = new HttpWrites(base, 4, "tok")) {
            byte[] body = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
            assertThat(http.send(HttpMethod.PUT, "/v1/tables/t/rows/r1", body).get(10, TimeUnit.SECONDS))
                    .isEqualTo(200);
            assertThat(requests.poll(10, TimeUnit.SECONDS)).isEqualTo("PUT /v1/tables/t/rows/r1 Bearer tok {\"a\":1}");
            assertThat(http.send(HttpMethod.POST, "/missing", body).get(10, TimeUnit.SECONDS))
                    .isEqualTo(404);
            List<CompletableFuture<Integer>> many = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                many.add(http.send(HttpMethod.PUT, "/r" + i, body));
            }
            for (CompletableFuture<Integer> f : many) {
                assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo(200);
            }
            assertThat(connections).as("202 requests, at most 4 connections").hasSizeBetween(1, 4);
        }
    }

    @Test
    void aConnectionClosedBeforeTheResponseFailsTheWriteAndIsNotReused() throws Exception {
        try (HttpWrites http = new HttpWrites(base, 1, null)) {
            byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> http.send(HttpMethod.PUT, "/drop", body).get(10, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class);
            assertThat(http.send(HttpMethod.PUT, "/after", body).get(10, TimeUnit.SECONDS))
                    .isEqualTo(200);
            assertThat(connections).hasSize(2);
        }
    }
}
