package dev.livequery.sources.postgres;

import dev.livequery.sources.postgres.SourceException.Code;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The replication slot as Postgres sees it: whether another process streams it (a start waits
 * for it to be idle, and may drop it) and whether it can still replay the changes after a
 * position ({@link #lost}).
 */
final class ReplicationSlot {
    /** How long a start waits for a slot that a just-killed process still holds. */
    static final java.time.Duration SLOT_WAIT = java.time.Duration.ofSeconds(15);

    private ReplicationSlot() {}

    /**
     * Embedded mode keeps its position in memory, so a slot left by an earlier run names a point
     * this process no longer knows: it is dropped and the source starts over with a snapshot. A
     * slot in use means another process streams this source. Waits for the slot to be idle and,
     * if {@code drop}, drops it; true if it was dropped.
     */
    static boolean awaitIdle(Connection c, PostgresSourceConfig config, boolean drop)
            throws SQLException, SourceException {
        // A process killed a moment ago may still hold the slot until Postgres notices its socket closed.
        long deadline = System.nanoTime() + SLOT_WAIT.toNanos();
        while (true) {
            try (PreparedStatement s = c.prepareStatement(
                    "select active, coalesce(active_pid, 0) from pg_replication_slots where slot_name = ?")) {
                s.setString(1, config.slot());
                try (ResultSet r = s.executeQuery()) {
                    if (!r.next()) {
                        return false;
                    }
                    if (!r.getBoolean(1)) {
                        break;
                    }
                    if (System.nanoTime() > deadline) {
                        throw new SourceException(
                                Code.SLOT_IN_USE,
                                "replication slot " + config.slot()
                                        + " is in use by backend pid " + r.getInt(2) + " (waited "
                                        + SLOT_WAIT.toSeconds()
                                        + " s): another process streams this source (set livequery.sources.postgres.slot "
                                        + "to a slot of its own)");
                    }
                }
            }
            try {
                Thread.sleep(200); // polling Postgres' view of the slot; nothing to wait on instead
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SourceException(
                        Code.SLOT_IN_USE, "interrupted while replication slot " + config.slot() + " was in use");
            }
        }
        if (!drop) {
            return false; // cluster mode: the stored position says where in this slot to resume
        }
        try (PreparedStatement s = c.prepareStatement("select pg_drop_replication_slot(?)")) {
            s.setString(1, config.slot());
            s.execute();
        }
        return true;
    }

    /**
     * Why the slot cannot replay the changes after {@code resumeLsn} (the position a resume asks
     * for, Debezium's {@code lsn_proc}; -1: not known), or null when it can. It cannot when it is
     * gone (dropped), invalidated (its WAL removed: {@code max_slot_wal_keep_size}), or restarts
     * after that position: Debezium's own check refuses the same, and would for ever.
     */
    static String lost(PostgresSourceConfig config, long resumeLsn) throws SourceException {
        try (Connection c = Catalog.connect(config);
                PreparedStatement s = c.prepareStatement("select restart_lsn is null"
                        + " or coalesce(to_jsonb(s) ->> 'wal_status', '') = 'lost'"
                        + " or coalesce(to_jsonb(s) ->> 'conflicting', '') = 'true',"
                        + " coalesce(pg_wal_lsn_diff(restart_lsn, '0/0'), -1)::int8"
                        + " from pg_replication_slots s where slot_name = ?")) {
            s.setString(1, config.slot());
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return "is gone (dropped)";
                }
                if (r.getBoolean(1)) {
                    return "was invalidated (its WAL was removed: max_slot_wal_keep_size)";
                }
                long restart = r.getLong(2);
                if (resumeLsn >= 0 && restart > resumeLsn) {
                    return "restarts at LSN " + restart + ", after the position to resume from (" + resumeLsn + ")";
                }
                return null;
            }
        } catch (SQLException e) {
            throw new SourceException(
                    Code.UNREACHABLE,
                    "cannot read replication slot " + config.slot() + " of " + JdbcUrls.redact(config.url()) + ": "
                            + JdbcUrls.redact(e.getMessage()),
                    e);
        }
    }
}
