package dev.tollgate.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** One zero-latency sandbox shared by a test class, and helpers to call it and read its answers. */
abstract class SandboxTestSupport {

    static final ObjectMapper MAPPER = new ObjectMapper();
    // a lazy registry loads the encodings asked for; a default one loads all of jtokkit's (about 0.8 s of CPU more)
    private static final EncodingRegistry ENCODINGS = Encodings.newLazyEncodingRegistry();
    static final Encoding O200K = ENCODINGS.getEncoding(EncodingType.O200K_BASE);
    static final Encoding CL100K = ENCODINGS.getEncoding(EncodingType.CL100K_BASE);

    static Vertx vertx;
    static SandboxServer sandbox;
    static HttpClient client;

    @BeforeAll
    static void startSandbox() {
        vertx = Vertx.vertx();
        sandbox = start(SandboxConfig.defaults());
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stopSandbox() {
        vertx.close().await();
    }

    static SandboxServer start(SandboxConfig config) {
        return SandboxServer.start(vertx, config, 0).await();
    }

    static HttpRequest.Builder request(SandboxServer server, String path, String json, String... headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + path))
                // only against a hang: the first call of a JVM waits for the encodings to load, which on a busy machine
                // (test JVMs side by side) took longer than 10 s
                .timeout(Duration.ofSeconds(60))
                .header("content-type", "application/json");
        if (headers.length > 0) builder.headers(headers);
        return json == null ? builder.GET() : builder.POST(HttpRequest.BodyPublishers.ofString(json));
    }

    static HttpResponse<String> post(String path, String json, String... headers) throws Exception {
        return client.send(request(sandbox, path, json, headers).build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode postJson(String path, String json, String... headers) throws Exception {
        HttpResponse<String> response = post(path, json, headers);
        if (response.statusCode() != 200) throw new AssertionError(response.statusCode() + " " + response.body());
        return MAPPER.readTree(response.body());
    }

    /** An SSE event: its {@code event:} type (null when absent) and its data. */
    record Event(String type, String data) {
        JsonNode json() {
            try {
                return MAPPER.readTree(data);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + data, e);
            }
        }
    }

    static List<Event> events(String body) {
        List<Event> events = new ArrayList<>();
        for (String block : body.split("\n\n")) {
            if (block.isBlank()) continue;
            String type = null, data = null;
            for (String line : block.split("\n")) {
                if (line.startsWith("event: ")) type = line.substring(7);
                else if (line.startsWith("data: ")) data = line.substring(6);
            }
            events.add(new Event(type, data));
        }
        return events;
    }

    /** JSON with quoting done by Jackson, so test bodies stay readable: json("model", "gpt-4o", ...). */
    static String json(Object... keysAndValues) {
        var node = MAPPER.createObjectNode();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            node.set((String) keysAndValues[i], MAPPER.valueToTree(keysAndValues[i + 1]));
        }
        return node.toString();
    }

    static JsonNode parse(String json) throws Exception {
        return MAPPER.readTree(json);
    }
}
