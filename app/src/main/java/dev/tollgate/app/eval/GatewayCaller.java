package dev.tollgate.app.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.Json;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Asks the gateway's Chat Completions route, as any client does, under the eval's own tags and {@link #MARK}, and past
 * the response cache ({@code cache-control: no-cache}): every answer is a fresh, metered call.
 */
final class GatewayCaller {

    /** One answer: its text, its cost (the gateway's {@code x-tollgate-cost-usd}), its latency; or why there is none, in words and as the gateway said it. */
    record Answer(String text, BigDecimal costUsd, double latencyMs, String error, Failure failure) {
        boolean failed() {
            return error != null;
        }
    }

    /**
     * The tag every call of the eval carries besides its {@code --tags}. A key's own tags win over a request's, so a key
     * tagged {@code feature=…} meters the calls under its feature; this name is tollgate's own, which keys do not set,
     * so it marks the eval's calls whatever the key's tags.
     */
    static final String MARK = "tollgate=eval";

    /**
     * The tag sets that mark the eval's own calls ({@code name=value,…}, a call carrying all of any one): {@code --tags}
     * (all a call of a run before {@link #MARK} carries) and the mark.
     */
    static List<String> ownCalls(String tags) {
        return tags == null || tags.isBlank() ? List.of(MARK) : List.of(tags.strip(), MARK);
    }

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final URI endpoint;
    private final String key;
    private final String tags;

    GatewayCaller(String url, String key, String tags) {
        this.endpoint = URI.create(url.replaceAll("/+$", "") + "/v1/chat/completions");
        this.key = key;
        this.tags = tags;
    }

    /**
     * The model names the gateway serves to this key ({@code GET /v1/models}), each with the upstream models it sends
     * to (its {@code tollgate.upstream_model}; a route, its deployments' models; a tiered name, its tiers' upstream
     * models; else the name itself), or null when it cannot tell (not a 200): the calls themselves then say what is
     * wrong. A gateway that cannot be reached at all is an IOException, said once rather than as every task's error.
     */
    Map<String, List<String>> models() throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(endpoint.resolve("/v1/models")).timeout(Duration.ofSeconds(30)).GET();
        if (key != null && !key.isBlank()) request.header("authorization", "Bearer " + key);
        try {
            HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) return null;
            return upstreams(Json.tree(response.body()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** {@link #models()} from the body of {@code GET /v1/models}. */
    static Map<String, List<String>> upstreams(JsonNode list) {
        Map<String, List<String>> upstream = new LinkedHashMap<>();
        for (JsonNode model : list.path("data")) {
            String upstreamModel = model.path("tollgate").path("upstream_model").asText("");
            List<String> all = new ArrayList<>();
            // a route: every deployment's, a fallback of another family included
            for (JsonNode deployment : model.path("tollgate").path("deployments")) all.add(deployment.path("model").asText());
            if (all.isEmpty()) all.add(upstreamModel.isEmpty() ? model.path("id").asText() : upstreamModel);
            upstream.put(model.path("id").asText(), all.stream().distinct().toList());
        }
        // a tiered name is listed after the models its tiers name
        for (JsonNode model : list.path("data")) {
            JsonNode tiers = model.path("tollgate").path("tiers");
            if (!tiers.isArray() || tiers.isEmpty()) continue;
            List<String> all = new ArrayList<>();
            for (JsonNode tier : tiers) {
                String name = tier.path("model").asText();
                all.addAll(upstream.getOrDefault(name, List.of(name)));
            }
            upstream.put(model.path("id").asText(), all.stream().distinct().toList());
        }
        return upstream;
    }

    Answer ask(String model, ArrayNode messages, JsonNode responseFormat) {
        ObjectNode body = Json.object().put("model", model);
        body.set("messages", messages);
        if (responseFormat != null) body.set("response_format", responseFormat);
        HttpRequest.Builder request = HttpRequest.newBuilder(endpoint).timeout(Duration.ofMinutes(5))
                .header("content-type", "application/json").header("cache-control", "no-cache")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        if (key != null && !key.isBlank()) request.header("authorization", "Bearer " + key);
        request.header("x-tollgate-tags", tags == null || tags.isBlank() ? MARK : tags + "," + MARK);
        long start = System.nanoTime();
        HttpResponse<String> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return new Answer(null, null, 0, "no answer from " + endpoint + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), Failure.NO_ANSWER);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(null, null, 0, "interrupted", Failure.NO_ANSWER);
        }
        double latencyMs = (System.nanoTime() - start) / 1e6;
        JsonNode json = Json.tree(response.body());
        if (response.statusCode() != 200) {
            JsonNode error = json.path("error");
            String code = error.path("code").isTextual() ? error.path("code").asText() : error.path("type").asText(null);
            boolean budget = Failure.BUDGET_EXCEEDED.equals(code);
            return new Answer(null, null, latencyMs, "HTTP " + response.statusCode() + ": " + error.path("message").asText(response.body()),
                    new Failure(response.statusCode(), code, budget ? response.headers().firstValue("x-tollgate-budget").orElse(null) : null,
                            budget ? response.headers().firstValue("x-tollgate-budget-reset").orElse(null) : null));
        }
        BigDecimal cost = response.headers().firstValue("x-tollgate-cost-usd").map(BigDecimal::new).orElse(BigDecimal.ZERO);
        String text = json.path("choices").path(0).path("message").path("content").asText("");
        return new Answer(text, cost, latencyMs, null, null);
    }
}
