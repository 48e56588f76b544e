package dev.livequery.gateway.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.livequery.core.Frame;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The shared WebSocket writers ({@link Flushers}) behind {@link Outbound}, with transports that
 * record or block (the socket is an interface here; the real sockets are in WebSocketTest and
 * LifecycleTest).
 */
class FlushersTest {
    private final Connections connections = new Connections(1000, Duration.ofSeconds(30));

    FlushersTest() {
        connections.metrics(new DeliveryMetrics() {
            @Override
            public void sent(Transport.Kind transport, Frame frame, int chars) {}

            @Override
            public void teardown(Close close) {}

            @Override
            public void lag(long nanos) {}
        });
    }

    @AfterEach
    void close() {
        connections.close();
    }

    @Test
    void clientsStuckInWritesDoNotHoldUpTheOthers() throws Exception {
        // One more stuck client than there are core threads: every core thread ends up blocked.
        int stuck = Flushers.CORE + 1;
        CountDownLatch entered = new CountDownLatch(Flushers.CORE);
        CountDownLatch release = new CountDownLatch(1);
        List<FakeSocket> blocked = new ArrayList<>();
        for (int i = 0; i < stuck; i++) {
            FakeSocket s = new FakeSocket(entered, release);
            blocked.add(s);
            open(s).reply("{\"type\":\"pong\",\"n\":" + i + "}");
        }
        assertTrue(entered.await(10, TimeUnit.SECONDS), "the core threads took the stuck clients");

        FakeSocket fine = new FakeSocket(null, null);
        open(fine).reply("{\"type\":\"pong\"}");
        assertTrue(fine.flushed.await(10, TimeUnit.SECONDS), "a reading client is written while others are stuck");

        release.countDown();
        for (FakeSocket s : blocked) {
            assertTrue(s.flushed.await(10, TimeUnit.SECONDS), "a stuck client is written once its socket drains");
        }
    }

    @Test
    void anAbortBreaksOnlyTheStuckClientsWrite() throws Exception {
        // Fill every core thread with a stuck client, abort them all: each thread is interrupted out
        // of its client's write and must then write other clients without a leftover interrupt.
        CountDownLatch entered = new CountDownLatch(Flushers.CORE);
        List<Outbound> stuck = new ArrayList<>();
        List<FakeSocket> sockets = new ArrayList<>();
        for (int i = 0; i < Flushers.CORE; i++) {
            FakeSocket s = new FakeSocket(entered, new CountDownLatch(1)); // never released
            sockets.add(s);
            Outbound o = open(s);
            stuck.add(o);
            o.reply("{\"type\":\"pong\"}");
        }
        assertTrue(entered.await(10, TimeUnit.SECONDS));
        for (Outbound o : stuck) {
            o.abort(Close.SLOW_CONSUMER);
        }
        for (int i = 0; i < stuck.size(); i++) {
            assertTrue(stuck.get(i).awaitDone(Duration.ofSeconds(10)), "the aborted client ended");
            assertTrue(sockets.get(i).interrupted.get(), "its write was interrupted");
        }
        List<FakeSocket> next = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            FakeSocket s = new FakeSocket(null, null);
            next.add(s);
            open(s).reply("{\"type\":\"pong\"}");
        }
        for (FakeSocket s : next) {
            assertTrue(s.flushed.await(10, TimeUnit.SECONDS));
            assertFalse(s.interrupted.get(), "an abort's interrupt reached another client's write");
        }
    }

    @Test
    void oneClientIsWrittenByOneThreadAtATimeInOrder() throws Exception {
        FakeSocket s = new FakeSocket(null, null);
        Outbound o = open(s);
        int producers = 4;
        int each = 200; // under Writes.MAX_REPLIES together, whatever the writer's pace
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            int id = p;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < each; i++) {
                    o.reply(id + ":" + i);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        o.closeAfterDrain(Close.SHUTDOWN);
        assertTrue(o.awaitDone(Duration.ofSeconds(10)));
        assertFalse(s.overlapped.get(), "two threads wrote one client at once");
        int[] next = new int[producers];
        for (String m : s.written) {
            String[] parts = m.split(":");
            int p = Integer.parseInt(parts[0]);
            assertEquals(next[p]++, Integer.parseInt(parts[1]), "replies of one producer out of order");
        }
        for (int p = 0; p < producers; p++) {
            assertEquals(each, next[p], "replies lost");
        }
    }

    private Outbound open(FakeSocket s) {
        assertTrue(connections.admit());
        Outbound o = connections.outbound(s, "test", Duration.ofMinutes(5), null);
        o.start();
        return o;
    }

    /** Records what a pass wrote; optionally blocks in its first write until released (or interrupted). */
    private static final class FakeSocket implements Transport {
        final ConcurrentLinkedQueue<String> written = new ConcurrentLinkedQueue<>();
        final CountDownLatch flushed = new CountDownLatch(1);
        final AtomicBoolean interrupted = new AtomicBoolean();
        final AtomicBoolean overlapped = new AtomicBoolean();
        private final AtomicInteger inside = new AtomicInteger();
        private final CountDownLatch entered;
        private final CountDownLatch release;

        FakeSocket(CountDownLatch entered, CountDownLatch release) {
            this.entered = entered;
            this.release = release;
        }

        @Override
        public Kind kind() {
            return Kind.WS;
        }

        @Override
        public int write(Frame frame, byte[] subMember) {
            throw new AssertionError("no subscriptions here");
        }

        @Override
        public void write(String json) throws IOException {
            if (inside.incrementAndGet() > 1) {
                overlapped.set(true);
            }
            try {
                if (Thread.currentThread().isInterrupted()) {
                    interrupted.set(true);
                }
                if (release != null) {
                    if (entered != null) {
                        entered.countDown();
                    }
                    try {
                        release.await(); // a full TCP window: the write waits for the peer
                    } catch (InterruptedException e) {
                        interrupted.set(true); // as the JDK does: an interrupted socket write fails
                        throw new InterruptedIOException("closed by interrupt");
                    }
                }
                written.add(json);
            } finally {
                inside.decrementAndGet();
            }
        }

        @Override
        public void flush() {
            flushed.countDown();
        }

        @Override
        public void keepAlive() {}

        @Override
        public void finish(Close close) {}
    }
}
