package dev.tollgate.gateway;

/** The two wire formats clients and providers speak. Errors are always answered in the client's format. */
public enum WireFormat {
    OPENAI,
    ANTHROPIC
}
