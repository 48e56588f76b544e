package dev.livequery.loadgen;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.FixedChannelPool;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The writers' HTTP/1.1 client: keep-alive connections to one server from a pool of at most
 * {@code maxConnections}, one request per connection at a time, on one event loop thread of its own.
 * bench/cluster-latency measured ~0.75 ms of load-generator CPU per PUT on the JDK HttpClient (a
 * selector thread handing each exchange through a chain of CompletableFutures and executors); a
 * write here is a request encoded into a pooled connection and a status read back.
 */
final class HttpWrites implements AutoCloseable {
    private static final AttributeKey<CompletableFuture<Integer>> PENDING = AttributeKey.valueOf("pending");

    private final EventLoopGroup group = new NioEventLoopGroup(1, new DefaultThreadFactory("http-writes", true));
    private final FixedChannelPool pool;
    private final String host;
    private final String authorization;

    /** Connections to {@code base}'s host and port; {@code bearer} (or null) goes on every request. */
    HttpWrites(URI base, int maxConnections, String bearer) {
        int port = base.getPort() > 0 ? base.getPort() : 80;
        this.host = base.getHost() + ":" + port;
        this.authorization = bearer == null ? null : "Bearer " + bearer;
        Bootstrap b = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000)
                .remoteAddress(base.getHost(), port);
        this.pool = new FixedChannelPool(
                b,
                new AbstractChannelPoolHandler() {
                    @Override
                    public void channelCreated(Channel ch) {
                        ch.pipeline()
                                .addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20), new Responses());
                    }
                },
                maxConnections);
    }

    /** Sends {@code method path} with a JSON body; completes with the status, or fails if the connection did. */
    CompletableFuture<Integer> send(HttpMethod method, String path, byte[] json) {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        pool.acquire().addListener((Future<Channel> f) -> {
            if (!f.isSuccess()) {
                done.completeExceptionally(f.cause());
                return;
            }
            Channel ch = f.getNow();
            FullHttpRequest req =
                    new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, path, Unpooled.wrappedBuffer(json));
            req.headers()
                    .set(HttpHeaderNames.HOST, host)
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, json.length);
            if (authorization != null) {
                req.headers().set(HttpHeaderNames.AUTHORIZATION, authorization);
            }
            ch.attr(PENDING).set(done);
            ch.writeAndFlush(req).addListener(w -> {
                if (!w.isSuccess()) {
                    ch.close(); // channelInactive fails the request and returns the connection
                }
            });
        });
        return done;
    }

    /** Hands each response to its request and the connection back to the pool (or closes it). */
    private final class Responses extends SimpleChannelInboundHandler<FullHttpResponse> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) {
            CompletableFuture<Integer> p = ctx.channel().attr(PENDING).getAndSet(null);
            if (p == null) {
                return;
            }
            if (!HttpUtil.isKeepAlive(res)) {
                ctx.close();
            }
            pool.release(ctx.channel()); // before completing: the next write may take this connection
            p.complete(res.status().code());
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            CompletableFuture<Integer> p = ctx.channel().attr(PENDING).getAndSet(null);
            if (p != null) {
                pool.release(ctx.channel());
                p.completeExceptionally(new IOException("connection closed before the response"));
            }
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @Override
    public void close() {
        pool.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
