package dev.livequery.gateway.delivery;

import dev.livequery.core.Frame;

/**
 * What the delivery path reports as it goes. An interface here, implemented by
 * {@code dev.livequery.gateway.metrics.GatewayMetrics}, so delivery does not depend on the
 * metrics package that reads its gauges.
 */
public interface DeliveryMetrics {
    /** A frame (or, with {@code frame} null, a ready-made reply) of {@code chars} went out on a {@code transport}. */
    void sent(Transport.Kind transport, Frame frame, int chars);

    /** A connection ended for {@code close}'s cause. */
    void teardown(Close close);

    /** From the engine making a frame to the socket taking it. */
    void lag(long nanos);
}
