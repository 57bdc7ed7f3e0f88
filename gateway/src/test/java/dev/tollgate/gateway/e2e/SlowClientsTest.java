package dev.tollgate.gateway.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.TestBed;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Clients that hold connections without using them (slowloris) are cut off by deadlines and caps, while real
 * clients are served: a connection must send its request head in time, and one address may hold only so many.
 */
class SlowClientsTest {

    static final int PER_CLIENT = 5;
    static final String HEAD = "POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\n";

    @TempDir
    static Path data;
    static TestBed bed;

    @BeforeAll
    static void start() throws Exception {
        bed = new TestBed(data, """
                  header_timeout_ms: 5000
                  keep_alive_timeout_ms: 300
                  max_connections_per_client: %d
                """.formatted(PER_CLIENT));
    }

    @AfterAll
    static void stop() {
        bed.close();
    }

    Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", bed.gateway.port()), 5000);
        s.setSoTimeout(15_000);
        return s;
    }

    /** Reads until the server closes the connection; what it sent before. */
    static String readToClose(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    @Test
    void aConnectionThatNeverFinishesItsHeadIsClosedAndTheCapRefusesTheRestCleanly() throws Exception {
        List<Socket> slow = new ArrayList<>();
        for (int i = 0; i < PER_CLIENT; i++) {
            Socket s = connect();
            s.getOutputStream().write(HEAD.getBytes(StandardCharsets.ISO_8859_1)); // and never the rest
            s.getOutputStream().flush();
            slow.add(s);
        }
        // one more from the same address is over the cap: a request it sends at once is answered 503
        try (Socket extra = connect()) {
            String body = "{}";
            OutputStream out = extra.getOutputStream();
            out.write((HEAD + "content-type: application/json\r\ncontent-length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String answer = readToClose(extra);
            assertThat(answer).startsWith("HTTP/1.1 503").containsIgnoringCase("retry-after: 1").contains("too_many_connections");
        }
        // the slow ones are closed by the gateway once their head is late (their reads end), and answered nothing
        for (Socket s : slow) {
            try (s) {
                assertThat(readToClose(s)).isEmpty();
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the gateway kept a connection whose request head never came", e);
            }
        }
        // with them gone, a real client is served
        assertThat(chat("gpt-4o-mini").statusCode()).isEqualTo(200);
    }

    @Test
    void anIdleKeptAliveConnectionIsClosedButACallInFlightIsNot() throws Exception {
        try (Socket s = connect()) {
            // slow-model answers after 400 ms, longer than keep_alive_timeout_ms, which does not apply while the
            // call is in flight; then the connection idles past it and is closed
            String body = "{\"model\":\"slow-model\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
            OutputStream out = s.getOutputStream();
            out.write((HEAD + "authorization: Bearer " + TestBed.KEY + "\r\ncontent-type: application/json\r\ncontent-length: "
                    + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String answer = readToClose(s);
            assertThat(answer).startsWith("HTTP/1.1 200").contains("\"usage\"");
        }
        JsonNode slow = Json.parse(chat("slow-model").body());
        assertThat(slow.path("usage").path("completion_tokens").asInt()).isPositive();
    }

    /** A call on a new connection (a pooled one may have been closed for idling). */
    static HttpResponse<String> chat(String model) throws Exception {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(HttpRequest.newBuilder(URI.create(bed.url() + "/v1/chat/completions"))
                .header("authorization", "Bearer " + TestBed.KEY).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"max_tokens\":3,\"messages\":"
                        + "[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
    }
}
