package dev.tollgate.gateway.translate;

import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.ReplySink;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The part every stream relay shares: it remembers what was generated (cheaply, as the raw event data, parsed only
 * if needed) and, when a stream ends without the provider's usage, counts the tokens locally and reports them as
 * estimated before ending or failing the reply.
 */
final class StreamAccounting {

    private final Exchange exchange;
    private final AnthropicStreamUsage reportedSoFar;
    private final List<String> eventData = new ArrayList<>();
    private boolean finished;

    StreamAccounting(Exchange exchange) {
        this(exchange, null);
    }

    /** {@code reportedSoFar}: an Anthropic stream's usage as reported so far, which a broken-off stream is billed by. */
    StreamAccounting(Exchange exchange, AnthropicStreamUsage reportedSoFar) {
        this.exchange = exchange;
        this.reportedSoFar = reportedSoFar;
    }

    void remember(String data) {
        eventData.add(data);
    }

    /**
     * Ends the reply once. {@code usageReported}: the provider's usage already went to the sink. {@code completed}:
     * the provider signalled a proper end of the answer.
     */
    void finish(ReplySink sink, Throwable cause, boolean usageReported, boolean completed,
                BiConsumer<String, StringBuilder> textOf) {
        if (finished) return;
        finished = true;
        if (!usageReported) sink.usage(estimateWithReported(textOf), exchange.route().model(), true);
        if (cause == null && completed) {
            sink.end();
        } else {
            String why = cause == null ? "the provider closed the stream before it was complete"
                    : "the provider's stream broke off: " + describe(cause);
            sink.fail(GatewayError.upstream(502, why));
        }
    }

    /** {@link #estimate}, with what an Anthropic stream reported of its usage so far in place of the local count. */
    Usage estimateWithReported(BiConsumer<String, StringBuilder> textOf) {
        Usage estimate = estimate(textOf);
        return reportedSoFar == null ? estimate : reportedSoFar.withEstimatedOutput(estimate);
    }

    /** The prompt and what the stream generated so far, counted locally. */
    Usage estimate(BiConsumer<String, StringBuilder> textOf) {
        StringBuilder generated = new StringBuilder();
        for (String data : eventData) textOf.accept(data, generated);
        return PromptTokens.estimate(exchange, generated);
    }

    static String describe(Throwable cause) {
        String message = cause.getMessage();
        return message == null ? cause.getClass().getSimpleName() : message;
    }

    /** Appends each text value the consumer is given, for use with {@link #finish}. */
    static Consumer<String> into(StringBuilder out) {
        return out::append;
    }
}
