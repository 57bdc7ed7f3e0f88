package dev.tollgate.gateway.tier;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Gateway;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.SandboxGateway;
import dev.tollgate.gateway.config.ConfigLoader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The tier classifier end to end on the sandbox: centroids trained (as {@code tollgate route train} does) on embeddings
 * the gateway returns for two sets of questions whose wording does not overlap, then new questions of each set, none
 * of them trained on, must go to their set's tier. The question's embedding call is in the ledger as the caller's.
 */
class ClassifierTest {

    /** Short shop questions (the small tier) and engineering/legal work (the flagship): different words, by design. */
    static final List<String> COUNTRIES = List.of("Canada", "Mexico", "France", "Japan", "Brazil", "Norway", "Kenya", "Chile");
    static final List<String> SUBJECTS = List.of("payment retry", "session cache", "billing ledger", "search indexer",
            "upload pipeline", "audit trail", "rate limiter", "token refresh");

    static String simple(int i) {
        String country = COUNTRIES.get(i % COUNTRIES.size());
        return switch (i % 3) {
            case 0 -> "Do you ship to " + country + "?";
            case 1 -> "How long does delivery to " + country + " take?";
            default -> "What are your opening hours in " + country + "?";
        };
    }

    static String complex(int i) {
        String subject = SUBJECTS.get(i % SUBJECTS.size());
        return switch (i % 3) {
            case 0 -> "Refactor the concurrent " + subject + " module to remove the deadlock between its worker threads and explain the invariants.";
            case 1 -> "Draft an indemnification clause limiting liability for the " + subject + " subcontractor, citing precedent.";
            default -> "Analyse the asymptotic complexity of the " + subject + " algorithm and propose a lock-free implementation.";
        };
    }

    @TempDir
    static Path data;
    static SandboxGateway bed;
    static GatewayServices services;
    static Gateway gateway;
    static final HttpClient http = HttpClient.newHttpClient();

    static final String MODELS = """
            admin: {token: admin}
            providers:
              sandbox: {type: openai, base_url: "%s/v1"}
            models:
              - {name: gpt-4.1-nano, provider: sandbox}
              - {name: gpt-4o, provider: sandbox}
              - {name: text-embedding-3-small, provider: sandbox}
            """;

    @BeforeAll
    static void start() throws Exception {
        // train on embeddings the gateway answers, as route train gets them
        Map<String, List<float[]>> examples = new LinkedHashMap<>();
        try (SandboxGateway trainer = new SandboxGateway(Files.createDirectories(data.resolve("training")), MODELS::formatted)) {
            for (int i = 0; i < 12; i++) {
                examples.computeIfAbsent("small", t -> new ArrayList<>()).add(embed(trainer.gateway, simple(i)));
                examples.computeIfAbsent("flagship", t -> new ArrayList<>()).add(embed(trainer.gateway, complex(i)));
            }
        }
        Path file = data.resolve("classifier.json");
        CentroidClassifier.train("text-embedding-3-small", examples).write(file);

        bed = new SandboxGateway(data, s -> MODELS.formatted(s) + """
                        tiers:
                          - name: support
                            ladder: [{name: small, model: gpt-4.1-nano}, {name: flagship, model: gpt-4o}]
                            rules: [{tier: flagship, tools: true}]
                            classifier: {file: "%1$s"}
                          - name: unsure
                            ladder: [{name: small, model: gpt-4.1-nano}, {name: flagship, model: gpt-4o}]
                            default: flagship
                            classifier: {file: "%1$s", min_confidence: 2}
                        """.formatted(file.toString().replace("\\", "/")));
        services = bed.services;
        gateway = bed.gateway;
    }

    @AfterAll
    static void stop() {
        bed.close();
    }

    static float[] embed(Gateway g, String text) throws Exception {
        String body = Json.object().put("model", "text-embedding-3-small").put("input", text).toString();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(g.baseUrl() + "/v1/embeddings"))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode v = Json.tree(r.body()).path("data").path(0).path("embedding");
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) v.get(i).asDouble();
        return out;
    }

    static HttpResponse<String> ask(String model, String question, String extra) throws Exception {
        String body = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":" + Json.MAPPER.writeValueAsString(question) + "}]" + extra + "}";
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/v1/chat/completions"))
                .header("content-type", "application/json").header("x-tollgate-tags", "team=support")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r;
    }

    static List<JsonNode> ledgerRows() throws Exception {
        services.ledger().flush();
        JsonNode all = bed.admin("/admin/requests?limit=1000");
        List<JsonNode> out = new ArrayList<>();
        all.path("requests").forEach(out::add);
        return out;
    }

    @Test
    void unseenQuestionsGoToTheTierOfTheirKind() throws Exception {
        // indexes 12.. were never trained on; their slot values recombine with other templates
        for (int i = 12; i < 20; i++) {
            assertThat(ask("support", simple(i), "").headers().firstValue("x-tollgate-tier")).as(simple(i)).hasValue("small");
            assertThat(ask("support", complex(i), "").headers().firstValue("x-tollgate-tier")).as(complex(i)).hasValue("flagship");
        }
    }

    @Test
    void aRuleThatMatchesDecidesWithoutAskingTheClassifier() throws Exception {
        int embeddingsBefore = embeddingRows().size();
        String tools = ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"parameters\":{\"type\":\"object\"}}}]";
        HttpResponse<String> r = ask("support", simple(3) + " (rule)", tools);
        assertThat(r.headers().firstValue("x-tollgate-tier")).hasValue("flagship");
        assertThat(embeddingRows()).hasSize(embeddingsBefore);
    }

    @Test
    void belowMinConfidenceTheDefaultTierServes() throws Exception {
        // a margin is at most 2 and two centroids never tie exactly at 2, so min_confidence 2 always defers
        assertThat(ask("unsure", simple(21), "").headers().firstValue("x-tollgate-tier")).hasValue("flagship");
    }

    @Test
    void theClassifiersEmbeddingIsMeteredAsTheCallersRequest() throws Exception {
        int before = embeddingRows().size();
        HttpResponse<String> r = ask("support", "Do you ship to Portugal?", "");
        String id = r.headers().firstValue("x-tollgate-request-id").orElseThrow();
        JsonNode chat = ledgerRows().stream().filter(x -> x.path("request_id").asText().equals(id)).findFirst().orElseThrow();
        List<JsonNode> embeddings = embeddingRows();
        assertThat(embeddings).hasSize(before + 1);
        JsonNode embedding = embeddings.getLast();
        assertThat(embedding.path("requested_model").asText()).isEqualTo("text-embedding-3-small");
        assertThat(embedding.path("key").asText()).isEqualTo(chat.path("key").asText());
        assertThat(embedding.path("tags").path("team").asText()).isEqualTo("support");
        assertThat(embedding.path("input_tokens").asLong()).isPositive();
        assertThat(embedding.path("cost_usd").decimalValue()).isPositive();
        assertThat(chat.path("tags").path("tier").asText()).isEqualTo("small");
    }

    static List<JsonNode> embeddingRows() throws Exception {
        return ledgerRows().stream().filter(x -> x.path("api").asText().equals("openai.embeddings"))
                .sorted(java.util.Comparator.comparing(x -> x.path("time").asText())).toList();
    }

    @Test
    void aClassifierWhoseLabelsAreNotTiersIsAConfigMistake() throws Exception {
        Path file = data.resolve("other.json");
        new CentroidClassifier("text-embedding-3-small", List.of("small", "huge"), new float[][] {{1, 0}, {0, 1}}).write(file);
        String yaml = """
                providers: {sandbox: {type: openai, base_url: "http://127.0.0.1:1/v1"}}
                models: [{name: gpt-4o, provider: sandbox}]
                tiers:
                  - {name: t, ladder: [{name: small, model: gpt-4o}], classifier: {file: "%s"}}
                """.formatted(file.toString().replace("\\", "/"));
        assertThatThrownBy(() -> new ConfigLoader(Map.<String, String>of()::get).parse(yaml))
                .hasMessageContaining("tiers.t.classifier.file").hasMessageContaining("'huge'");
    }
}
