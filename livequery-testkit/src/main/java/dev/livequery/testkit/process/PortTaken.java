package dev.livequery.testkit.process;

import java.io.IOException;

/**
 * A server exited at start because its port was in use: the port was free when picked and taken
 * before the server bound it (a busy machine, tests of other modules), so a fresh port may work.
 */
final class PortTaken extends IOException {
    private static final long serialVersionUID = 1L;

    PortTaken(String message) {
        super(message);
    }
}
