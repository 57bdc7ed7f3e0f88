package dev.tollgate.app;

import dev.tollgate.gateway.http.NetworkTransport;
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
    @Option(names = "--transport", defaultValue = "auto", paramLabel = "auto|io_uring|epoll|nio",
            description = "How its sockets talk to the kernel, as serve's server.transport: auto (default) takes io_uring"
                    + " where it can run here, else epoll, else nio.")
    NetworkTransport transport;

    @Override
    public Integer call() throws Exception {
        Running running = start();
        System.out.println("Tollgate sandbox provider listening on http://127.0.0.1:" + running.server().port()
                + " (" + running.transport().describe() + "; OpenAI base URL http://127.0.0.1:" + running.server().port()
                + "/v1, Anthropic base URL http://127.0.0.1:" + running.server().port() + ")");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running.close();
            stopped.countDown();
        }, "tollgate-sandbox-shutdown"));
        stopped.await();
        return 0;
    }

    /** The sandbox on its port and on the transport chosen, as serve chooses it (io_uring, else epoll, else nio). */
    Running start() {
        SandboxConfig config = SandboxConfig.builder()
                .latency(Duration.ofMillis(latencyMs)).timeToFirstToken(Duration.ofMillis(ttftMs))
                .tokensPerSecond(tokensPerSecond).defaultOutputTokens(outputTokens)
                .faultRate5xx(fault5xx).faultRate429(fault429).faultRateTimeout(faultTimeout).faultRateCut(faultCut)
                .build();
        // as serve: an explicit transport that cannot run here stops it before anything opens
        NetworkTransport.Choice chosen = transport.choose("--transport");
        ServeCommand.portIsFree(port);
        int loops = eventLoops > 0 ? eventLoops : Runtime.getRuntime().availableProcessors();
        Vertx vertx = chosen.vertx(new VertxOptions().setEventLoopPoolSize(loops));
        return new Running(vertx, SandboxServer.start(vertx, config, port).await(), chosen);
    }

    record Running(Vertx vertx, SandboxServer server, NetworkTransport.Choice transport) implements AutoCloseable {
        @Override
        public void close() {
            server.close().await();
            vertx.close().await();
        }
    }
}
