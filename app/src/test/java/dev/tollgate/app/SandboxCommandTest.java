package dev.tollgate.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.gateway.config.ConfigLoader.ConfigException;
import dev.tollgate.gateway.http.NetworkTransport;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.transport.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code tollgate sandbox --transport}: the sandbox's sockets on the transport asked for, chosen as serve chooses. */
class SandboxCommandTest {

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @ParameterizedTest
    @EnumSource(value = NetworkTransport.class, names = {"IO_URING", "EPOLL", "NIO"})
    void runsOnTheTransportNamed(NetworkTransport named) throws Exception {
        try {
            named.choose();
        } catch (ConfigException unavailable) {
            assumeTrue(false, unavailable.getMessage());
        }
        Transport expected = switch (named) {
            case IO_URING -> Transport.IO_URING;
            case EPOLL -> Transport.EPOLL;
            default -> Transport.NIO;
        };
        try (SandboxCommand.Running sandbox = sandbox("--transport", named.key()).start()) {
            assertThat(((VertxInternal) sandbox.vertx()).transport()).isSameAs(expected.implementation());
            assertThat(sandbox.transport().describe()).isEqualTo(named.key());
            assertAnswers(sandbox.server().port());
        }
    }

    @Test
    void withoutTheOptionItTakesWhatServesAutoTakesHere() throws Exception {
        Transport servesChoice = NetworkTransport.AUTO.choose().transport();
        try (SandboxCommand.Running sandbox = sandbox().start()) {
            assertThat(((VertxInternal) sandbox.vertx()).transport()).isSameAs(servesChoice.implementation());
            assertAnswers(sandbox.server().port());
        }
    }

    @Test
    void anUnknownTransportIsAOneLineMistake() {
        MistakesTest.Run r = MistakesTest.run("sandbox", "--port", "0", "--transport", "kqueue");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.line()).contains("--transport").contains("kqueue");
    }

    private static SandboxCommand sandbox(String... options) {
        String[] args = new String[options.length + 3];
        args[0] = "sandbox";
        args[1] = "--port";
        args[2] = "0";
        System.arraycopy(options, 0, args, 3, options.length);
        return Main.commandLine().parseArgs(args).subcommand().commandSpec().commandLine().getCommand();
    }

    /** A chat call answered with the sandbox's real token counts: the port serves, not only listens. */
    private void assertAnswers(int port) throws Exception {
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"gpt-4o-mini\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"Hello there\"}]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).isEqualTo(200);
        JsonNode usage = new ObjectMapper().readTree(answer.body()).path("usage");
        assertThat(usage.path("completion_tokens").asInt()).isEqualTo(5);
        assertThat(usage.path("prompt_tokens").asInt()).isPositive();
    }
}
