package dev.tollgate.gateway.dashboard;

import dev.tollgate.gateway.TestBed;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The dashboard's files over HTTP: content types, caching, conditional and compressed answers, and nothing else. */
class DashboardAssetsTest {

    static final String UPLOT = "/dashboard/vendor/uplot-1.6.30/";
    static final Path SOURCES = Path.of("src/main/resources/dashboard");

    @TempDir
    static Path data;
    static TestBed bed;

    @BeforeAll
    static void start() throws Exception {
        bed = new TestBed(data);
    }

    @AfterAll
    static void stop() {
        bed.close();
    }

    @Test
    void thePageIsServedAtTheRootWithItsSecurityHeadersAndRevalidated() throws Exception {
        HttpResponse<byte[]> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(header(page, "content-type")).isEqualTo("text/html; charset=utf-8");
        assertThat(header(page, "cache-control")).isEqualTo("no-cache");
        assertThat(header(page, "content-security-policy")).contains("script-src 'self'").contains("frame-ancestors 'none'")
                .doesNotContain("unsafe-inline").doesNotContain("unsafe-eval");
        assertThat(header(page, "x-content-type-options")).isEqualTo("nosniff");
        String html = new String(page.body(), StandardCharsets.UTF_8);
        assertThat(html).contains("<script src=\"" + UPLOT + "uPlot.iife.min.js\"").doesNotContain("@UPLOT_VERSION@");
        assertThat(get("/dashboard/").body()).isEqualTo(page.body());
        assertThat(get("/dashboard/index.html").body()).isEqualTo(page.body());

        HttpResponse<byte[]> redirect = get("/dashboard");
        assertThat(redirect.statusCode()).isEqualTo(301);
        assertThat(header(redirect, "location")).isEqualTo("/dashboard/");
    }

    @Test
    void everyFileOfTheDashboardIsServedAsWrittenWithItsContentType() throws Exception {
        List<Path> files;
        try (Stream<Path> list = Files.list(SOURCES)) {
            files = list.filter(Files::isRegularFile).toList();
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(5);
        for (Path file : files) {
            String name = file.getFileName().toString();
            HttpResponse<byte[]> r = get("/dashboard/" + name);
            assertThat(r.statusCode()).as(name).isEqualTo(200);
            String type = switch (name.substring(name.lastIndexOf('.') + 1)) {
                case "html" -> "text/html; charset=utf-8";
                case "js" -> "text/javascript; charset=utf-8";
                case "css" -> "text/css; charset=utf-8";
                default -> throw new AssertionError("a dashboard file of an unexpected kind: " + name);
            };
            assertThat(header(r, "content-type")).as(name).isEqualTo(type);
            if (!name.equals("index.html")) assertThat(r.body()).as(name).isEqualTo(Files.readAllBytes(file));
        }
    }

    @Test
    void theChartLibraryComesFromItsWebJarAndIsCachedForGood() throws Exception {
        HttpResponse<byte[]> js = get(UPLOT + "uPlot.iife.min.js");
        assertThat(js.statusCode()).isEqualTo(200);
        assertThat(header(js, "content-type")).isEqualTo("text/javascript; charset=utf-8");
        assertThat(header(js, "cache-control")).isEqualTo("public, max-age=31536000, immutable");
        assertThat(js.body()).isEqualTo(resource("META-INF/resources/webjars/uplot/1.6.30/dist/uPlot.iife.min.js"));
        assertThat(header(get(UPLOT + "uPlot.min.css"), "content-type")).isEqualTo("text/css; charset=utf-8");
        assertThat(new String(get(UPLOT + "LICENSE").body(), StandardCharsets.UTF_8)).contains("MIT");
    }

    @Test
    void aKnownVersionIsAnsweredWithNotModifiedAndGzipWhenAccepted() throws Exception {
        HttpResponse<byte[]> plain = get("/dashboard/views.js");
        String etag = header(plain, "etag");
        assertThat(etag).matches("\"[0-9a-f]{24}\"");

        HttpResponse<byte[]> again = get("/dashboard/views.js", "if-none-match", etag);
        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.body()).isEmpty();

        HttpResponse<byte[]> zipped = get("/dashboard/views.js", "accept-encoding", "gzip, deflate, br");
        assertThat(header(zipped, "content-encoding")).isEqualTo("gzip");
        assertThat(header(zipped, "vary")).isEqualTo("accept-encoding");
        assertThat(header(zipped, "etag")).isNotEqualTo(etag);
        assertThat(zipped.body().length).isLessThan(plain.body().length);
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(zipped.body()))) {
            assertThat(in.readAllBytes()).isEqualTo(plain.body());
        }
        assertThat(get("/dashboard/views.js", "accept-encoding", "gzip", "if-none-match", header(zipped, "etag")).statusCode())
                .isEqualTo(304);
    }

    @Test
    void onlyGetAndHeadAndOnlyItsOwnFiles() throws Exception {
        HttpResponse<byte[]> head = bed.http.send(HttpRequest.newBuilder(URI.create(bed.url() + "/dashboard/app.css"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(header(head, "content-length")).isEqualTo(Long.toString(Files.size(SOURCES.resolve("app.css"))));

        HttpResponse<String> post = bed.post("/", "{}");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("allow")).hasValue("GET, HEAD");

        for (String path : List.of("/dashboard/nope.js", "/dashboard/../pom.xml", "/dashboard/vendor/uplot-1.6.30/package.json",
                "/dashboard/META-INF/MANIFEST.MF")) {
            assertThat(get(path).statusCode()).as(path).isEqualTo(404);
        }
        // the API's own paths answer as before, in their wire format
        HttpResponse<byte[]> unknown = get("/nothing-here");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(header(unknown, "content-type")).isEqualTo("application/json");
        assertThat(get("/v1/chat/completions").statusCode()).isEqualTo(405);
        assertThat(get("/health").statusCode()).isEqualTo(200);
    }

    static HttpResponse<byte[]> get(String path, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(bed.url() + path));
        for (int i = 0; i < headers.length; i += 2) request.header(headers[i], headers[i + 1]);
        return bed.http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static String header(HttpResponse<?> response, String name) {
        return response.headers().firstValue(name).orElse(null);
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = DashboardAssetsTest.class.getClassLoader().getResourceAsStream(name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }
}
