package dev.tollgate.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.admin.SpendReport;
import dev.tollgate.store.duckdb.DuckDbLedger;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What the {@code report} and {@code export} commands read: the ledger file when no process holds it, otherwise the
 * gateway that does, through its admin API. DuckDB lets one process open a database file, so while {@code serve}
 * runs, the file is locked; the user never sees that lock, only the gateway's answer (or a message saying which
 * admin token to give).
 */
abstract sealed class LedgerReader implements AutoCloseable permits LedgerReader.Local, LedgerReader.Remote, LedgerReader.Shared {

    static final String TOKEN_ENV = GatewayOptions.TOKEN_ENV;

    /** A mistake or an unreachable ledger, with a message for the user. */
    static final class Failure extends RuntimeException {
        Failure(String message) {
            super(message);
        }
    }

    abstract JsonNode spend(Map<String, String> params);

    abstract JsonNode outcomes(Map<String, String> params);

    /** Writes the FOCUS dataset to {@code out}; returns what to tell the user. */
    abstract String exportFocus(Map<String, String> range, String format, Path out);

    @Override
    public void close() {
    }

    /** The gateway when {@code --url} is given on the command line, else the file, else the gateway that holds it. */
    static LedgerReader open(LedgerOptions options) {
        GatewayOptions gateway = options.gateway;
        if (options.shared.shared()) return Shared.open(options.shared);
        if (gateway.url != null && !gateway.url.isBlank()) {
            GatewayLink link = gateway.link(options.dataDir);
            return new Remote(link.url(), link.token(), null);
        }
        Path file = options.dataDir.resolve(DuckDbLedger.FILE_NAME);
        if (!Files.exists(file)) {
            throw new Failure("no ledger at " + file.toAbsolutePath() + " (run `tollgate serve` first, or pass --data)");
        }
        try {
            return new Local(DuckDbLedger.open(options.dataDir));
        } catch (IllegalStateException e) {
            if (e.getMessage() == null || !e.getMessage().toLowerCase().contains("lock")) throw e;
        }
        // the gateway that holds it left its address (and admin token) in the data directory
        GatewayLink link = gateway.link(options.dataDir);
        return new Remote(link.url(), link.token(), "the ledger " + file.toAbsolutePath() + " is in use by the gateway at " + link.url());
    }

    /** Reads the ledger file directly. */
    static final class Local extends LedgerReader {
        private final DuckDbLedger ledger;

        Local(DuckDbLedger ledger) {
            this.ledger = ledger;
        }

        @Override
        JsonNode spend(Map<String, String> params) {
            return SpendReport.spend(ledger, SpendReport.query(params, Instant.now()));
        }

        @Override
        JsonNode outcomes(Map<String, String> params) {
            return SpendReport.outcomes(ledger, SpendReport.query(params, Instant.now()));
        }

        @Override
        String exportFocus(Map<String, String> range, String format, Path out) {
            var q = SpendReport.query(range, Instant.now());
            try {
                Files.deleteIfExists(out);
            } catch (IOException e) {
                throw new Failure("cannot replace " + out + ": " + e.getMessage());
            }
            long rows = ledger.exportFocus(q.from(), q.to(), format, out);
            return "wrote " + rows + " FOCUS charge rows to " + out;
        }

        @Override
        public void close() {
            ledger.close();
        }
    }

    /**
     * Reads the shared ledger in PostgreSQL directly: any number of readers beside the replicas that write it. FOCUS
     * export streams the range's rows into a scratch embedded ledger and writes the dataset from there, so both stores
     * export the same way.
     */
    static final class Shared extends LedgerReader {
        private final LedgerSource.Shared shared;
        private final dev.tollgate.store.postgres.PgLedger ledger;

        private Shared(LedgerSource.Shared shared) {
            this.shared = shared;
            this.ledger = shared.ledger();
        }

        static Shared open(LedgerSource source) {
            try {
                return new Shared(source.open());
            } catch (IllegalStateException e) {
                throw new Failure(e.getMessage());
            }
        }

        @Override
        JsonNode spend(Map<String, String> params) {
            return SpendReport.spend(ledger, SpendReport.query(params, Instant.now()));
        }

        @Override
        JsonNode outcomes(Map<String, String> params) {
            return SpendReport.outcomes(ledger, SpendReport.query(params, Instant.now()));
        }

        @Override
        String exportFocus(Map<String, String> range, String format, Path out) {
            var q = SpendReport.query(range, Instant.now());
            try {
                Files.deleteIfExists(out);
            } catch (IOException e) {
                throw new Failure("cannot replace " + out + ": " + e.getMessage());
            }
            long rows = ledger.exportFocus(q.from(), q.to(), format, out);
            return "wrote " + rows + " FOCUS charge rows to " + out + " (from " + shared.where() + ")";
        }

        @Override
        public void close() {
            shared.close();
        }
    }

    /** Asks a running gateway's admin API. */
    static final class Remote extends LedgerReader {
        private final String url;
        private final String token;
        private final String why;
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        Remote(String url, String token, String why) {
            this.url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
            this.token = token;
            this.why = why;
        }

        @Override
        JsonNode spend(Map<String, String> params) {
            return json(send("/admin/spend", params, HttpResponse.BodyHandlers.ofString()).body());
        }

        @Override
        JsonNode outcomes(Map<String, String> params) {
            return json(send("/admin/outcomes", params, HttpResponse.BodyHandlers.ofString()).body());
        }

        @Override
        String exportFocus(Map<String, String> range, String format, Path out) {
            Map<String, String> params = new java.util.LinkedHashMap<>(range);
            params.put("format", format);
            Path partial = out.resolveSibling(out.getFileName() + ".part");
            send("/admin/export/focus", params, HttpResponse.BodyHandlers.ofFile(partial));
            try {
                Files.move(partial, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                return "wrote " + Files.size(out) + " bytes of FOCUS data to " + out + " (from the gateway at " + url + ")";
            } catch (IOException e) {
                throw new Failure("cannot write " + out + ": " + e.getMessage());
            }
        }

        private <T> HttpResponse<T> send(String path, Map<String, String> params, HttpResponse.BodyHandler<T> body) {
            String prefix = why == null ? "" : why + "; ";
            if (token == null || token.isBlank()) {
                throw new Failure(prefix + "give its admin token with --admin-token or " + TOKEN_ENV
                        + " (`tollgate serve` prints it at start when none is configured)");
            }
            String query = params.entrySet().stream().filter(e -> e.getValue() != null && !e.getValue().isBlank())
                    .map(e -> enc(e.getKey()) + "=" + enc(e.getValue())).collect(Collectors.joining("&"));
            HttpRequest request = HttpRequest.newBuilder(URI.create(url + path + (query.isEmpty() ? "" : "?" + query)))
                    .header("authorization", "Bearer " + token).timeout(Duration.ofMinutes(10)).GET().build();
            HttpResponse<T> response;
            try {
                response = http.send(request, body);
            } catch (ConnectException e) {
                throw new Failure(prefix + "cannot reach the gateway at " + url + " (is `tollgate serve` running? pass --url)");
            } catch (IOException e) {
                throw new Failure(prefix + "asking the gateway at " + url + " failed: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Failure("interrupted");
            }
            if (response.statusCode() != 200) {
                String message = "";
                try {
                    Object b = response.body();
                    String text = b instanceof Path p ? Files.readString(p) : String.valueOf(b);
                    if (b instanceof Path p) Files.deleteIfExists(p);
                    message = Json.parse(text).path("error").path("message").asText(text);
                } catch (IOException | RuntimeException e) {
                    // keep the status alone
                }
                throw new Failure("the gateway at " + url + " answered " + response.statusCode() + ": " + message);
            }
            return response;
        }

        private static String enc(String s) {
            return URLEncoder.encode(s, StandardCharsets.UTF_8);
        }

        private static JsonNode json(String text) {
            try {
                return Json.parse(text);
            } catch (IOException e) {
                throw new Failure("the gateway answered something that is not JSON: " + e.getMessage());
            }
        }
    }
}
