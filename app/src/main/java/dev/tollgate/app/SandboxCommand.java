package dev.tollgate.app;

import dev.tollgate.sandbox.SandboxConfig;
import dev.tollgate.sandbox.SandboxServer;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code tollgate sandbox}: the simulated provider on its own port. */
@Command(name = "sandbox", mixinStandardHelpOptions = true,
        description = "Run the built-in simulated provider (OpenAI and Anthropic wire formats, real token counts).")
final class SandboxCommand implements Callable<Integer> {

    @Option(names = "--port", defaultValue = "9000", description = "Port to listen on (default: ${DEFAULT-VALUE}).")
    int port;
    @Option(names = "--latency-ms", defaultValue = "0", description = "Delay before a non-streamed answer.")
    long latencyMs;
    @Option(names = "--ttft-ms", defaultValue = "0", description = "Delay before a stream's first token.")
    long ttftMs;
    @Option(names = "--tokens-per-second", defaultValue = "0", description = "Stream pacing; 0 = as fast as possible.")
    double tokensPerSecond;
    @Option(names = "--output-tokens", defaultValue = "32", description = "Answer length when the request sets no lower cap.")
    int outputTokens;
    @Option(names = "--fault-5xx", defaultValue = "0", description = "Share of requests answered with a 500 (0..1).")
    double fault5xx;
    @Option(names = "--fault-429", defaultValue = "0", description = "Share answered with a 429 and retry-after.")
    double fault429;
    @Option(names = "--fault-timeout", defaultValue = "0", description = "Share never answered.")
    double faultTimeout;
    @Option(names = "--fault-cut", defaultValue = "0", description = "Share whose connection is cut mid-answer.")
    double faultCut;
    @Option(names = "--event-loops", defaultValue = "0", description = "Event-loop threads; 0 = one per core.")
    int eventLoops;

    @Override
    public Integer call() throws Exception {
        SandboxConfig config = SandboxConfig.builder()
                .latency(Duration.ofMillis(latencyMs)).timeToFirstToken(Duration.ofMillis(ttftMs))
                .tokensPerSecond(tokensPerSecond).defaultOutputTokens(outputTokens)
                .faultRate5xx(fault5xx).faultRate429(fault429).faultRateTimeout(faultTimeout).faultRateCut(faultCut)
                .build();
        ServeCommand.portIsFree(port);
        int loops = eventLoops > 0 ? eventLoops : Runtime.getRuntime().availableProcessors();
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops).setPreferNativeTransport(true));
        SandboxServer server = SandboxServer.start(vertx, config, port).await();
        System.out.println("Tollgate sandbox provider listening on http://127.0.0.1:" + server.port()
                + " (OpenAI base URL http://127.0.0.1:" + server.port() + "/v1, Anthropic base URL http://127.0.0.1:" + server.port() + ")");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close().await();
            vertx.close().await();
            stopped.countDown();
        }, "tollgate-sandbox-shutdown"));
        stopped.await();
        return 0;
    }
}
