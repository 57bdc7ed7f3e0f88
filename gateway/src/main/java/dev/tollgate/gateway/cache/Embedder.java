package dev.tollgate.gateway.cache;

import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.Json;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

/**
 * Embeds a question with the configured embeddings model by calling this gateway's own {@code /v1/embeddings} with
 * the caller's credentials and tags, so the call is authenticated, metered, priced and attributed like any other
 * (and cached exactly: the same question is embedded once). One per event loop.
 */
public final class Embedder {

    private static final String[] PASSED_ON = {"authorization", "x-api-key", "api-key", "x-tollgate-tags"};

    private final HttpClient client;
    private final int port;
    private final String model;

    public Embedder(Vertx vertx, int port, String model) {
        this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true));
        this.port = port;
        this.model = model;
    }

    /** The embeddings model it calls. */
    public String model() {
        return model;
    }

    /** Embeds {@code text} through the gateway, as the exchange's caller (its key and tags). */
    public Future<float[]> embed(Exchange exchange, String text) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().set("content-type", "application/json");
        for (String name : PASSED_ON) {
            String value = exchange.requestHeaders().get(name);
            if (value != null) headers.set(name, value);
        }
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
                .setURI("/v1/embeddings").setHeaders(headers);
        String body = Json.object().put("model", model).put("input", text).toString();
        return client.request(options)
                .compose(request -> request.send(body))
                .compose(response -> response.body().map(payload -> {
                    if (response.statusCode() != 200) {
                        throw new IllegalStateException("embeddings model '" + model + "' answered " + response.statusCode()
                                + ": " + payload);
                    }
                    var vector = Json.tree(payload.toString()).path("data").path(0).path("embedding");
                    if (!vector.isArray() || vector.isEmpty()) throw new IllegalStateException("no embedding in the answer");
                    float[] out = new float[vector.size()];
                    for (int i = 0; i < out.length; i++) out[i] = (float) vector.get(i).asDouble();
                    return out;
                }));
    }
}
