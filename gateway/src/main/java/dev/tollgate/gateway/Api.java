package dev.tollgate.gateway;

/** The routes a client can call, each with the name the ledger records and the wire format it speaks. */
public enum Api {
    OPENAI_CHAT("openai.chat", WireFormat.OPENAI, "/chat/completions"),
    OPENAI_COMPLETIONS("openai.completions", WireFormat.OPENAI, "/completions"),
    OPENAI_EMBEDDINGS("openai.embeddings", WireFormat.OPENAI, "/embeddings"),
    OPENAI_RESPONSES("openai.responses", WireFormat.OPENAI, "/responses"),
    ANTHROPIC_MESSAGES("anthropic.messages", WireFormat.ANTHROPIC, "/messages"),
    ANTHROPIC_COUNT_TOKENS("anthropic.count_tokens", WireFormat.ANTHROPIC, "/messages/count_tokens");

    private final String ledgerName;
    private final WireFormat format;
    private final String path;

    Api(String ledgerName, WireFormat format, String path) {
        this.ledgerName = ledgerName;
        this.format = format;
        this.path = path;
    }

    public String ledgerName() {
        return ledgerName;
    }

    public WireFormat format() {
        return format;
    }

    /** The path under a provider's versioned base URL ("/v1"). */
    public String path() {
        return path;
    }
}
