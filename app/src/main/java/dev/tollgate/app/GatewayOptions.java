package dev.tollgate.app;

import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.function.Function;

/**
 * How every command that talks to a gateway finds it: one flag, one default, one help text. {@code --url}, else
 * {@code $TOLLGATE_URL}, else the URL {@code serve} noted in {@code DATA/gateway.json}, else
 * {@value GatewayLink#DEFAULT_URL}; {@code --admin-token}, else {@code $TOLLGATE_ADMIN_TOKEN}, else the token in
 * {@code DATA/gateway.json}.
 */
public class GatewayOptions {

    public static final String URL_ENV = "TOLLGATE_URL";
    public static final String TOKEN_ENV = "TOLLGATE_ADMIN_TOKEN";

    @Option(names = "--url", paramLabel = "URL", description = "The gateway to ask (default: $" + URL_ENV
            + ", else the URL serve noted in DATA/gateway.json, else " + GatewayLink.DEFAULT_URL + ").")
    String url;

    @Option(names = "--admin-token", paramLabel = "TOKEN",
            description = "The gateway's admin token (default: $" + TOKEN_ENV + ", else the token serve noted in DATA/gateway.json).")
    String adminToken;

    /** Where the environment variables are read (tests replace it). */
    public Function<String, String> env = name -> Main.environment.apply(name);

    /** {@code --url}, else {@code $TOLLGATE_URL}; null when neither is given. */
    public String url() {
        return given(url, URL_ENV);
    }

    /** {@code --admin-token}, else {@code $TOLLGATE_ADMIN_TOKEN}; null when neither is given. */
    public String adminToken() {
        return given(adminToken, TOKEN_ENV);
    }

    /** The gateway to ask: what the options and environment give, completed from {@code DATA/gateway.json}. */
    public GatewayLink link(Path dataDir) {
        return GatewayLink.find(dataDir, url(), adminToken());
    }

    private String given(String option, String variable) {
        if (option != null && !option.isBlank()) return option;
        String value = env.apply(variable);
        return value == null || value.isBlank() ? null : value;
    }

    /** The same for {@code plan}, which also takes the URL as {@code --gateway}, as it once did (hidden, deprecated). */
    public static final class WithGatewayAlias extends GatewayOptions {
        @Option(names = "--gateway", paramLabel = "URL", hidden = true, description = "Deprecated: use --url.")
        void gateway(String url) {
            this.url = url;
        }
    }
}
