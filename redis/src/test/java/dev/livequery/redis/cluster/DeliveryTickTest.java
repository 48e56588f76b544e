package dev.livequery.redis.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The tick's applied positions on the wire: one encoding, one parser, older ticks still read. */
class DeliveryTickTest {
    @Test
    void positionsRoundTrip() {
        Map<Integer, String> ap = new LinkedHashMap<>();
        ap.put(3, "1700000000000-0");
        ap.put(255, "1700000000123-17");
        DeliveryEntry e = new DeliveryEntry("s1/ab", 9, new Delivery.Tick(2, ap));
        DeliveryEntry back = DeliveryEntry.parse(e.map());
        assertThat(back).isEqualTo(e);
        assertThat(new DeliveryEntry("s1/ab", 10, new Delivery.Tick(0, Map.of())))
                .isEqualTo(DeliveryEntry.parse(new DeliveryEntry("s1/ab", 10, new Delivery.Tick(0, Map.of())).map()));
    }

    @Test
    void theDigestRoundTripsAndIsTheXorOfTheIdsHashes() {
        long d = Delivery.Tick.hash("gw.inc.1") ^ Delivery.Tick.hash("gw.inc.2");
        assertThat(d).isNotZero();
        assertThat(Delivery.Tick.hash("gw.inc.1")).isNotEqualTo(Delivery.Tick.hash("gw.inc.2"));
        for (long digest : new long[] {d, -1L, 0L, Long.MIN_VALUE}) {
            DeliveryEntry e = new DeliveryEntry("s1/ab", 5, new Delivery.Tick(2, Map.of(3, "1-0"), digest));
            assertThat(DeliveryEntry.parse(e.map())).isEqualTo(e);
        }
        Delivery.Tick old = (Delivery.Tick) DeliveryEntry.parse(Map.of("sh", "s1/ab", "sq", "1", "k", "t", "c", "4"))
                .body();
        assertThat(old.digest()).as("an older shard's tick: not checked").isNull();
        assertThatThrownBy(() -> DeliveryEntry.parse(Map.of("sh", "s1/ab", "sq", "1", "k", "t", "c", "1", "d", "xyz")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anAttachAckCarriesItsPartitionsPosition() {
        DeliveryEntry e = new DeliveryEntry("s1/ab", 3, new Delivery.Ack("r7", "", "", 42, "1700000000000-5"));
        assertThat(DeliveryEntry.parse(e.map())).isEqualTo(e);
        DeliveryEntry plain = new DeliveryEntry("s1/ab", 4, new Delivery.Ack("r8", "not_owner", "no"));
        assertThat(DeliveryEntry.parse(plain.map())).isEqualTo(plain);
        assertThat(((Delivery.Ack) DeliveryEntry.parse(plain.map()).body()).applied())
                .isNull();
        assertThatThrownBy(
                        () -> DeliveryEntry.parse(Map.of("sh", "s1/ab", "sq", "1", "k", "a", "req", "r", "ap", "1-0")))
                .as("a position without its partition")
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aTickFromAnOlderShardHasNoPositions() {
        Delivery.Tick t = (Delivery.Tick) DeliveryEntry.parse(Map.of("sh", "s1/ab", "sq", "1", "k", "t", "c", "4"))
                .body();
        assertThat(t.hosted()).isEqualTo(4);
        assertThat(t.applied()).isNull();
    }

    @Test
    void aBadPositionIsRefusedWithWhatIsWrong() {
        for (String bad : new String[] {"3", "3:", ":1-0", "3:17", "3:x-0", "x:1-0", "3:1-"}) {
            assertThatThrownBy(
                            () -> DeliveryEntry.parse(Map.of("sh", "s1/ab", "sq", "1", "k", "t", "c", "1", "ap", bad)))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
