package dev.tollgate.gateway;

import io.netty.util.AsciiString;

/** The two wire formats clients and providers speak. Errors are always answered in the client's format. */
public enum WireFormat {
    OPENAI("x-request-id"),
    ANTHROPIC("request-id");

    private final AsciiString requestIdHeader;

    WireFormat(String requestIdHeader) {
        this.requestIdHeader = AsciiString.cached(requestIdHeader);
    }

    /** The header this format's SDKs report a request id from (an exception's, a raw response's). */
    public AsciiString requestIdHeader() {
        return requestIdHeader;
    }

    public WireFormat other() {
        return this == OPENAI ? ANTHROPIC : OPENAI;
    }
}
