package dev.tollgate.gateway.auth;

import java.util.Map;

/** Who is calling: the virtual key's name and the attribution tags it carries. */
public record Principal(String keyName, Map<String, String> tags) {

    /** The caller when the gateway runs without virtual keys. */
    public static final Principal ANONYMOUS = new Principal("anonymous", Map.of());

    public Principal {
        tags = Map.copyOf(tags);
    }
}
