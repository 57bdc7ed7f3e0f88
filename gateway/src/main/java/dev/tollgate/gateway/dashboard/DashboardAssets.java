package dev.tollgate.gateway.dashboard;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import dev.tollgate.gateway.http.ServerRequest;
import dev.tollgate.gateway.http.ServerResponse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.zip.GZIPOutputStream;

/**
 * The dashboard's static files: the page at {@code /} and its assets under {@code /dashboard/}, read from the jar
 * once per JVM and answered from memory (the event loop never touches the disk). The chart library, uPlot, comes
 * from its WebJar and is served under a versioned path with a year-long immutable cache; the page and its scripts
 * are revalidated on every load through their ETag (a 304 costs a few bytes), so an upgrade shows at once.
 */
public final class DashboardAssets {

    /** The dashboard's own files, under {@code dashboard/} on the classpath. */
    static final List<String> FILES = List.of("index.html", "app.css", "app.js", "api.js", "dom.js", "money.js",
            "views.js", "chart.js");
    private static final String UPLOT_JAR = "META-INF/resources/webjars/uplot/";
    private static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
    private static final String REVALIDATE = "no-cache";
    private static final String IMMUTABLE = "public, max-age=31536000, immutable";

    private record Asset(Buffer body, Buffer gzipped, String contentType, String etag, String cacheControl) {
    }

    private static final class Holder {
        static final Map<String, Asset> ASSETS = load();
    }

    private final Map<String, Asset> assets = Holder.ASSETS;

    /** Whether {@code path} is the dashboard's (checked only after the API paths). */
    public static boolean owns(String path) {
        return path.equals("/") || path.equals("/dashboard") || path.startsWith("/dashboard/");
    }

    public void handle(ServerRequest request) {
        ServerResponse response = request.response();
        if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            response.setStatusCode(405).putHeader("allow", "GET, HEAD").putHeader("content-type", "text/plain; charset=utf-8")
                    .end("use GET for the dashboard\n");
            return;
        }
        if (request.path().equals("/dashboard")) {
            response.setStatusCode(301).putHeader("location", "/dashboard/").end();
            return;
        }
        Asset asset = assets.get(request.path());
        if (asset == null) {
            response.setStatusCode(404).putHeader("content-type", "text/plain; charset=utf-8").end("no such dashboard file\n");
            return;
        }
        String acceptEncoding = request.getHeader("accept-encoding");
        boolean gzip = asset.gzipped() != null && acceptEncoding != null && acceptEncoding.contains("gzip");
        // each encoding is a different representation, so it has its own (strong) ETag
        String etag = gzip ? asset.etag().replaceFirst("\"$", "-gz\"") : asset.etag();
        response.putHeader("content-type", asset.contentType())
                .putHeader("cache-control", asset.cacheControl())
                .putHeader("etag", etag)
                .putHeader("vary", "accept-encoding")
                .putHeader("x-content-type-options", "nosniff")
                .putHeader("referrer-policy", "no-referrer");
        if (asset.contentType().startsWith("text/html")) {
            response.putHeader("content-security-policy", CSP).putHeader("x-frame-options", "DENY");
        }
        if (matches(request.getHeader("if-none-match"), etag)) {
            response.setStatusCode(304).end();
            return;
        }
        Buffer body = asset.body();
        if (gzip) {
            response.putHeader("content-encoding", "gzip");
            body = asset.gzipped();
        }
        if (request.method() == HttpMethod.HEAD) {
            response.putHeader("content-length", Integer.toString(body.length())).end();
        } else {
            response.end(body);
        }
    }

    private static boolean matches(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null) return false;
        for (String candidate : ifNoneMatch.split(",")) {
            String c = candidate.trim();
            if (c.equals("*") || c.equals(etag) || c.equals("W/" + etag)) return true;
        }
        return false;
    }

    private static Map<String, Asset> load() {
        String uplot = webJarVersion("uplot");
        Map<String, Asset> assets = new HashMap<>();
        for (String file : FILES) {
            byte[] bytes = read("dashboard/" + file);
            if (file.equals("index.html")) {
                // the page names the chart library by its versioned path, so that path may be cached for good
                bytes = new String(bytes, StandardCharsets.UTF_8).replace("@UPLOT_VERSION@", uplot).getBytes(StandardCharsets.UTF_8);
            }
            Asset asset = asset(bytes, contentType(file), REVALIDATE);
            assets.put("/dashboard/" + file, asset);
            if (file.equals("index.html")) {
                assets.put("/", asset);
                assets.put("/dashboard/", asset);
            }
        }
        String vendor = "/dashboard/vendor/uplot-" + uplot + "/";
        for (String file : List.of("uPlot.iife.min.js", "uPlot.min.css")) {
            assets.put(vendor + file, asset(read(UPLOT_JAR + uplot + "/dist/" + file), contentType(file), IMMUTABLE));
        }
        assets.put(vendor + "LICENSE", asset(read(UPLOT_JAR + uplot + "/LICENSE"), "text/plain; charset=utf-8", IMMUTABLE));
        return Map.copyOf(assets);
    }

    private static Asset asset(byte[] bytes, String contentType, String cacheControl) {
        byte[] gzipped = gzip(bytes);
        return new Asset(Buffer.buffer(bytes), gzipped.length < bytes.length ? Buffer.buffer(gzipped) : null,
                contentType, etag(bytes), cacheControl);
    }

    static String contentType(String file) {
        String ext = file.substring(file.lastIndexOf('.') + 1);
        return switch (ext) {
            case "html" -> "text/html; charset=utf-8";
            case "js" -> "text/javascript; charset=utf-8";
            case "css" -> "text/css; charset=utf-8";
            case "svg" -> "image/svg+xml";
            case "png" -> "image/png";
            default -> "application/octet-stream";
        };
    }

    /** The version of a WebJar on the classpath, from the pom.properties Maven packs into it. */
    static String webJarVersion(String artifact) {
        Properties pom = new Properties();
        try (InputStream in = open("META-INF/maven/org.webjars.npm/" + artifact + "/pom.properties")) {
            pom.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pom.getProperty("version");
    }

    private static byte[] read(String resource) {
        try (InputStream in = open(resource)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }

    private static InputStream open(String resource) {
        InputStream in = DashboardAssets.class.getClassLoader().getResourceAsStream(resource);
        if (in == null) throw new IllegalStateException("the dashboard file " + resource + " is missing from the classpath");
        return in;
    }

    private static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 3 + 64);
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static String etag(byte[] bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            return "\"" + HexFormat.of().formatHex(digest, 0, 12) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
