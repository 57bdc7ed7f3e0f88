package dev.tollgate.gateway.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.TestBed;
import io.vertx.core.http.HttpMethod;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** Admin routes added from outside the gateway: dispatched after the built-in ones, behind the same token, same errors. */
class AdminRouteTest {

    @TempDir
    static Path data;
    static TestBed bed;
    static final AtomicReference<String> thread = new AtomicReference<>();

    @BeforeAll
    static void start() throws Exception {
        List<AdminRoute> routes = List.of(
                new AdminRoute(HttpMethod.GET, "/admin/x/echo", call -> {
                    thread.set(Thread.currentThread().getName());
                    if (call.param("fail") != null) {
                        switch (call.param("fail")) {
                            case "bad" -> throw new IllegalArgumentException("n must be a number");
                            case "missing" -> throw new NoSuchElementException("no such thing");
                            default -> throw new IllegalStateException("broke");
                        }
                    }
                    // the ledger through the gateway's own connection: how many rows it holds
                    long rows = call.scanLedger(null, null, scan -> scan.count(null, null));
                    return Json.object().put("n", call.param("n")).put("rows", rows);
                }),
                new AdminRoute(HttpMethod.POST, "/admin/x/echo", call -> Json.object().set("got", call.body())));
        bed = new TestBed(data, "", null, routes);
    }

    @AfterAll
    static void stop() {
        bed.close();
    }

    static HttpResponse<String> send(String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(bed.url() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) r.header("authorization", "Bearer " + token);
        return bed.http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void answersOnAWorkerWithTheLedgerReadableInProcess() throws Exception {
        // one metered request: the route sees its row (the admin API flushes the ledger first)
        HttpResponse<String> chat = bed.post("/v1/chat/completions", "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "authorization", "Bearer " + TestBed.KEY);
        assertThat(chat.statusCode()).isEqualTo(200);
        JsonNode got = bed.admin("/admin/x/echo?n=7");
        assertThat(got.path("n").asText()).isEqualTo("7");
        assertThat(got.path("rows").asLong()).isEqualTo(1);
        assertThat(thread.get()).doesNotContain("eventloop");

        HttpResponse<String> post = send("POST", "/admin/x/echo", "{\"a\":[1,2.50]}", TestBed.ADMIN);
        assertThat(post.statusCode()).isEqualTo(200);
        assertThat(Json.parse(post.body()).path("got").path("a").get(1).decimalValue()).isEqualByComparingTo("2.50");
    }

    @Test
    void errorsAreTheAdminApisOwn() throws Exception {
        assertError(send("GET", "/admin/x/echo", null, null), 401, "invalid_admin_token");
        assertError(send("GET", "/admin/x/echo", null, "wrong"), 401, "invalid_admin_token");
        assertError(send("GET", "/admin/x/echo?fail=bad", null, TestBed.ADMIN), 400, "n must be a number");
        assertError(send("GET", "/admin/x/echo?fail=missing", null, TestBed.ADMIN), 404, "no such thing");
        assertError(send("GET", "/admin/x/echo?fail=other", null, TestBed.ADMIN), 500, "broke");
        assertError(send("DELETE", "/admin/x/echo", null, TestBed.ADMIN), 405, "use GET or POST on /admin/x/echo");
        assertError(send("POST", "/admin/x/echo", "[1]", TestBed.ADMIN), 400, "the body must be a JSON object");
        assertError(send("POST", "/admin/x/echo", "{nope", TestBed.ADMIN), 400, "the body must be a JSON object");
        assertError(send("GET", "/admin/x/other", null, TestBed.ADMIN), 404, "no admin route /admin/x/other");
        // the built-in routes still come first
        assertThat(send("GET", "/admin/spend", null, TestBed.ADMIN).statusCode()).isEqualTo(200);
    }

    static void assertError(HttpResponse<String> response, int status, String text) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode error = Json.parse(response.body()).path("error");
        assertThat(error.path("type").asText()).isNotEmpty();
        assertThat(error.path("message").asText() + " " + error.path("code").asText()).contains(text);
        assertThat(response.body()).doesNotContain("\tat ");
    }
}
