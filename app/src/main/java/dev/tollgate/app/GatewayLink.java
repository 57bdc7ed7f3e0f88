package dev.tollgate.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.Json;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

/**
 * The way from a CLI command (report, export, plan) to the gateway that holds the ledger file: {@code serve} leaves
 * {@code DATA/gateway.json} (its URL and admin token, readable by its owner only) while it runs, and a command that finds
 * the file busy asks that gateway's admin API instead. {@code --gateway} and {@code --admin-token} (or
 * {@code TOLLGATE_ADMIN_TOKEN}) override what the file says.
 *
 * @param url   the gateway's base URL
 * @param token the admin token, or null when none is known
 */
public record GatewayLink(String url, String token) {

    public static final String FILE_NAME = "gateway.json";
    public static final String DEFAULT_URL = "http://localhost:4000";

    /** Called by {@code serve} once it listens: where it is and its admin token, for the CLI on the same machine. */
    public static void announce(Path dataDir, String url, String token) throws IOException {
        Path file = dataDir.resolve(FILE_NAME);
        Path tmp = dataDir.resolve(FILE_NAME + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp); // not a POSIX file system
        }
        ObjectNode n = Json.MAPPER.createObjectNode().put("url", url).put("admin_token", token).put("pid", ProcessHandle.current().pid());
        Files.writeString(tmp, n.toPrettyString());
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Called by {@code serve} as it stops. */
    public static void withdraw(Path dataDir) {
        try {
            Files.deleteIfExists(dataDir.resolve(FILE_NAME));
        } catch (IOException ignored) {
            // a stale file only points at a gateway that no longer answers; the next serve replaces it
        }
    }

    /** The gateway to ask: {@code urlOption} and {@code tokenOption} when given, else what {@code serve} left in the data directory. */
    public static GatewayLink find(Path dataDir, String urlOption, String tokenOption) {
        String url = blank(urlOption) ? null : urlOption;
        String token = blank(tokenOption) ? null : tokenOption;
        Path file = dataDir.resolve(FILE_NAME);
        if ((url == null || token == null) && Files.isReadable(file)) {
            try {
                JsonNode n = Json.MAPPER.readTree(Files.readString(file));
                if (url == null && n.path("url").isTextual()) url = n.path("url").asText();
                if (token == null && n.path("admin_token").isTextual()) token = n.path("admin_token").asText();
            } catch (IOException ignored) {
                // unreadable: fall back to the defaults below
            }
        }
        return new GatewayLink(url == null ? DEFAULT_URL : url.replaceAll("/+$", ""), token);
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    /** GET {@code pathAndQuery} on the admin API. */
    public JsonNode get(String pathAndQuery) {
        return send(HttpRequest.newBuilder(URI.create(url + pathAndQuery)).GET(), pathAndQuery);
    }

    /** POST a JSON {@code body} to {@code path} on the admin API. */
    public JsonNode post(String path, JsonNode body) {
        return call("POST", path, body);
    }

    /** Any method on the admin API, with a JSON {@code body} or none; an empty answer reads as {@code {}}. */
    public JsonNode call(String method, String path, JsonNode body) {
        return send(HttpRequest.newBuilder(URI.create(url + path)).header("content-type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.toString())), path);
    }

    private JsonNode send(HttpRequest.Builder request, String path) {
        if (token == null) throw new IllegalStateException("no admin token for the gateway at " + url + " (--admin-token or TOLLGATE_ADMIN_TOKEN)");
        HttpResponse<String> response;
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            response = client.send(request.timeout(Duration.ofMinutes(30)).header("authorization", "Bearer " + token).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("no gateway answers at " + url + " (start one with ./tollgate serve, or pass its URL): "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while asking the gateway at " + url);
        }
        JsonNode body;
        try {
            body = response.body().isEmpty() ? Json.object() : Json.MAPPER.readTree(response.body());
        } catch (IOException e) {
            body = null;
        }
        if (response.statusCode() / 100 == 2) {
            if (body == null) throw new IllegalStateException("the gateway at " + url + " answered " + path + " with no JSON");
            return body;
        }
        String message = body == null ? "" : body.path("error").path("message").asText("");
        String what = "the gateway at " + url + " answered " + response.statusCode() + " to " + path
                + (response.statusCode() == 401 ? " (wrong admin token: --admin-token or TOLLGATE_ADMIN_TOKEN)" : "")
                + (response.statusCode() == 404 && path.startsWith("/admin/plan/") ? " (a gateway older than the planner routes)" : "")
                + (message.isEmpty() ? "" : ": " + message);
        if (response.statusCode() == 400) throw new IllegalArgumentException(what);
        throw new IllegalStateException(what);
    }
}
