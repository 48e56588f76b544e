package dev.livequery.testkit.process;

/** POSIX signals to a launched process: {@code STOP}/{@code CONT} pause it as a long GC or a stuck host would. */
final class Signals {
    private Signals() {}

    static void send(Process p, String sig) throws Exception {
        int rc = new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid()))
                .start()
                .waitFor();
        if (rc != 0) {
            throw new IllegalStateException("kill -" + sig + " " + p.pid() + " exited with " + rc);
        }
    }
}
