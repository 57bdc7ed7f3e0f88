package dev.tollgate.gateway.cache;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.gateway.route.Route;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

class CacheKeyTest {

    static final Route ROUTE = new Route("fast", new GatewayConfig.Provider("openai", "openai", "https://x/v1", "sk", null, null),
            "gpt-4o-mini", "gpt-4o-mini");

    static ObjectNode body(String json) throws Exception {
        return (ObjectNode) Json.parse(Buffer.buffer(json));
    }

    static String hash(String json) throws Exception {
        return CacheKey.hash(Api.OPENAI_CHAT, ROUTE, body(json));
    }

    @Test
    void theHashIsSha256OfTheDeploymentAndTheCanonicalBody() throws Exception {
        String text = "openai.chat\nfast\nopenai\ngpt-4o-mini\n"
                + "{\"max_tokens\":5,\"messages\":[{\"content\":\"hi\",\"role\":\"user\"}],\"model\":\"fast\"}";
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        assertThat(hash("{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":5}")).isEqualTo(expected);
    }

    @Test
    void theStoresKeyIsTheNamespaceAColonAndTheHash() throws Exception {
        // nested objects with several names: the names of each object are sorted apart from its parent's
        String json = "{\"model\":\"fast\",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"b\":1,\"a\":2}}}],"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        String text = "openai.chat\nfast\nopenai\ngpt-4o-mini\n"
                + "{\"messages\":[{\"content\":\"hi\",\"role\":\"user\"}],\"model\":\"fast\","
                + "\"tools\":[{\"function\":{\"name\":\"f\",\"parameters\":{\"a\":2,\"b\":1}},\"type\":\"function\"}]}";
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        assertThat(CacheKey.key("key:web-prod", Api.OPENAI_CHAT, ROUTE, body(json))).isEqualTo("key:web-prod:" + expected);
        assertThat(CacheKey.key("shared:ünï", Api.OPENAI_CHAT, ROUTE, body(json))).isEqualTo("shared:ünï:" + expected);
        assertThat(CacheKey.key(null, Api.OPENAI_CHAT, ROUTE, body(json))).isEqualTo(expected).hasSize(CacheKey.HASH_LENGTH);
        assertThat(hash(json)).isEqualTo(expected);
    }

    @Test
    void orderWhitespaceNumberFormDefaultsAndIgnoredFieldsDoNotMatter() throws Exception {
        String base = hash("{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":5}");
        assertThat(hash("""
                {
                  "max_tokens": 5.00, "stream": false, "n": 1, "temperature": 1.0, "top_p": 1,
                  "user": "u-123", "metadata": {"trace": "abc"}, "stream_options": {"include_usage": false},
                  "messages": [ { "content": "hi", "role": "user" } ],
                  "model": "fast"
                }""")).isEqualTo(base);
    }

    @Test
    void whatShapesTheAnswerChangesTheHash() throws Exception {
        String base = hash("{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(hash("{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi!\"}]}")).isNotEqualTo(base);
        assertThat(hash("{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":0}")).isNotEqualTo(base);
        assertThat(hash("{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}")).isNotEqualTo(base);
        assertThat(hash("{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true}}"))
                .isNotEqualTo(hash("{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}"));
        // a text "1" is not the number 1
        assertThat(hash("{\"model\":\"fast\",\"messages\":[],\"n\":\"1\"}")).isNotEqualTo(hash("{\"model\":\"fast\",\"messages\":[]}"));
        // same body, another deployment or API
        ObjectNode b = body("{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        Route otherModel = new Route("fast", ROUTE.provider(), "gpt-4o", "gpt-4o");
        assertThat(CacheKey.hash(Api.OPENAI_CHAT, otherModel, b)).isNotEqualTo(base);
        assertThat(CacheKey.hash(Api.OPENAI_RESPONSES, ROUTE, b)).isNotEqualTo(base);
    }

    @Test
    void stringsAreEscapedSoNoTwoBodiesShareATextForm() throws Exception {
        assertThat(hash("{\"model\":\"fast\",\"a\":\"x\\\",\\\"b\\\":\\\"y\"}"))
                .isNotEqualTo(hash("{\"model\":\"fast\",\"a\":\"x\",\"b\":\"y\"}"));
    }

    @Test
    void theTextIsHashedAsItsUtf8BytesWhateverTheCharacters() throws Exception {
        // accents (2 bytes), CJK (3), an emoji (a surrogate pair, 4), a lone surrogate ('?' as String.getBytes writes
        // it), a tab and a quote (escaped), and a text longer than the hash's buffer
        String content = "caf\u00e9 \u6f22\u5b57 \ud83d\ude00 \\ud800 tab\\t \\\"q\\\" " + "x".repeat(3000);
        String json = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}";
        String text = "openai.chat\nfast\nopenai\ngpt-4o-mini\n{\"messages\":[{\"content\":\"caf\u00e9 \u6f22\u5b57 \ud83d\ude00 \ud800 tab"
                + "\\u0009 \\\"q\\\" " + "x".repeat(3000) + "\",\"role\":\"user\"}],\"model\":\"fast\"}";
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        assertThat(hash(json)).isEqualTo(expected);
        assertThat(hash(json)).isEqualTo(expected); // the thread's digest starts over for each request
    }
}
