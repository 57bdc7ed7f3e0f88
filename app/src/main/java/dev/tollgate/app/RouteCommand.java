package dev.tollgate.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.cache.Question;
import dev.tollgate.gateway.tier.CentroidClassifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;

/** {@code tollgate route}: tools for routing; {@code route train} fits the classifier a tiered model can pick its tier with. */
@Command(name = "route", mixinStandardHelpOptions = true, description = "Routing tools.",
        subcommands = {RouteCommand.Train.class})
public final class RouteCommand {

    /**
     * {@code tollgate route train}: embeds a labelled set through the gateway (metered like any call) and fits a
     * nearest-centroid classifier on part of it, printing its accuracy on the part held out.
     */
    @Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Train the tier classifier: embed a labelled JSONL through the gateway and fit a nearest-centroid "
                    + "classifier on it (the tiers' centroids); prints the accuracy on a held-out share and writes the classifier file."})
    public static final class Train implements Callable<Integer> {

        @Option(names = "--data", required = true, paramLabel = "FILE",
                description = "Labelled examples, JSONL: {\"text\": \"...\"} or {\"messages\": [...]}, and {\"tier\": NAME} a line (required).")
        Path data;

        @Option(names = "--embeddings-model", required = true, paramLabel = "MODEL",
                description = "The gateway's embeddings model; the gateway embeds requests with it too (required).")
        String embeddingsModel;

        @Option(names = "--out", defaultValue = "classifier.json", paramLabel = "FILE", description = "Where to write the classifier (default: ${DEFAULT-VALUE}).")
        Path out;

        @Option(names = "--holdout", defaultValue = "0.2", paramLabel = "SHARE",
                description = "Share of each tier's examples held out to measure accuracy, 0 to below 1 (default: ${DEFAULT-VALUE}).")
        double holdout;

        @Option(names = "--seed", defaultValue = "1", description = "Seeds the held-out draw (default: ${DEFAULT-VALUE}).")
        long seed;

        @Mixin
        GatewayOptions gateway = new GatewayOptions();

        @Option(names = "--key", defaultValue = "${TOLLGATE_API_KEY}", description = "A virtual key of the gateway (default: $TOLLGATE_API_KEY).")
        String key;

        @Option(names = "--tags", defaultValue = "feature=route-train", description = "x-tollgate-tags the embedding calls are metered under (default: ${DEFAULT-VALUE}).")
        String tags;

        @Option(names = "--batch", defaultValue = "64", description = "Texts per embeddings call (default: ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "data", hidden = true,
                description = "Data directory where serve notes its URL (default: ${DEFAULT-VALUE}).")
        Path dataDir;

        @Spec
        CommandSpec spec;

        /** One labelled example. */
        record Example(String text, String tier) {
        }

        @Override
        public Integer call() throws IOException {
            if (!(holdout >= 0 && holdout < 1)) throw new UserError("--holdout must be from 0 to below 1, not " + holdout);
            if (batch < 1) throw new UserError("--batch must be at least 1");
            PrintWriter stdout = spec.commandLine().getOut();
            List<Example> examples = read(data);
            Map<String, List<Integer>> byTier = new LinkedHashMap<>();
            for (int i = 0; i < examples.size(); i++) byTier.computeIfAbsent(examples.get(i).tier(), t -> new ArrayList<>()).add(i);
            if (byTier.size() < 2) throw new UserError(data + ": the examples name " + byTier.size() + " tier; a classifier needs at least two");

            Embeddings embeddings = new Embeddings(gateway.link(dataDir).url(), key, tags, embeddingsModel);
            List<float[]> vectors = new ArrayList<>(examples.size());
            for (int from = 0; from < examples.size(); from += batch) {
                List<String> texts = examples.subList(from, Math.min(examples.size(), from + batch)).stream().map(Example::text).toList();
                vectors.addAll(embeddings.embed(texts));
            }

            // a stratified draw: the same share of every tier is held out, at least one example of it kept for training
            Random random = new Random(seed);
            List<Integer> train = new ArrayList<>();
            List<Integer> test = new ArrayList<>();
            for (List<Integer> indexes : byTier.values()) {
                List<Integer> shuffled = new ArrayList<>(indexes);
                Collections.shuffle(shuffled, random);
                int held = Math.min(shuffled.size() - 1, (int) Math.round(shuffled.size() * holdout));
                test.addAll(shuffled.subList(0, held));
                train.addAll(shuffled.subList(held, shuffled.size()));
            }
            Collections.sort(train);
            CentroidClassifier classifier = CentroidClassifier.train(embeddingsModel,
                    CentroidClassifier.byLabel(train.stream().map(i -> examples.get(i).tier()).toList(), train.stream().map(vectors::get).toList()));

            stdout.printf("%d examples of %d tiers (%s), embedded with %s (%d dimensions) for $%s%n", examples.size(), byTier.size(),
                    String.join(", ", byTier.entrySet().stream().map(e -> e.getKey() + " " + e.getValue().size()).toList()),
                    embeddingsModel, classifier.dimensions(), embeddings.cost().stripTrailingZeros().toPlainString());
            if (test.isEmpty()) {
                stdout.println("held-out accuracy: none held out (--holdout 0)");
            } else {
                int right = 0;
                for (int i : test) {
                    String picked = classifier.labels().get(classifier.classify(vectors.get(i)).label());
                    if (picked.equals(examples.get(i).tier())) right++;
                }
                stdout.printf("held-out accuracy: %.1f%% (%d of %d right; trained on the other %d)%n",
                        100.0 * right / test.size(), right, test.size(), train.size());
            }
            classifier.write(out);
            stdout.println("classifier written to " + out + " (use it as tiers[].classifier.file)");
            stdout.flush();
            return 0;
        }

        static List<Example> read(Path file) {
            List<String> lines;
            try {
                lines = Files.readAllLines(file);
            } catch (IOException e) {
                throw new UserError("cannot read " + file + ": " + e.getMessage());
            }
            List<Example> out = new ArrayList<>();
            for (int n = 0; n < lines.size(); n++) {
                String line = lines.get(n).strip();
                if (line.isEmpty()) continue;
                String at = file + " line " + (n + 1);
                JsonNode node = Json.parseOrNull(line);
                if (node == null || !node.isObject()) throw new UserError(at + " is not a JSON object");
                String tier = node.path("tier").asText(node.path("label").asText(""));
                if (tier.isBlank()) throw new UserError(at + " has no \"tier\" (the label: a tier name of the ladder)");
                String text = node.path("text").isTextual() ? node.get("text").asText()
                        : node.path("messages").isArray() ? Question.textOf(Api.OPENAI_CHAT, (ObjectNode) node) : null;
                if (text == null || text.isBlank()) {
                    throw new UserError(at + " needs \"text\", or \"messages\" ending with the user's plain text (what the gateway embeds)");
                }
                out.add(new Example(text, tier));
            }
            if (out.isEmpty()) throw new UserError(file + " has no examples");
            return out;
        }
    }

    /** Calls the gateway's {@code /v1/embeddings} as a client, so every call is metered; adds up what they cost. */
    static final class Embeddings {
        private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        private final URI endpoint;
        private final String key;
        private final String tags;
        private final String model;
        private BigDecimal cost = BigDecimal.ZERO;

        Embeddings(String url, String key, String tags, String model) {
            this.endpoint = URI.create(url.replaceAll("/+$", "") + "/v1/embeddings");
            this.key = key;
            this.tags = tags;
            this.model = model;
        }

        List<float[]> embed(List<String> texts) {
            ObjectNode body = Json.object().put("model", model);
            ArrayNode input = body.putArray("input");
            texts.forEach(input::add);
            HttpRequest.Builder request = HttpRequest.newBuilder(endpoint).timeout(Duration.ofMinutes(2))
                    .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString()));
            if (key != null && !key.isBlank()) request.header("authorization", "Bearer " + key);
            if (tags != null && !tags.isBlank()) request.header("x-tollgate-tags", tags);
            HttpResponse<String> response;
            try {
                response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                throw new UserError("no answer from " + endpoint + " (is the gateway running? --url): " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UserError("interrupted while embedding");
            }
            JsonNode json = Json.tree(response.body());
            if (response.statusCode() != 200) {
                throw new UserError("the gateway refused to embed with " + model + ": HTTP " + response.statusCode() + ": "
                        + json.path("error").path("message").asText(response.body()));
            }
            response.headers().firstValue("x-tollgate-cost-usd").ifPresent(c -> cost = cost.add(new BigDecimal(c)));
            JsonNode data = json.path("data");
            if (!data.isArray() || data.size() != texts.size()) {
                throw new UserError("the gateway answered " + data.size() + " embeddings for " + texts.size() + " texts");
            }
            float[][] out = new float[texts.size()][];
            for (JsonNode item : data) {
                JsonNode vector = item.path("embedding");
                float[] v = new float[vector.size()];
                for (int k = 0; k < v.length; k++) v[k] = (float) vector.get(k).asDouble();
                out[item.path("index").asInt()] = v;
            }
            return List.of(out);
        }

        BigDecimal cost() {
            return cost;
        }
    }
}
