package dev.livequery.gateway.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livequery.core.Frame;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A write that the watchdog's abort does not end the first time (its interrupt swallowed on the
 * way, as a blocking call that catches InterruptedException and carries on would) is interrupted
 * again a grace later, so the connection still ends instead of holding its socket and slot until
 * the peer reads or the process stops. The transport is a fake: what is tested is the writer's
 * life, not a socket.
 */
class OutboundAbortTest {

    /** A peer that never reads: every write blocks until interrupted; the first interrupt is lost. */
    static class StuckTransport implements Transport {
        final AtomicInteger interrupts = new AtomicInteger();
        private final CountDownLatch never = new CountDownLatch(1);

        @Override
        public Kind kind() {
            return Kind.WS;
        }

        @Override
        public int write(Frame frame, byte[] subMember) throws IOException {
            block();
            return 0;
        }

        @Override
        public void write(String json) throws IOException {
            block();
        }

        private void block() throws IOException {
            while (true) {
                try {
                    never.await();
                } catch (InterruptedException e) {
                    if (interrupts.incrementAndGet() > 1) {
                        throw new InterruptedIOException("closed by interrupt");
                    }
                    // swallowed: the flag is not restored
                }
            }
        }

        @Override
        public void flush() {}

        @Override
        public void keepAlive() {}

        @Override
        public void finish(Close close) {}
    }

    /** The causes of the connections' ends, in order; the other meters are not looked at. */
    static class Teardowns implements DeliveryMetrics {
        final List<Close> causes = new CopyOnWriteArrayList<>();

        @Override
        public void sent(Transport.Kind transport, Frame frame, int chars) {}

        @Override
        public void teardown(Close close) {
            causes.add(close);
        }

        @Override
        public void lag(long nanos) {}
    }

    @Test
    void aWriterThatSwallowedTheAbortIsInterruptedAgainAndTheConnectionEnds() throws Exception {
        Teardowns teardowns = new Teardowns();
        try (Connections conns = new Connections(10, Duration.ofMillis(200))) {
            conns.metrics(teardowns);
            StuckTransport t = new StuckTransport();
            assertThat(conns.admit()).isTrue();
            Outbound o = conns.outbound(t, "stuck-peer", Duration.ofSeconds(60), null);
            o.start();
            o.reply("{\"op\":\"pong\"}");
            assertThat(o.awaitDone(Duration.ofSeconds(20)))
                    .as("the connection ended though its first interrupt was lost")
                    .isTrue();
            assertThat(t.interrupts).hasValue(2);
            assertThat(teardowns.causes).hasSize(1);
            assertThat(conns.open(Transport.Kind.WS)).isZero();
        }
    }

    /** A writer that meets an Error (a stack overflow encoding a frame, say) still ends its connection. */
    @Test
    void anErrorInTheWriterEndsTheConnection() throws Exception {
        Teardowns teardowns = new Teardowns();
        try (Connections conns = new Connections(10, Duration.ofMillis(200))) {
            conns.metrics(teardowns);
            Transport boom = new StuckTransport() {
                @Override
                public void write(String json) {
                    throw new StackOverflowError("encoding a frame");
                }
            };
            assertThat(conns.admit()).isTrue();
            Outbound o = conns.outbound(boom, "error-peer", Duration.ofSeconds(60), null);
            o.start();
            o.reply("{\"op\":\"pong\"}");
            assertThat(o.awaitDone(Duration.ofSeconds(20)))
                    .as("the connection ended")
                    .isTrue();
            assertThat(teardowns.causes).containsExactly(Close.WRITE_FAILED);
            assertThat(conns.open(Transport.Kind.WS)).isZero();
        }
    }
}
