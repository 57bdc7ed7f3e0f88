package dev.tollgate.gateway.e2e;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import dev.tollgate.gateway.TestBed;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** One sandbox and gateway per test class, and the official SDKs' clients pointed at it with the search team's key. */
abstract class EndToEnd {

    @TempDir
    static Path data;
    static TestBed bed;
    static OpenAIClient openai;
    static AnthropicClient anthropic;

    @BeforeAll
    static void startGateway() throws Exception {
        bed = new TestBed(data);
        openai = OpenAIOkHttpClient.builder().baseUrl(bed.url() + "/v1").apiKey(TestBed.KEY).maxRetries(0).build();
        anthropic = AnthropicOkHttpClient.builder().baseUrl(bed.url()).apiKey(TestBed.KEY).maxRetries(0).build();
    }

    @AfterAll
    static void stopGateway() {
        bed.close();
    }
}
