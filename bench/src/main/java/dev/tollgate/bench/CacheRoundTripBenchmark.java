package dev.tollgate.bench;

import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.gateway.Gateway;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.sandbox.SandboxConfig;
import dev.tollgate.sandbox.SandboxServer;
import dev.tollgate.store.duckdb.DuckDbLedger;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A cache hit against a provider round trip, through a real gateway over HTTP/1.1 keep-alive: the same chat request
 * to a model whose answers are cached ({@code hit}) and to one whose cache policy is off, so that it goes to the
 * in-process sandbox provider with zero latency ({@code sandboxRoundTrip}). The client is a plain blocking socket
 * writing a prepared request and reading the answer by its content-length, so that the client's own cost is as
 * small as it can be and the two figures are dominated by the gateway. Target: the hit at least 5× faster.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CacheRoundTripBenchmark {

    private static final String BODY = CacheBenchmark.REQUEST;

    private Vertx vertx;
    private Path dir;
    private DuckDbLedger ledger;
    private Gateway gateway;
    private Client cached;
    private Client uncached;

    @Setup(Level.Trial)
    public void start() throws Exception {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        SandboxServer sandbox = SandboxServer.start(vertx, SandboxConfig.defaults(), 0).await();
        String yaml = """
                cache:
                  enabled: true
                  policies:
                    - {model: uncached, enabled: false}
                providers:
                  sandbox: {type: openai, base_url: "http://127.0.0.1:%d/v1"}
                models:
                  - {name: gpt-4o-mini, provider: sandbox}
                  - {name: uncached, provider: sandbox, model: gpt-4o-mini}
                """.formatted(sandbox.port());
        dir = Files.createTempDirectory("tollgate-cache-bench");
        ledger = DuckDbLedger.open(dir);
        GatewayServices services = GatewayServices.of(new ConfigLoader(Map.<String, String>of()::get).parse(yaml),
                PriceCatalog.bundled(), ledger);
        gateway = Gateway.start(vertx, services, 0, 1).await();
        cached = new Client(gateway.port(), BODY);
        uncached = new Client(gateway.port(), BODY.replace("\"model\":\"gpt-4o-mini\"", "\"model\":\"uncached\""));
        cached.call();
        String hit = cached.call();
        if (!hit.contains("x-tollgate-cache: hit")) throw new IllegalStateException("no cache hit:\n" + hit);
        String round = uncached.call();
        if (round.contains("x-tollgate-cache") || !round.startsWith("HTTP/1.1 200")) {
            throw new IllegalStateException("not a provider round trip:\n" + round);
        }
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
        cached.close();
        uncached.close();
        gateway.close();
        ledger.close();
        vertx.close().await();
        printServedTimes(dir.resolve(DuckDbLedger.FILE_NAME));
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /**
     * The gateway's own serving time of each request, as its ledger recorded it (arrival of the whole request to the
     * answer handed to the socket): the part of the client-side figures above that the gateway controls, without the
     * client's loopback hop and scheduling, which both sides pay alike.
     */
    private static void printServedTimes(Path file) {
        try (Connection conn = DriverManager.getConnection("jdbc:duckdb:" + file);
             ResultSet rs = conn.createStatement().executeQuery("""
                     SELECT coalesce(cache, 'provider round trip') AS served, count(*) AS requests,
                            quantile_disc(latency_us, 0.5) AS p50_us, quantile_disc(latency_us, 0.9) AS p90_us
                     FROM requests GROUP BY ALL ORDER BY served""")) {
            while (rs.next()) {
                System.out.printf("served in the gateway (ledger latency_us): %-20s %,10d requests  p50 %d µs  p90 %d µs%n",
                        rs.getString("served"), rs.getLong("requests"), rs.getLong("p50_us"), rs.getLong("p90_us"));
            }
        } catch (SQLException e) {
            System.out.println("could not read the ledger's serving times: " + e);
        }
    }

    @Benchmark
    public int hit() throws IOException {
        return cached.send();
    }

    @Benchmark
    public int sandboxRoundTrip() throws IOException {
        return uncached.send();
    }

    /** One keep-alive connection sending the same prepared request; reads through its own buffer, no locks. */
    static final class Client implements AutoCloseable {
        private final Socket socket;
        private final OutputStream out;
        private final InputStream in;
        private final byte[] request;
        private final byte[] buf = new byte[1 << 16];
        private int pos;
        private int lim;

        Client(int port, String json) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setTcpNoDelay(true);
            out = socket.getOutputStream();
            in = socket.getInputStream();
            byte[] payload = json.getBytes(StandardCharsets.UTF_8);
            request = ("POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
                    + "content-length: " + payload.length + "\r\n\r\n" + json).getBytes(StandardCharsets.UTF_8);
        }

        /** Sends the request and reads the whole answer; returns its body length. */
        int send() throws IOException {
            return exchange(null);
        }

        /** The response head and body as text, for the setup's checks. */
        String call() throws IOException {
            StringBuilder text = new StringBuilder();
            exchange(text);
            return text.toString();
        }

        private int exchange(StringBuilder text) throws IOException {
            out.write(request);
            out.flush();
            int length = -1;
            String line;
            while (!(line = line()).isEmpty()) {
                if (text != null) text.append(line).append('\n');
                if (line.regionMatches(true, 0, "content-length:", 0, 15)) length = Integer.parseInt(line.substring(15).trim());
            }
            if (length < 0) throw new IOException("no content-length");
            while (lim - pos < length) more();
            if (text != null) text.append('\n').append(new String(buf, pos, length, StandardCharsets.UTF_8));
            pos += length;
            return length;
        }

        /** The next line of the head, without its CRLF. */
        private String line() throws IOException {
            int scanned = pos;
            while (true) {
                for (int i = scanned; i < lim; i++) {
                    if (buf[i] == '\n') {
                        String line = new String(buf, pos, Math.max(0, i - 1 - pos), StandardCharsets.ISO_8859_1);
                        pos = i + 1;
                        return line;
                    }
                }
                scanned = lim - pos; // after more() the unread bytes start at 0
                more();
            }
        }

        /** Reads more bytes, first moving what is unread to the buffer's start. */
        private void more() throws IOException {
            if (pos > 0) {
                System.arraycopy(buf, pos, buf, 0, lim - pos);
                lim -= pos;
                pos = 0;
            }
            int n = in.read(buf, lim, buf.length - lim);
            if (n < 0) throw new IOException("connection closed");
            lim += n;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
