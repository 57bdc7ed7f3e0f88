package dev.tollgate.gateway.provider;

import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.TestTransport;
import dev.tollgate.gateway.config.GatewayConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.ssl.SslContextBuilder;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The provider client against scripted providers: one script per accepted connection, the last one repeating. */
class UpstreamTest {

    private static final String BODY = "{\"model\":\"gpt-4o-mini\",\"messages\":[]}";

    /** On the transport serve picks here (io_uring on Linux, or tests.transport), not NIO: the one whose behaviour users get. */
    private final Vertx vertx = TestTransport.choice().vertx(new VertxOptions());
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) c.close();
        vertx.close().await();
    }

    @Test
    void reusesOneKeepAliveConnectionAndSendsThePreEncodedHead() throws Exception {
        Provider provider = provider((socket, in, out) -> {
            while (true) {
                String request = readRequest(in);
                if (request == null) return;
                answer(out, 200, "x-request-id: r1\r\ncontent-type: application/json", "{\"ok\":true}");
            }
        });
        Upstream upstream = upstream("http://127.0.0.1:" + provider.port() + "/v1", Duration.ofSeconds(5), 512);
        Result first = call(upstream);
        Result second = call(upstream);
        assertThat(first.status).isEqualTo(200);
        assertThat(first.body).isEqualTo("{\"ok\":true}");
        assertThat(first.headers.get("x-request-id")).isEqualTo("r1");
        assertThat(second.body).isEqualTo("{\"ok\":true}");
        assertThat(provider.connections.get()).isEqualTo(1);
        String request = provider.requests.getFirst();
        assertThat(request).startsWith("POST /v1/chat/completions HTTP/1.1\r\n")
                .contains("host: 127.0.0.1:" + provider.port() + "\r\n")
                .contains("authorization: Bearer sk-test\r\n")
                .contains("user-agent: tollgate\r\n")
                .contains("x-extra: yes\r\n")
                .contains("content-length: " + BODY.length() + "\r\n")
                .endsWith("\r\n\r\n" + BODY);
    }

    @Test
    void aReusedConnectionResetAfterTheWholeRequestWasSentIsNotSentAgain() throws Exception {
        // the provider read the request and may be generating (a paid call): sending it again would pay twice
        Provider provider = provider(
                (socket, in, out) -> {
                    readRequest(in);
                    answer(out, 200, "content-type: application/json", "{\"n\":1}");
                    readRequest(in);
                    socket.setSoLinger(true, 0); // a reset, not a close
                },
                (socket, in, out) -> {
                    while (readRequest(in) != null) answer(out, 200, "content-type: application/json", "{\"n\":2}");
                });
        Upstream upstream = upstream("http://127.0.0.1:" + provider.port() + "/v1", Duration.ofSeconds(5), 512);
        assertThat(call(upstream).body).isEqualTo("{\"n\":1}");
        Result reset = call(upstream);
        assertThat(reset.failure).isInstanceOf(IOException.class);
        assertThat(provider.requests).hasSize(2);
        assertThat(provider.connections.get()).isEqualTo(1);
        assertThat(call(upstream).body).isEqualTo("{\"n\":2}"); // the next call opens a connection of its own
    }

    @Test
    void aReusedConnectionClosedAfterTheWholeRequestWasSentIsNotSentAgain() throws Exception {
        Provider provider = provider((socket, in, out) -> {
            readRequest(in);
            answer(out, 200, "content-type: application/json", "{\"n\":1}");
            readRequest(in); // then a plain close, no answer
        });
        Upstream upstream = upstream("http://127.0.0.1:" + provider.port() + "/v1", Duration.ofSeconds(5), 512);
        assertThat(call(upstream).body).isEqualTo("{\"n\":1}");
        assertThat(call(upstream).failure).isInstanceOf(IOException.class).hasMessageContaining("after the request was sent");
        assertThat(provider.requests).hasSize(2);
        assertThat(provider.connections.get()).isEqualTo(1);
    }

    @Test
    void aPooledConnectionTheProviderClosedWhileIdleIsNotUsed() throws Exception {
        Provider provider = provider(
                (socket, in, out) -> { // answers, then closes as its idle timeout would, at once
                    readRequest(in);
                    answer(out, 200, "content-type: application/json", "{\"n\":1}");
                },
                (socket, in, out) -> {
                    while (readRequest(in) != null) answer(out, 200, "content-type: application/json", "{\"n\":2}");
                });
        Upstream upstream = upstream("http://127.0.0.1:" + provider.port() + "/v1", Duration.ofSeconds(5), 512);
        assertThat(call(upstream).body).isEqualTo("{\"n\":1}");
        while (upstream.openConnections() > 0) Thread.onSpinWait(); // the gateway has read the close
        assertThat(call(upstream).body).isEqualTo("{\"n\":2}");
        assertThat(provider.requests).hasSize(2);
    }

    @Test
    void aProvidersKeepAliveTimeoutIsHonouredWithASecondToSpare() {
        long pool = TimeUnit.SECONDS.toNanos(50);
        assertThat(ProviderConnection.keepAliveNanos(null, pool)).isEqualTo(pool);
        assertThat(ProviderConnection.keepAliveNanos("timeout=5", pool)).isEqualTo(TimeUnit.SECONDS.toNanos(4));
        assertThat(ProviderConnection.keepAliveNanos("max=100, Timeout=15", pool)).isEqualTo(TimeUnit.SECONDS.toNanos(14));
        assertThat(ProviderConnection.keepAliveNanos("timeout=75", pool)).isEqualTo(pool);
        assertThat(ProviderConnection.keepAliveNanos("timeout=1", pool)).isZero();
        assertThat(ProviderConnection.keepAliveNanos("timeout=soon", pool)).isEqualTo(pool);
    }

    @Test
    void aConnectionPastTheProvidersKeepAliveIsNotReused() throws Exception {
        Provider provider = provider((socket, in, out) -> {
            while (readRequest(in) != null) answer(out, 200, "keep-alive: timeout=1\r\ncontent-type: application/json", "{}");
        });
        Upstream upstream = upstream("http://127.0.0.1:" + provider.port() + "/v1", Duration.ofSeconds(5), 512);
        assertThat(call(upstream).body).isEqualTo("{}");
        assertThat(call(upstream).body).isEqualTo("{}");
        assertThat(provider.connections.get()).isEqualTo(2); // timeout=1 leaves no second to spare: never reused
    }

    @Test
    void aFreshConnectionThatClosesWithoutAnsweringIsNotRetried() throws Exception {
        Provider provider = provider((socket, in, out) -> readRequest(in));
        Upstream upstream = upstream("http://127.0.0.1:" + provider.port() + "/v1", Duration.ofSeconds(5), 512);
        Result result = call(upstream);
        assertThat(result.failure).isInstanceOf(IOException.class).hasMessageContaining("without answering");
        Thread.sleep(100);
        assertThat(provider.connections.get()).isEqualTo(1);
    }

    @Test
    void aProviderClosingMidAnswerFailsTheCallAfterItsHead() throws Exception {
        Provider provider = provider((socket, in, out) -> {
            readRequest(in);
            out.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"partial\":".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        });
        Upstream upstream = upstream("http://127.0.0.1:" + provider.port() + "/v1", Duration.ofSeconds(5), 512);
        Result result = call(upstream);
        assertThat(result.status).isEqualTo(200);
        assertThat(result.failure).isNotNull();
        assertThat(provider.connections.get()).isEqualTo(1); // an answer had begun: not sent again
    }

    @Test
    void connectionCloseAnswersAreNotReused() throws Exception {
        Provider provider = provider((socket, in, out) -> {
            readRequest(in);
            answer(out, 200, "connection: close\r\ncontent-type: application/json", "{}");
        });
        Upstream upstream = upstream("http://127.0.0.1:" + provider.port() + "/v1", Duration.ofSeconds(5), 512);
        assertThat(call(upstream).body).isEqualTo("{}");
        assertThat(call(upstream).body).isEqualTo("{}");
        assertThat(provider.connections.get()).isEqualTo(2);
    }

    @Test
    void chunkedAndReadUntilCloseAnswers() throws Exception {
        Provider provider = provider(
                (socket, in, out) -> {
                    readRequest(in);
                    out.write(("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
                            + "8\r\ndata: 1\n\r\n" + "9\r\n\ndata: 2\n\r\n" + "1\r\n\n\r\n" + "0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    readRequest(in);
                    // HTTP/1.0 style: no length, the body ends when the connection does
                    out.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{\"until\":\"close\"}".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                });
        Upstream upstream = upstream("http://127.0.0.1:" + provider.port() + "/v1", Duration.ofSeconds(5), 512);
        Result chunked = call(upstream);
        assertThat(chunked.body).isEqualTo("data: 1\n\ndata: 2\n\n");
        assertThat(chunked.chunks).isGreaterThanOrEqualTo(1);
        assertThat(call(upstream).body).isEqualTo("{\"until\":\"close\"}");
        assertThat(provider.connections.get()).isEqualTo(1);
    }

    @Test
    void aSilentProviderTimesOut() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Provider provider = provider((socket, in, out) -> {
            readRequest(in);
            release.await(10, TimeUnit.SECONDS);
        });
        Upstream upstream = upstream("http://127.0.0.1:" + provider.port() + "/v1", Duration.ofMillis(300), 512);
        long started = System.nanoTime();
        Result result = call(upstream);
        release.countDown();
        assertThat(result.failure).isInstanceOf(TimeoutException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofMillis(250), Duration.ofSeconds(3));
    }

    @Test
    void aRefusedConnectionFails() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Upstream upstream = upstream("http://127.0.0.1:" + port + "/v1", Duration.ofSeconds(5), 512);
        assertThat(call(upstream).failure).isInstanceOf(ConnectException.class);
    }

    @Test
    void callsPastTheConnectionLimitWaitForAFreeOne() throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        Provider provider = provider((socket, in, out) -> {
            while (true) {
                String request = readRequest(in);
                if (request == null) return;
                go.await(5, TimeUnit.SECONDS);
                answer(out, 200, "content-type: application/json", "{}");
            }
        });
        Upstream upstream = upstream("http://127.0.0.1:" + provider.port() + "/v1", Duration.ofSeconds(5), 2);
        List<CompletableFuture<Result>> calls = new ArrayList<>();
        for (int i = 0; i < 5; i++) calls.add(start(upstream, null));
        Thread.sleep(300);
        assertThat(provider.connections.get()).isEqualTo(2);
        go.countDown();
        for (CompletableFuture<Result> c : calls) assertThat(c.get(5, TimeUnit.SECONDS).body).isEqualTo("{}");
        assertThat(provider.connections.get()).isEqualTo(2);
        assertThat(provider.requests).hasSize(5);
    }

    @Test
    void aCancelledStreamClosesTheProviderConnection() throws Exception {
        CompletableFuture<Boolean> providerSawTheEnd = new CompletableFuture<>();
        Provider provider = provider((socket, in, out) -> {
            readRequest(in);
            out.write("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n9\r\ndata: 1\n\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            providerSawTheEnd.complete(in.read() == -1);
        });
        Upstream upstream = upstream("http://127.0.0.1:" + provider.port() + "/v1", Duration.ofSeconds(5), 512);
        CompletableFuture<UpstreamCall> call = new CompletableFuture<>();
        CompletableFuture<Result> result = start(upstream, (c, chunk) -> call.join().cancel(), call);
        assertThat(result.get(5, TimeUnit.SECONDS).failure).isInstanceOf(CancellationException.class);
        assertThat(providerSawTheEnd.get(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aPausedAnswerIsNotReadUntilResumed() throws Exception {
        Provider provider = provider((socket, in, out) -> {
            readRequest(in);
            out.write("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(100);
            out.write("9\r\ndata: 1\n\n\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // kept open, as a keep-alive provider does: a peer's close makes epoll read what is left whatever the pause
            // (Netty drains a half-closed socket), which bounds the pause's reach to what the socket already holds
            Thread.sleep(2000);
        });
        Upstream upstream = upstream("http://127.0.0.1:" + provider.port() + "/v1", Duration.ofSeconds(5), 512);
        CompletableFuture<UpstreamCall> call = new CompletableFuture<>();
        AtomicInteger chunksWhilePaused = new AtomicInteger();
        CompletableFuture<Result> result = start(upstream, null, call, () -> call.join().pause(), chunksWhilePaused);
        Thread.sleep(500);
        assertThat(result).isNotDone();
        assertThat(chunksWhilePaused.get()).isZero();
        call.join().resume();
        assertThat(result.get(5, TimeUnit.SECONDS).body).isEqualTo("data: 1\n\n");
    }

    @Test
    void anthropicCallsCarryTheClientsVersionAndBeta() throws Exception {
        Provider provider = provider((socket, in, out) -> {
            while (readRequest(in) != null) answer(out, 200, "content-type: application/json", "{}");
        });
        GatewayConfig.Provider config = new GatewayConfig.Provider("claude", "anthropic", "http://127.0.0.1:" + provider.port() + "/v1",
                "sk-ant", null, Map.of());
        Upstream upstream = new Upstream(context(), config, server(Duration.ofSeconds(5)), null, 512);
        MultiMap client = MultiMap.caseInsensitiveMultiMap().add("anthropic-version", "2023-06-01").add("anthropic-beta", "tools-2024");
        call(upstream, Api.ANTHROPIC_MESSAGES, client);
        call(upstream, Api.ANTHROPIC_MESSAGES, MultiMap.caseInsensitiveMultiMap().add("anthropic-beta", "bad\r\ninjected: 1"));
        assertThat(provider.requests.get(0)).startsWith("POST /v1/messages HTTP/1.1\r\n").contains("x-api-key: sk-ant\r\n")
                .contains("anthropic-version: 2023-06-01\r\n").contains("anthropic-beta: tools-2024\r\n");
        assertThat(provider.requests.get(1)).contains("anthropic-version: 2023-06-01\r\n").doesNotContain("anthropic-beta").doesNotContain("injected");
    }

    @Test
    void azureCallsNameTheDeploymentAndApiVersion() throws Exception {
        Provider provider = provider((socket, in, out) -> {
            while (readRequest(in) != null) answer(out, 200, "content-type: application/json", "{}");
        });
        GatewayConfig.Provider config = new GatewayConfig.Provider("az", "azure", "http://127.0.0.1:" + provider.port(),
                "az-key", "2025-01-01", Map.of());
        Upstream upstream = new Upstream(context(), config, server(Duration.ofSeconds(5)), null, 512);
        call(upstream, Api.OPENAI_CHAT, MultiMap.caseInsensitiveMultiMap());
        assertThat(provider.requests.getFirst())
                .startsWith("POST /openai/deployments/gpt-4o-mini/chat/completions?api-version=2025-01-01 HTTP/1.1\r\n")
                .contains("api-key: az-key\r\n");
    }

    @Test
    void httpsSendsTheNameVerifiesTheCertificateAndOffersHttp11(@TempDir Path dir) throws Exception {
        KeyStore keys = selfSigned(dir);
        SSLContext server = SSLContext.getInstance("TLS");
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, "secret".toCharArray());
        server.init(kmf.getKeyManagers(), null, null);
        SSLServerSocket listening = (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        SSLParameters parameters = listening.getSSLParameters();
        parameters.setApplicationProtocols(new String[] {"http/1.1"});
        listening.setSSLParameters(parameters);
        List<String> seen = new CopyOnWriteArrayList<>();
        Provider provider = new Provider(listening, List.of((socket, in, out) -> {
            SSLSocket tls = (SSLSocket) socket;
            tls.startHandshake();
            var names = ((javax.net.ssl.ExtendedSSLSession) tls.getSession()).getRequestedServerNames();
            seen.add("sni=" + (names.isEmpty() ? "" : ((SNIHostName) names.getFirst()).getAsciiName()));
            seen.add("alpn=" + tls.getApplicationProtocol());
            while (readRequest(in) != null) answer(out, 200, "content-type: application/json", "{\"tls\":true}");
        }));
        closing.add(provider);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(keys);
        var tls = Tls.build(SslContextBuilder.forClient().trustManager(tmf));

        Upstream byName = new Upstream(context(), new GatewayConfig.Provider("p", "openai",
                "https://localhost:" + provider.port() + "/v1", "sk", null, Map.of()), server(Duration.ofSeconds(5)), tls, 512);
        assertThat(call(byName).body).isEqualTo("{\"tls\":true}");
        assertThat(seen).containsExactly("sni=localhost", "alpn=http/1.1");

        // the certificate names localhost only: reaching the same server by address must fail verification
        Upstream byAddress = new Upstream(context(), new GatewayConfig.Provider("p", "openai",
                "https://127.0.0.1:" + provider.port() + "/v1", "sk", null, Map.of()), server(Duration.ofSeconds(5)), tls, 512);
        Throwable failure = call(byAddress).failure;
        assertThat(failure).isNotNull();
        assertThat(rootCause(failure)).isInstanceOfAny(SSLHandshakeException.class, java.security.cert.CertificateException.class);
    }

    // --- the scripted provider ---

    interface Script {
        void run(Socket socket, InputStream in, OutputStream out) throws Exception;
    }

    /** Accepts connections on its own threads; each gets the next script, the last one repeating. */
    final class Provider implements AutoCloseable {
        final ServerSocket server;
        final AtomicInteger connections = new AtomicInteger();
        final List<String> requests = new CopyOnWriteArrayList<>();
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();

        Provider(ServerSocket server, List<Script> scripts) {
            this.server = server;
            Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket socket = server.accept();
                        sockets.add(socket);
                        Script script = scripts.get(Math.min(connections.getAndIncrement(), scripts.size() - 1));
                        Thread.ofVirtual().start(() -> {
                            try (socket) {
                                script.run(socket, new Recording(socket.getInputStream(), requests), socket.getOutputStream());
                            } catch (Exception ignored) {
                                // the client went away
                            }
                        });
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : sockets) s.close();
        }
    }

    /** Marks where each request starts so the test can see them whole. */
    static final class Recording extends InputStream {
        final InputStream in;
        final List<String> requests;

        Recording(InputStream in, List<String> requests) {
            this.in = in;
            this.requests = requests;
        }

        @Override
        public int read() throws IOException {
            return in.read();
        }
    }

    private Provider provider(Script... scripts) throws IOException {
        Provider provider = new Provider(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()), List.of(scripts));
        closing.add(provider);
        return provider;
    }

    /** One whole request (head and content-length body), recorded; null at the end of the stream. */
    static String readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1) {
            bytes.write(b);
            if (bytes.size() >= 4 && bytes.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) break;
        }
        if (b == -1) return null;
        String head = bytes.toString(StandardCharsets.ISO_8859_1);
        int length = 0;
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) length = Integer.parseInt(line.substring(15).trim());
        }
        byte[] body = in.readNBytes(length);
        String request = head + new String(body, StandardCharsets.UTF_8);
        if (in instanceof Recording r) r.requests.add(request);
        return request;
    }

    static void answer(OutputStream out, int status, String headers, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 " + status + " OK\r\n" + headers + "\r\ncontent-length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
    }

    @Test
    void closesConnectionsLeftIdleLongerThanTheKeepAlive() throws Exception {
        CompletableFuture<Void> closedByGateway = new CompletableFuture<>();
        Provider provider = provider((socket, in, out) -> {
            while (true) {
                String request = readRequest(in);
                if (request == null) { // the gateway closed the idle connection
                    closedByGateway.complete(null);
                    return;
                }
                answer(out, 200, "content-type: application/json", "{\"ok\":true}");
            }
        });
        Upstream upstream = new Upstream(context(), new GatewayConfig.Provider("test", "openai", "http://127.0.0.1:" + provider.port() + "/v1",
                "sk-test", null, Map.of()), server(Duration.ofSeconds(5)), null, 512, Duration.ofMillis(200));
        closing.add(upstream::close);
        assertThat(call(upstream).status).isEqualTo(200);
        closedByGateway.get(5, TimeUnit.SECONDS); // closed by the sweep, well before the provider would have
        assertThat(call(upstream).status).isEqualTo(200);
        assertThat(provider.connections.get()).isEqualTo(2); // the second call needed a new connection
    }

    // --- the client side ---

    private ContextInternal context() {
        return (ContextInternal) vertx.getOrCreateContext();
    }

    private static GatewayConfig.Server server(Duration idleTimeout) {
        return new GatewayConfig.Server(65536, idleTimeout, Duration.ofSeconds(2), 1, 4096);
    }

    private Upstream upstream(String baseUrl, Duration idleTimeout, int max) {
        Upstream upstream = new Upstream(context(), new GatewayConfig.Provider("test", "openai", baseUrl, "sk-test", null,
                Map.of("X-Extra", "yes")), server(idleTimeout), null, max);
        closing.add(upstream::close);
        return upstream;
    }

    record Result(int status, HttpHeaders headers, String body, int chunks, Throwable failure) {
    }

    interface OnChunk {
        void accept(int index, String chunk);
    }

    private Result call(Upstream upstream) throws Exception {
        return call(upstream, Api.OPENAI_CHAT, MultiMap.caseInsensitiveMultiMap());
    }

    private Result call(Upstream upstream, Api api, MultiMap clientHeaders) throws Exception {
        return start(upstream, api, clientHeaders, null, new CompletableFuture<>(), null, new AtomicInteger()).get(10, TimeUnit.SECONDS);
    }

    private CompletableFuture<Result> start(Upstream upstream, OnChunk onChunk) {
        return start(upstream, onChunk, new CompletableFuture<>());
    }

    private CompletableFuture<Result> start(Upstream upstream, OnChunk onChunk, CompletableFuture<UpstreamCall> call) {
        return start(upstream, onChunk, call, null, new AtomicInteger());
    }

    private CompletableFuture<Result> start(Upstream upstream, OnChunk onChunk, CompletableFuture<UpstreamCall> call,
                                            Runnable onHead, AtomicInteger chunksWhilePaused) {
        return start(upstream, Api.OPENAI_CHAT, MultiMap.caseInsensitiveMultiMap(), onChunk, call, onHead, chunksWhilePaused);
    }

    private CompletableFuture<Result> start(Upstream upstream, Api api, MultiMap clientHeaders, OnChunk onChunk,
                                            CompletableFuture<UpstreamCall> call, Runnable onHead, AtomicInteger chunksWhilePaused) {
        CompletableFuture<Result> result = new CompletableFuture<>();
        UpstreamCall.Answer answer = new UpstreamCall.Answer() {
            int status;
            HttpHeaders headers;
            final StringBuilder body = new StringBuilder();
            int chunks;

            @Override
            public void head(int status, HttpHeaders headers) {
                this.status = status;
                this.headers = headers;
                if (onHead != null) onHead.run();
            }

            @Override
            public void content(Buffer chunk) {
                if (call.isDone() && call.join().paused) chunksWhilePaused.incrementAndGet();
                body.append(chunk.toString(StandardCharsets.UTF_8));
                if (onChunk != null) onChunk.accept(chunks, chunk.toString());
                chunks++;
            }

            @Override
            public void end() {
                result.complete(new Result(status, headers, body.toString(), chunks, null));
            }

            @Override
            public void failed(Throwable cause) {
                result.complete(new Result(status, headers, body.toString(), chunks, cause));
            }
        };
        call.complete(upstream.send(api, "gpt-4o-mini", clientHeaders, Buffer.buffer(BODY), answer));
        return result;
    }

    private static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t;
    }

    /** A certificate for localhost (and not for 127.0.0.1), made by the JDK's keytool. */
    private static KeyStore selfSigned(Path dir) throws Exception {
        Path file = dir.resolve("provider.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process process = new ProcessBuilder(keytool, "-genkeypair", "-alias", "provider", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=localhost", "-ext", "SAN=dns:localhost", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", file.toString(), "-storepass", "secret", "-keypass", "secret")
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(output).isZero();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            store.load(in, "secret".toCharArray());
        }
        return store;
    }
}
