package dev.livequery.gateway.sse;

import dev.livequery.gateway.delivery.Close;
import dev.livequery.gateway.delivery.Transport;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

/** Frames as SSE events on the response stream; one flush per batch. */
final class SseTransport implements Transport {
    private Writer out;

    void open(OutputStream stream, long retryMillis) throws IOException {
        out = new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), 32 * 1024);
        out.write("retry: " + retryMillis + "\n\n");
        out.flush();
    }

    @Override
    public String kind() {
        return "sse";
    }

    @Override
    public void write(String json, String eid) throws IOException {
        if (eid != null) {
            out.write("id: ");
            out.write(eid);
            out.write('\n');
        }
        out.write("data: ");
        out.write(json);
        out.write("\n\n");
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void keepAlive() throws IOException {
        out.write("event: heartbeat\ndata: {}\n\n");
    }

    @Override
    public void finish(Close close) {
        try {
            out.close();
        } catch (IOException e) {
            // the client is gone; the stream is over either way
        }
    }
}
