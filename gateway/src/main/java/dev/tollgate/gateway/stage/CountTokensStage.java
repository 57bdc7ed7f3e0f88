package dev.tollgate.gateway.stage;

import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.WireFormat;
import dev.tollgate.gateway.provider.Upstream;
import dev.tollgate.gateway.translate.CountTokens;
import dev.tollgate.gateway.translate.Translation.UntranslatableException;
import io.vertx.core.MultiMap;

import java.util.Map;

/**
 * The end of the path for {@code /v1/messages/count_tokens}, which providers do not bill and so is not metered:
 * Anthropic providers answer it themselves; for the others the gateway counts locally and says so in
 * {@code x-tollgate-estimated: true}.
 */
public final class CountTokensStage implements Stage.Chain {

    public static final String ESTIMATED_HEADER = "x-tollgate-estimated";

    private final Map<String, Upstream> upstreams;
    private final Stage.Chain provider;

    public CountTokensStage(Map<String, Upstream> upstreams, Stage.Chain provider) {
        this.upstreams = upstreams;
        this.provider = provider;
    }

    @Override
    public void proceed(Exchange exchange, ReplySink sink) {
        if (upstreams.get(exchange.route().provider().name()).dialect() == WireFormat.ANTHROPIC) {
            exchange.routes(null); // a route's first deployment counts: free, so nothing to fall back for
            provider.proceed(exchange, sink);
            return;
        }
        long tokens;
        try {
            tokens = CountTokens.overOpenAi(exchange.body(), exchange.route().model());
        } catch (UntranslatableException e) {
            sink.fail(GatewayError.badRequest(e.getMessage(), e.param()));
            return;
        }
        sink.start(200, MultiMap.caseInsensitiveMultiMap().add("content-type", "application/json").add(ESTIMATED_HEADER, "true"));
        sink.data(Json.buffer(Json.object().put("input_tokens", tokens)));
        sink.end();
    }
}
