package dev.tollgate.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.auth.KeyStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Virtual keys: make a new one or hash one for {@code key_sha256} in the config (offline), or add, list and revoke the
 * keys of a running gateway through its admin API.
 */
@Command(name = "keys", mixinStandardHelpOptions = true,
        description = "Create or hash virtual keys for the config; add, list and revoke a running gateway's keys (admin API).",
        subcommands = {KeysCommand.Create.class, KeysCommand.Hash.class, KeysCommand.Add.class, KeysCommand.ListKeys.class,
                KeysCommand.Revoke.class})
final class KeysCommand {

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Print a new random key and its SHA-256.")
    static final class Create implements Callable<Integer> {
        @Override
        public Integer call() {
            byte[] random = new byte[24];
            new SecureRandom().nextBytes(random);
            String key = "tg-" + HexFormat.of().formatHex(random);
            System.out.println("key:        " + key);
            System.out.println("key_sha256: " + KeyStore.hash(key));
            return 0;
        }
    }

    @Command(name = "hash", mixinStandardHelpOptions = true, description = "Print the SHA-256 of a key, for key_sha256 in the config.")
    static final class Hash implements Callable<Integer> {
        @Parameters(paramLabel = "KEY", description = "The virtual key to hash.")
        String key;

        @Override
        public Integer call() {
            System.out.println(KeyStore.hash(key));
            return 0;
        }
    }

    /** Where the gateway is and how to authenticate. */
    static final class Gateway {
        @Mixin
        GatewayOptions options = new GatewayOptions();
        @Option(names = "--data", paramLabel = "DIR", defaultValue = "data",
                description = "The data directory of the gateway to ask (default: ${DEFAULT-VALUE}).")
        Path dataDir;

        /** Calls the admin API; prints the error and returns null when it fails. */
        JsonNode call(String method, String path, JsonNode body) {
            try {
                return options.link(dataDir).call(method, path, body);
            } catch (IllegalStateException | IllegalArgumentException e) {
                System.err.println("keys: " + e.getMessage());
                return null;
            }
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Create a key on a running gateway (every replica, with a shared ledger) and print its secret: the only time it is shown.")
    static final class Add implements Callable<Integer> {
        @Mixin Gateway gateway;
        @Parameters(paramLabel = "NAME", description = "How the key appears in the ledger and reports.") String name;
        @Option(names = "--tag", paramLabel = "NAME=VALUE", description = "An attribution tag of the key's requests (repeatable).")
        List<String> tags = new ArrayList<>();

        @Override
        public Integer call() {
            ObjectNode body = Json.object().put("name", name);
            ObjectNode t = body.putObject("tags");
            for (String tag : tags) {
                int eq = tag.indexOf('=');
                if (eq <= 0) throw new UserError("--tag " + tag + ": write NAME=VALUE");
                t.put(tag.substring(0, eq), tag.substring(eq + 1));
            }
            JsonNode key = gateway.call("POST", "/admin/keys", body);
            if (key == null) return 1;
            System.out.println("key:  " + key.path("key").asText());
            System.out.println("name: " + key.path("name").asText() + "  (the secret is not stored: keep it now)");
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "The keys in force on a running gateway, never their secrets.")
    static final class ListKeys implements Callable<Integer> {
        @Mixin Gateway gateway;

        @Override
        public Integer call() {
            JsonNode body = gateway.call("GET", "/admin/keys", null);
            if (body == null) return 1;
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"NAME", "SOURCE", "CREATED", "TAGS"});
            for (JsonNode k : body.path("keys")) {
                List<String> tags = new ArrayList<>();
                k.path("tags").fields().forEachRemaining(e -> tags.add(e.getKey() + "=" + e.getValue().asText()));
                rows.add(new String[] {k.path("name").asText(), k.path("source").asText(),
                        k.path("created_at").isNull() ? "-" : k.path("created_at").asText(), String.join(",", tags)});
            }
            int[] widths = new int[4];
            for (String[] r : rows) for (int i = 0; i < r.length; i++) widths[i] = Math.max(widths[i], r[i].length());
            for (String[] r : rows) {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < r.length; i++) line.append(i == 0 ? "" : "  ").append(String.format("%-" + widths[i] + "s", r[i]));
                System.out.println(line.toString().stripTrailing());
            }
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a key on a running gateway, one from the config too.")
    static final class Revoke implements Callable<Integer> {
        @Mixin Gateway gateway;
        @Parameters(paramLabel = "NAME", description = "The key to revoke.") String name;

        @Override
        public Integer call() {
            if (gateway.call("DELETE", "/admin/keys/" + BudgetsCommand.encode(name), null) == null) return 1;
            System.out.println("revoked key '" + name + "'");
            return 0;
        }
    }
}
