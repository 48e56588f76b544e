package dev.livequery.redis.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Shards tell the attachments of an earlier process of a gateway by the incarnation in their ids. */
class AttachmentIdTest {
    @Test
    void theIncarnationInAnAttachmentIdIsReadBack() {
        String att = Wire.attachment("gw.one", "1a81d0dd", 7);
        assertThat(att).isEqualTo("gw.one.1a81d0dd.7");
        assertThat(Wire.ofEarlierProcess("gw.one", att, "1a81d0dd")).isFalse();
        assertThat(Wire.ofEarlierProcess("gw.one", att, "359dea15")).isTrue();
    }

    @Test
    void anIdOfAnotherFormOrNoHeartbeatValueIsNeverJudgedEarlier() {
        assertThat(Wire.ofEarlierProcess("gw", "other.1a81d0dd.7", "359dea15")).isFalse();
        assertThat(Wire.ofEarlierProcess("gw", "gw.nodot", "359dea15")).isFalse();
        assertThat(Wire.ofEarlierProcess("gw", "gw..7", "359dea15")).isFalse();
        assertThat(Wire.ofEarlierProcess("gw", "gw.1a81d0dd.7", null)).isFalse();
        assertThat(Wire.ofEarlierProcess("gw", "gw.1a81d0dd.7", "")).isFalse();
    }
}
