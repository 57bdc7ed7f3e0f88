package dev.tollgate.app;

import dev.tollgate.app.plan.PlanAdminRoutes;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.core.tokens.TokenCounter;
import dev.tollgate.gateway.Gateway;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.gateway.http.NetworkTransport;
import dev.tollgate.sandbox.SandboxConfig;
import dev.tollgate.sandbox.SandboxServer;
import dev.tollgate.store.Ledger;
import dev.tollgate.store.duckdb.DuckDbLedger;
import dev.tollgate.store.postgres.PgControlStore;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** {@code tollgate serve}: the gateway on embedded storage. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the gateway. With no provider configured it serves the built-in sandbox provider.")
final class ServeCommand implements Callable<Integer> {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ServeCommand.class);

    /** Models the sandbox serves when no provider is configured (kept only if the catalog prices them). */
    private static final List<String> SANDBOX_OPENAI_MODELS = List.of("gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-4.1-mini",
            "gpt-4.1-nano", "gpt-5", "gpt-5-mini", "gpt-5-nano", "o4-mini", "text-embedding-3-small", "text-embedding-3-large");
    private static final List<String> SANDBOX_ANTHROPIC_MODELS = List.of("claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1");

    @Option(names = "--config", description = "YAML configuration file (default: ./tollgate.yaml when it exists).")
    Path configFile;

    @Option(names = "--port", defaultValue = "4000", description = "Port to listen on (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--data", defaultValue = "data", description = "Data directory for the ledger (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    /** The launcher's (JDK 25 and later, once after a build): see {@link #trainingRequests}. */
    @Option(names = "--startup-training", hidden = true,
            description = "Start on the built-in sandbox, answer a few requests, stop: the run the AOT cache is made from.")
    boolean startupTraining;

    @Override
    public Integer call() throws Exception {
        StartupTimes times = StartupTimes.now();
        // DuckDB's native library and driver load beside the configuration's checks, independent of them
        CompletableFuture<Long> duckDbLoad = DuckDbLibrary.preload();
        Path file;
        GatewayConfig config;
        PriceCatalog catalog;
        NetworkTransport.Choice transport;
        try {
            // the training run never reads a configuration: it calls nothing but the built-in sandbox
            file = startupTraining ? null : configFile != null ? configFile
                    : Files.exists(Path.of("tollgate.yaml")) ? Path.of("tollgate.yaml") : null;
            config = file == null ? new ConfigLoader(System::getenv).parse(startupTraining ? TRAINING_CONFIG : "") : ConfigLoader.load(file);
            // the tokenizer's encodings that the configured models use load in the background too (o200k: about 0.5 s
            // of CPU on a cold JVM; cl100k, for gpt-4, gpt-3.5 and embeddings, a third more, and only where a model
            // uses it): started when the gateway listened, a first request that counts its prompt (a tier's rules,
            // budgets, the built-in sandbox) waited for them
            if (config.providers().isEmpty()) TokenCounter.warmUpInBackground(); // the built-in sandbox's models: all
            else TokenCounter.warmUpInBackground(config.upstreamModels());
            transport = transport(config, file);
            // what the user can put right is found before anything starts (Netty's bind error names neither port nor flag)
            portIsFree(port);
            dataDirectory(dataDir);
            catalog = PricesCommand.catalog(dataDir);
        } catch (RuntimeException e) {
            duckDbLoad.handle((ms, error) -> ms).join(); // DuckDB deletes a copy of it at exit once whole
            throw e;
        }
        times.stage("configuration", null);
        long duckDbLoadMs;
        try {
            duckDbLoadMs = duckDbLoad.join();
        } catch (CompletionException e) {
            if (!config.ledger().shared()) throw nativeLibraryFailed(e.getCause());
            duckDbLoadMs = -1; // a shared ledger does without it
        }
        Ledger ledger;
        // ledger.type: postgres: the ledger a group of replicas shares (closed with the ledger, pool last)
        SharedLedger shared = config.ledger().shared()
                ? SharedLedger.open(config.ledger().postgres(), config.ledger().store(), dataDir) : null;
        try {
            ledger = shared != null ? shared.ledger() : DuckDbLedger.open(dataDir, config.ledger().store());
        } catch (IllegalStateException e) {
            throw new UserError(e.getMessage().lines().findFirst().orElse("") + " (is another `tollgate serve` using --data "
                    + dataDir + "?)", e);
        } catch (LinkageError e) {
            throw nativeLibraryFailed(e);
        }
        times.stage("ledger", "open, migrations, journal replay" + (duckDbLoadMs < 0 ? "" : "; DuckDB's library and driver"
                + " loaded in " + duckDbLoadMs + " ms beside the configuration"));
        int loops = config.server().eventLoops() > 0 ? config.server().eventLoops() : Runtime.getRuntime().availableProcessors();
        Vertx vertx = transport.vertx(new VertxOptions().setEventLoopPoolSize(loops));

        // what start-up says is printed once the configuration has been accepted, so a mistake is the only line
        List<String> said = new ArrayList<>();
        boolean builtInSandbox = config.providers().isEmpty();
        if (builtInSandbox) {
            SandboxServer sandbox = SandboxServer.start(vertx, SandboxConfig.defaults(), 0).await();
            config = withSandbox(config, "http://127.0.0.1:" + sandbox.port(), catalog);
            said.add("No provider configured: serving the built-in sandbox provider (simulated answers, real token"
                    + " counts, catalog prices) at http://127.0.0.1:" + sandbox.port());
        }
        if (config.admin().token() == null) {
            String token = "tga-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
            config = config.withAdmin(new GatewayConfig.Admin(token));
            said.add("No admin.token configured: this run's admin token is " + token);
        }
        times.stage("Vert.x", builtInSandbox ? "and the built-in sandbox" : null);

        GatewayServices services;
        try {
            // replicas: the control plane works on the ledger's database, one pool for both
            var controlStore = shared == null ? null : new PgControlStore(shared.database(), PgControlStore.FULL_RELOAD_EVERY);
            services = GatewayServices.of(config, catalog, ledger, null, Clock.systemUTC(), controlStore)
                    .withAdminRoutes(PlanAdminRoutes.all());
        } catch (ConfigLoader.ConfigException e) {
            ledger.close();
            if (shared != null) shared.database().close();
            vertx.close();
            throw file == null ? e : new ConfigLoader.ConfigException(file + ": " + e.getMessage());
        }
        times.stage("services", "budgets' spend, keys, metrics");
        said.forEach(System.out::println);
        Gateway gateway = Gateway.start(vertx, services, port, loops).await();
        times.stage("verticles", loops + " event loop" + (loops == 1 ? "" : "s"));
        log.info(times.line());
        System.out.println("Tollgate gateway listening on http://127.0.0.1:" + gateway.port() + " (" + transport.describe() + ", ledger: "
                + (shared != null ? shared.where() : dataDir.toAbsolutePath().resolve("ledger.duckdb")) + ")");
        System.out.println("Models: " + String.join(", ", services.router().names()));
        services.router().tiers().all().forEach(t -> System.out.println("Tiered: " + t.name() + " → "
                + String.join(", ", t.config().ladder().stream().map(l -> l.name() + " (" + l.model() + ")").toList())
                + (t.config().cascade().enabled() ? ", cascade on" : "")));
        System.out.println(services.keys().open() ? "No virtual keys configured: every request is accepted as 'anonymous'."
                : services.keys().list().size() + " virtual key(s) in force (config and admin API).");
        System.out.println(observabilityLine(config, gateway.port()));
        try {
            // report, export and plan commands that find the ledger busy ask this gateway (see GatewayLink)
            GatewayLink.announce(dataDir, gateway.baseUrl(), config.admin().token());
        } catch (java.io.IOException e) {
            System.err.println("tollgate: could not write " + dataDir.resolve(GatewayLink.FILE_NAME) + " (" + e.getMessage()
                    + "); report, export and plan commands need the gateway URL and admin token while this gateway runs");
        }

        Runnable stop = () -> {
            GatewayLink.withdraw(dataDir);
            gateway.close();
            services.budgets().close();
            services.cache().close();
            services.observability().close();
            ledger.close();
            if (shared != null) shared.database().close();
            vertx.close().await();
        };
        if (startupTraining) {
            try {
                trainingRequests(vertx, gateway.port(), Duration.ofSeconds(60));
            } finally {
                stop.run();
            }
            return 0;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.run();
            stopped.countDown();
        }, "tollgate-shutdown"));
        stopped.await();
        return 0;
    }

    /** server.transport on this machine: an explicit one that cannot run here stops start-up before anything opens. */
    private static NetworkTransport.Choice transport(GatewayConfig config, Path file) {
        try {
            return config.server().transport().choose();
        } catch (ConfigLoader.ConfigException e) {
            throw file == null ? e : new ConfigLoader.ConfigException(file + ": " + e.getMessage());
        }
    }

    /**
     * The training run's configuration besides the built-in sandbox's models: a tier (a prompt-size rule, the cascade)
     * over a route whose first deployment speaks Anthropic's format, as in examples/tiered-support.yaml and
     * examples/routes-sandbox.yaml, so that the cache holds those paths' classes and profiles too.
     */
    static final String TRAINING_CONFIG = """
            routes:
              - name: training-route
                deployments:
                  - {provider: sandbox-anthropic, model: claude-haiku-4-5}
                  - {provider: sandbox, model: gpt-4o-mini}
            tiers:
              - name: training-tier
                ladder:
                  - {name: small, model: training-route}
                  - {name: large, model: gpt-4o}
                rules:
                  - {tier: small, max_prompt_tokens: 30}
                default: large
                cascade: {enabled: true}
            """;

    /** The requests a new gateway answers first, each format once, streamed and not: what the AOT cache learns. */
    static final List<Map.Entry<String, String>> TRAINING_REQUESTS = List.of(
            Map.entry("/v1/chat/completions", "{\"model\":\"gpt-4o-mini\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}"),
            Map.entry("/v1/chat/completions", "{\"model\":\"gpt-4o-mini\",\"max_tokens\":16,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}"),
            Map.entry("/v1/messages", "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}"),
            Map.entry("/v1/chat/completions", "{\"model\":\"training-tier\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}"));

    /**
     * The launcher's training run for the JVM's AOT cache (JDK 25 and later): the classes and method profiles of the
     * first answers, through this gateway and its built-in sandbox. A request not answered 200 fails the run, and the
     * launcher then keeps no cache.
     */
    static void trainingRequests(Vertx vertx, int port, Duration patience) {
        HttpClient client = vertx.createHttpClient();
        try {
            for (int round = 0; round < 3; round++) {
                for (var request : TRAINING_REQUESTS) {
                    // the body is read on the event loop, as the response arrives
                    Map.Entry<Integer, String> answer;
                    try {
                        answer = client.request(HttpMethod.POST, port, "127.0.0.1", request.getKey())
                                .compose(r -> r.putHeader("content-type", "application/json").send(request.getValue()))
                                .compose(r -> r.body().map(body -> Map.entry(r.statusCode(), body.toString())))
                                .timeout(patience.toMillis(), TimeUnit.MILLISECONDS)
                                .await();
                    } catch (Exception e) { // await() throws the timeout's checked TimeoutException as it is
                        if (!(e instanceof java.util.concurrent.TimeoutException)) throw e;
                        // a hang seen once in the test suite and never again: what every thread was doing says why
                        Thread.getAllStackTraces().forEach((thread, stack) -> {
                            System.err.println("\"" + thread.getName() + "\" " + thread.getState());
                            for (StackTraceElement frame : stack) System.err.println("\tat " + frame);
                        });
                        throw new IllegalStateException("training request " + request.getKey() + " " + request.getValue()
                                + " got no answer within " + patience.toMillis() + " ms (round " + (round + 1) + "); every thread's stack is above", e);
                    }
                    if (answer.getKey() != 200) {
                        throw new IllegalStateException("training request " + request.getKey() + " answered "
                                + answer.getKey() + ": " + answer.getValue());
                    }
                }
            }
        } finally {
            client.close().await();
        }
    }

    private static UserError nativeLibraryFailed(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null) cause = cause.getCause();
        String why = cause instanceof FileSystemException f ? f.getFile() + ": " + Failures.reason(f) : cause.getMessage();
        return new UserError("DuckDB's native library did not load (" + why + "); from jars that carry it (not"
                + " app/target/tollgate.jar), DuckDB first copies it into the temp directory "
                + System.getProperty("java.io.tmpdir") + ": pass -Djava.io.tmpdir=DIR with a writable directory and 100 MB free", e);
    }

    /** Fails when another process listens on {@code port}. */
    static void portIsFree(int port) {
        if (port == 0) return;
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(port));
        } catch (IOException e) {
            throw new UserError("cannot listen on port " + port + ": " + (e.getMessage() != null && e.getMessage().contains("in use")
                    ? "another process already does (a `tollgate serve` or `sandbox` still running?)" : e.getMessage()) + "; pass --port with a free port", e);
        }
    }

    /** The data directory, created when missing; a path that cannot be one (a file, read-only, …) is named. */
    static Path dataDirectory(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (FileAlreadyExistsException e) {
            throw new UserError("--data " + dir + " is a file, not a directory; pass --data with a directory", e);
        } catch (IOException e) {
            throw new UserError("--data " + dir + ": cannot create the data directory (" + Failures.reason(e)
                    + "); pass --data with a writable directory", e);
        }
        if (!Files.isWritable(dir)) {
            throw new UserError("--data " + dir + ": the directory is not writable; pass --data with a writable directory");
        }
        return dir;
    }

    /** Where metrics and traces go and whether prompts are logged, in one line. */
    static String observabilityLine(GatewayConfig config, int port) {
        var o = config.observe();
        String metrics = o.metrics().enabled() ? "metrics at http://127.0.0.1:" + port + "/metrics" : "metrics off";
        String traces = o.telemetry().otlpEndpoint() != null ? "traces to " + o.telemetry().otlpEndpoint() + " (OTLP/HTTP)" : "no trace export";
        String prompts = o.promptLog().enabled()
                ? "prompt log on for " + Math.round(o.promptLog().sampleRate() * 100) + "% of requests" + (o.promptLog().tags().isEmpty() ? "" : " tagged " + o.promptLog().tags())
                : "prompt log off";
        return "Observability: " + metrics + ", " + traces + ", " + prompts + ".";
    }

    /** The configuration with the in-process sandbox as both an OpenAI-format and an Anthropic-format provider. */
    static GatewayConfig withSandbox(GatewayConfig config, String sandboxUrl, PriceCatalog catalog) {
        Map<String, GatewayConfig.Provider> providers = new LinkedHashMap<>();
        providers.put("sandbox", new GatewayConfig.Provider("sandbox", "openai", sandboxUrl + "/v1", null, null, null));
        providers.put("sandbox-anthropic", new GatewayConfig.Provider("sandbox-anthropic", "anthropic", sandboxUrl, null, null, null));
        List<GatewayConfig.Model> models = new ArrayList<>(config.models());
        if (models.isEmpty()) {
            SANDBOX_OPENAI_MODELS.stream().filter(m -> catalog.resolve(m).isPresent())
                    .forEach(m -> models.add(new GatewayConfig.Model(m, "sandbox", m, null)));
            SANDBOX_ANTHROPIC_MODELS.stream().filter(m -> catalog.resolve(m).isPresent())
                    .forEach(m -> models.add(new GatewayConfig.Model(m, "sandbox-anthropic", m, null)));
        }
        return config.withProviders(providers, models);
    }
}
