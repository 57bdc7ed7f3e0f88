package dev.tollgate.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class OpenAiOtherRoutesTest extends SandboxTestSupport {

    @Test
    void legacyCompletionsAnswerEachPrompt() throws Exception {
        JsonNode completion = postJson("/v1/completions",
                json("model", "gpt-3.5-turbo-instruct", "prompt", List.of("Say hi", "Say bye"), "max_tokens", 7));
        assertThat(completion.get("object").asText()).isEqualTo("text_completion");
        assertThat(completion.get("choices")).hasSize(2);
        assertThat(completion.at("/choices/1/index").asInt()).isEqualTo(1);
        assertThat(completion.at("/choices/0/finish_reason").asText()).isEqualTo("length");
        assertThat(CL100K.countTokens(completion.at("/choices/0/text").asText())).isEqualTo(7);
        assertThat(completion.at("/usage/prompt_tokens").asInt())
                .isEqualTo(CL100K.countTokens("Say hi") + CL100K.countTokens("Say bye"));
        assertThat(completion.at("/usage/completion_tokens").asInt()).isEqualTo(14);

        List<Event> events = events(post("/v1/completions", json("model", "gpt-3.5-turbo-instruct", "prompt", "Hi",
                "stream", true, "stream_options", Map.of("include_usage", true)), "x-sandbox-output-tokens", "3").body());
        assertThat(events).hasSize(3 + 1 + 1 + 1);
        assertThat(events.get(4).json().at("/usage/completion_tokens").asInt()).isEqualTo(3);
    }

    @Test
    void embeddingsAreDeterministicUnitVectors() throws Exception {
        JsonNode first = postJson("/v1/embeddings",
                json("model", "text-embedding-3-small", "input", List.of("budget alert", "cost report")));
        JsonNode again = postJson("/v1/embeddings", json("model", "text-embedding-3-small", "input", "budget alert"));
        JsonNode vector = first.at("/data/0/embedding");
        assertThat(vector).hasSize(1536);
        assertThat(again.at("/data/0/embedding")).isEqualTo(vector);
        assertThat(first.at("/data/1/embedding")).isNotEqualTo(vector);
        double norm = 0;
        for (JsonNode v : vector) norm += v.asDouble() * v.asDouble();
        assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
        assertThat(first.at("/usage/prompt_tokens").asInt())
                .isEqualTo(CL100K.countTokens("budget alert") + CL100K.countTokens("cost report"));

        JsonNode small = postJson("/v1/embeddings", json("model", "text-embedding-3-small", "input", "budget alert",
                "dimensions", 8, "encoding_format", "base64"));
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(small.at("/data/0/embedding").asText()))
                .order(ByteOrder.LITTLE_ENDIAN);
        assertThat(bytes.remaining()).isEqualTo(8 * 4);
        double smallNorm = 0;
        while (bytes.hasRemaining()) smallNorm += Math.pow(bytes.getFloat(), 2);
        assertThat(smallNorm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));

        JsonNode tokens = postJson("/v1/embeddings", json("model", "text-embedding-3-small", "input", List.of(1, 2, 3)));
        assertThat(tokens.at("/usage/total_tokens").asInt()).isEqualTo(3);
    }

    @Test
    void modelsAreListed() throws Exception {
        var response = client.send(request(sandbox, "/v1/models", null).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        JsonNode list = parse(response.body());
        assertThat(list.get("object").asText()).isEqualTo("list");
        assertThat(list.findValuesAsText("id")).contains("gpt-4o", "gpt-4o-mini");
    }

    @Test
    void unknownRouteIsA404InTheRightDialect() throws Exception {
        var openAi = post("/v1/nope", "{}");
        assertThat(openAi.statusCode()).isEqualTo(404);
        assertThat(parse(openAi.body()).at("/error/type").asText()).isEqualTo("invalid_request_error");
        var anthropic = post("/v1/messages/nope", "{}");
        assertThat(parse(anthropic.body()).at("/error/type").asText()).isEqualTo("not_found_error");
    }
}
