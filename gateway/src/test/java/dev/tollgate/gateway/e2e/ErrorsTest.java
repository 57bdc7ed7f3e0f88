package dev.tollgate.gateway.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.TestBed;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** Every failure is an error in the client's own wire format with the right status, and nothing spent is lost. */
class ErrorsTest extends EndToEnd {

    static final String[] AUTH = {"authorization", "Bearer " + TestBed.KEY};

    static JsonNode openAiError(HttpResponse<String> response, int status) throws Exception {
        assertThat(response.statusCode()).isEqualTo(status);
        JsonNode error = Json.parse(response.body()).path("error");
        assertThat(error.path("message").asText()).isNotBlank();
        assertThat(response.body()).doesNotContain("Exception").doesNotContain("\tat ");
        return error;
    }

    static JsonNode anthropicError(HttpResponse<String> response, int status) throws Exception {
        assertThat(response.statusCode()).isEqualTo(status);
        JsonNode body = Json.parse(response.body());
        assertThat(body.path("type").asText()).isEqualTo("error");
        assertThat(body.path("error").path("message").asText()).isNotBlank();
        return body.path("error");
    }

    @Test
    void malformedJson() throws Exception {
        JsonNode error = openAiError(bed.post("/v1/chat/completions", "{\"model\": \"gpt-4o-mini\", ", AUTH), 400);
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        JsonNode anthropic = anthropicError(bed.post("/v1/messages", "not json", "x-api-key", TestBed.KEY), 400);
        assertThat(anthropic.path("type").asText()).isEqualTo("invalid_request_error");
    }

    @Test
    void malformedJsonIsDescribedWithoutTheParsersInternals() throws Exception {
        // comments, single quotes and nesting past the parser's limit: each names where, never Jackson's settings
        String comment = "{\"model\": \"gpt-4o-mini\", // a comment\n \"messages\": []}";
        String quotes = "{'model': 'gpt-4o-mini'}";
        String deep = "{\"model\":\"gpt-4o-mini\",\"x\":" + "[".repeat(1500) + "]".repeat(1500) + "}";
        for (String body : new String[] {comment, quotes, deep}) {
            String message = openAiError(bed.post("/v1/chat/completions", body, AUTH), 400).path("message").asText();
            assertThat(message).as(body).startsWith(body == deep ? "the request body is beyond what the gateway accepts: Document nesting depth"
                            : "malformed JSON in request body at line ")
                    .doesNotContain("Feature").doesNotContain("Constraints").doesNotContain("enable").doesNotContain("`");
        }
        assertThat(openAiError(bed.post("/v1/chat/completions", comment, AUTH), 400).path("message").asText())
                .contains("line 1, column " + (comment.indexOf("//") + 1));
    }

    @Test
    void missingModel() throws Exception {
        JsonNode error = openAiError(bed.post("/v1/chat/completions", "{\"messages\":[]}", AUTH), 400);
        assertThat(error.path("param").asText()).isEqualTo("model");
    }

    @Test
    void unknownModelListsTheModels() throws Exception {
        JsonNode error = openAiError(bed.post("/v1/chat/completions", "{\"model\":\"gpt-9\",\"messages\":[]}", AUTH), 404);
        assertThat(error.path("message").asText()).contains("gpt-9").contains("gpt-4o-mini").contains("claude-haiku-4-5");
        JsonNode anthropic = anthropicError(bed.post("/v1/messages", "{\"model\":\"gpt-9\",\"max_tokens\":5,\"messages\":[]}",
                "x-api-key", TestBed.KEY), 404);
        assertThat(anthropic.path("type").asText()).isEqualTo("not_found_error");
    }

    @Test
    void missingAndUnknownKeys() throws Exception {
        String body = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        openAiError(bed.post("/v1/chat/completions", body), 401);
        openAiError(bed.post("/v1/chat/completions", body, "authorization", "Bearer tg-wrong"), 401);
        JsonNode anthropic = anthropicError(bed.post("/v1/messages", body, "x-api-key", "wrong"), 401);
        assertThat(anthropic.path("type").asText()).isEqualTo("authentication_error");
    }

    @Test
    void bodyOverTheLimit() throws Exception {
        String big = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(70_000) + "\"}]}";
        openAiError(bed.post("/v1/chat/completions", big, AUTH), 413);
        anthropicError(bed.post("/v1/messages", big, "x-api-key", TestBed.KEY), 413);
    }

    @Test
    void badTagsHeader() throws Exception {
        String body = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        openAiError(bed.post("/v1/chat/completions", body, "authorization", "Bearer " + TestBed.KEY, "x-tollgate-tags", "novalue"), 400);
    }

    @Test
    void upstreamFailuresCarryTheProvidersMessage() throws Exception {
        String body = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        JsonNode broken = openAiError(bed.post("/v1/chat/completions", body.formatted("broken-model"), AUTH), 500); // the provider's own 500 server_error, relayed
        assertThat(broken.path("message").asText()).contains("broken").contains("500");
        JsonNode silent = openAiError(bed.post("/v1/chat/completions", body.formatted("silent-model"), AUTH), 504);
        assertThat(silent.path("message").asText()).contains("silent");
        HttpResponse<String> limited = bed.post("/v1/chat/completions", body.formatted("limited-model"), AUTH);
        openAiError(limited, 429);
        assertThat(limited.headers().firstValue("retry-after")).isPresent();
        JsonNode nowhere = openAiError(bed.post("/v1/chat/completions", body.formatted("nowhere-model"), AUTH), 502);
        // what happened, not where the provider lives nor the network library's words
        assertThat(nowhere.path("message").asText()).contains("could not reach provider 'nowhere'").contains("refused")
                .doesNotContain("127.0.0.1").doesNotContain("finishConnect").doesNotContain("error(");
    }

    @Test
    void brokenStreamIsCountedLocallyAndMarkedEstimated() throws Exception {
        HttpResponse<String> response = bed.post("/v1/chat/completions",
                "{\"model\":\"cutting-model\",\"stream\":true,\"max_tokens\":40,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", AUTH);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"error\"").doesNotContain("[DONE]");
        JsonNode row = rowFor(response);
        assertThat(row.path("estimated").asBoolean()).isTrue();
        assertThat(row.path("output_tokens").asLong()).isBetween(1L, 39L);
        assertThat(row.path("input_tokens").asLong()).isPositive();
        assertThat(row.path("cost_usd").decimalValue().signum()).isPositive();

        HttpResponse<String> anthropic = bed.post("/v1/messages",
                "{\"model\":\"cutting-claude\",\"stream\":true,\"max_tokens\":40,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "x-api-key", TestBed.KEY);
        assertThat(anthropic.body()).contains("event: error").doesNotContain("message_stop");
        assertThat(rowFor(anthropic).path("estimated").asBoolean()).isTrue();
    }

    @Test
    void requestTagsAreMergedUnderTheKeysTags() throws Exception {
        HttpResponse<String> response = bed.post("/v1/chat/completions",
                "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "authorization", "Bearer " + TestBed.KEY, "x-tollgate-tags", "feature=search-box,team=hijack");
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode tags = rowFor(response).path("tags");
        assertThat(tags.path("feature").asText()).isEqualTo("search-box");
        assertThat(tags.path("team").asText()).isEqualTo("search");
    }

    @Test
    void aClientThatHangsUpStillHasItsCallMeteredInFull() throws Exception {
        String body = "{\"model\":\"%s\",\"max_tokens\":7,\"messages\":[{\"role\":\"user\",\"content\":\"how long is a piece of string\"}]}";
        JsonNode answered = rowFor(bed.post("/v1/chat/completions", body.formatted("gpt-4o-mini"), AUTH));

        hangUpAfterSending(body.formatted("slow-model"), "feature=hang-up-complete");
        JsonNode row = rowTagged("feature", "hang-up-complete");
        // the provider answered after the client left: the ledger has the answer's real usage, not an estimate
        assertThat(row.path("status").asInt()).isEqualTo(499);
        assertThat(row.path("estimated").asBoolean()).isFalse();
        assertThat(row.path("output_tokens").asLong()).isEqualTo(7);
        assertThat(row.path("input_tokens").asLong()).isEqualTo(answered.path("input_tokens").asLong());
        assertThat(row.path("cost_usd").decimalValue()).isEqualByComparingTo(answered.path("cost_usd").decimalValue());
    }

    @Test
    void aClientThatHangsUpOnAStreamCancelsItAndThePromptIsCounted() throws Exception {
        hangUpAfterSending("{\"model\":\"slow-model\",\"stream\":true,\"max_tokens\":7,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"how long is a piece of string\"}]}", "feature=hang-up-stream");
        JsonNode row = rowTagged("feature", "hang-up-stream");
        assertThat(row.path("status").asInt()).isEqualTo(499);
        assertThat(row.path("estimated").asBoolean()).isTrue();
        assertThat(row.path("input_tokens").asLong()).isPositive();
        assertThat(row.path("output_tokens").asLong()).isZero();
    }

    @Test
    void aBodySentInSeveralPiecesIsReadWhole() throws Exception {
        String body = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"one piece or three\"}]}";
        JsonNode whole = rowFor(bed.post("/v1/chat/completions", body, AUTH));
        java.net.URI uri = java.net.URI.create(bed.url());
        try (java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
            var out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nhost: " + uri.getHost() + "\r\ncontent-type: application/json\r\n"
                    + "authorization: Bearer " + TestBed.KEY + "\r\nx-tollgate-tags: feature=pieces\r\ntransfer-encoding: chunked\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            int third = body.length() / 3;
            for (String piece : new String[]{body.substring(0, third), body.substring(third, 2 * third), body.substring(2 * third)}) {
                out.write((Integer.toHexString(piece.length()) + "\r\n" + piece + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                out.flush();
                Thread.sleep(30); // each piece arrives on its own
            }
            out.write("0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            String status = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                    java.nio.charset.StandardCharsets.US_ASCII)).readLine();
            assertThat(status).isEqualTo("HTTP/1.1 200 OK");
        }
        JsonNode pieces = rowTagged("feature", "pieces");
        assertThat(pieces.path("status").asInt()).isEqualTo(200);
        assertThat(pieces.path("input_tokens").asLong()).isEqualTo(whole.path("input_tokens").asLong());
        assertThat(pieces.path("output_tokens").asLong()).isEqualTo(5);
    }

    /** Sends a request on a raw connection and closes it before the slow provider answers. */
    private static void hangUpAfterSending(String body, String tags) throws Exception {
        java.net.URI uri = java.net.URI.create(bed.url());
        try (java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
            byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            String head = "POST /v1/chat/completions HTTP/1.1\r\nhost: " + uri.getHost() + "\r\ncontent-type: application/json\r\n"
                    + "authorization: Bearer " + TestBed.KEY + "\r\nx-tollgate-tags: " + tags + "\r\ncontent-length: " + bytes.length + "\r\n\r\n";
            socket.getOutputStream().write(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
            Thread.sleep(100);
        }
    }

    /** Waits for the ledger row carrying a tag: a hung-up request is recorded when its upstream call ends. */
    private static JsonNode rowTagged(String tag, String value) throws Exception {
        for (int attempt = 0; attempt < 50; attempt++) {
            for (JsonNode r : bed.admin("/admin/requests?limit=200").path("requests")) {
                if (r.path("tags").path(tag).asText().equals(value)) return r;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no ledger row tagged " + tag + "=" + value);
    }

    private static JsonNode rowFor(HttpResponse<String> response) throws Exception {
        String id = response.headers().firstValue("x-tollgate-request-id").orElseThrow();
        for (JsonNode r : bed.admin("/admin/requests?limit=200").path("requests")) {
            if (r.path("request_id").asText().equals(id)) return r;
        }
        throw new AssertionError("no ledger row for " + id);
    }
}
