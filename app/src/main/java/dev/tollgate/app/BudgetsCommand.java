package dev.tollgate.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code tollgate budgets …}: budgets and alerts of a running gateway, through its admin API. */
@Command(name = "budgets", mixinStandardHelpOptions = true,
        description = "List, create, change and delete budgets of a running gateway (admin API), and show fired alerts.",
        subcommands = {BudgetsCommand.ListBudgets.class, BudgetsCommand.Create.class, BudgetsCommand.Set.class,
                BudgetsCommand.Delete.class, BudgetsCommand.Alerts.class})
final class BudgetsCommand {

    /** Where the gateway is and how to authenticate. */
    static final class Gateway {
        @Mixin
        GatewayOptions options = new GatewayOptions();
        @Option(names = "--data", paramLabel = "DIR", defaultValue = "data",
                description = "The data directory of the gateway to ask (default: ${DEFAULT-VALUE}).")
        Path dataDir;

        /** Calls the admin API; prints the error and returns null when it fails. */
        JsonNode call(String method, String path, JsonNode body, PrintStream err) {
            try {
                // what serve left in the data directory fills what the options leave open
                return options.link(dataDir).call(method, path, body);
            } catch (IllegalStateException | IllegalArgumentException e) {
                err.println("budgets: " + e.getMessage());
                return null;
            }
        }
    }

    static String encode(String name) {
        return URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Every budget with what it has spent, holds and has left, and when it resets.")
    static final class ListBudgets implements Callable<Integer> {
        @Mixin Gateway gateway;
        @Option(names = "--json", description = "Print the admin API's JSON.") boolean json;

        @Override
        public Integer call() throws Exception {
            JsonNode body = gateway.call("GET", "/admin/budgets", null, System.err);
            if (body == null) return 1;
            if (json) System.out.println(body.toPrettyString());
            else print(body.path("budgets"), System.out);
            return 0;
        }
    }

    static void print(JsonNode budgets, PrintStream out) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NAME", "SCOPE", "PERIOD", "LIMIT", "SPENT", "RESERVED", "REMAINING", "ACTION", "RESETS"});
        for (JsonNode b : budgets) {
            String action = b.path("action").asText() + (b.hasNonNull("downgrade_to") ? " → " + b.get("downgrade_to").asText() : "");
            rows.add(new String[] {b.path("name").asText(), b.path("scope").asText(), b.path("period").asText(),
                    "$" + b.path("limit_usd").asText(), "$" + b.path("spent_usd").asText(), "$" + b.path("reserved_usd").asText(),
                    "$" + b.path("remaining_usd").asText(), action, b.path("resets_at").isNull() ? "never" : b.path("resets_at").asText()});
        }
        int[] widths = new int[rows.getFirst().length];
        for (String[] r : rows) for (int i = 0; i < r.length; i++) widths[i] = Math.max(widths[i], r[i].length());
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) line.append(i == 0 ? "" : "  ").append(String.format("%-" + widths[i] + "s", r[i]));
            out.println(line.toString().stripTrailing());
        }
        if (rows.size() == 1) out.println("(no budgets: create one with ./tollgate budgets create)");
    }

    static final String SCOPE = "org, key:NAME or TAG:VALUE (team:search, customer:acme, …)";
    static final String LIMIT = "US dollars per period, e.g. 500 or 12.50";

    /** Options shared by create and set; only those given are sent. */
    static final class Fields {
        // --scope and --limit: required by create, optional for set (declared by each)
        String scope;
        String limit;
        @Option(names = "--period", description = "daily, weekly, monthly or lifetime.") String period;
        @Option(names = "--action", description = "block, notify or downgrade.") String action;
        @Option(names = "--downgrade-to", description = "The cheaper model for --action downgrade.") String downgradeTo;
        @Option(names = "--thresholds", split = ",", paramLabel = "PCT", description = "Alert percentages, e.g. 60,80,95,100.") List<Integer> thresholds;
        @Option(names = "--time-zone", description = "Calendar of the periods, e.g. Europe/Berlin.") String timeZone;

        ObjectNode json(String name) {
            ObjectNode n = Json.object();
            if (name != null) n.put("name", name);
            if (scope != null) n.put("scope", scope);
            if (limit != null) n.put("limit_usd", limit);
            if (period != null) n.put("period", period);
            if (action != null) n.put("action", action);
            if (downgradeTo != null) n.put("downgrade_to", downgradeTo);
            if (thresholds != null) thresholds.forEach(n.putArray("thresholds")::add);
            if (timeZone != null) n.put("time_zone", timeZone);
            return n;
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a budget (kept across restarts).")
    static final class Create implements Callable<Integer> {
        @Mixin Gateway gateway;
        @Parameters(paramLabel = "NAME", description = "The budget's name.") String name;
        @Option(names = "--scope", required = true, paramLabel = "SCOPE", description = SCOPE + " (required).") String scope;
        @Option(names = "--limit", required = true, paramLabel = "USD", description = LIMIT + " (required).") String limit;
        @Mixin Fields fields;

        @Override
        public Integer call() throws Exception {
            fields.scope = scope;
            fields.limit = limit;
            JsonNode b = gateway.call("POST", "/admin/budgets", fields.json(name), System.err);
            if (b == null) return 1;
            print(Json.array().add(b), System.out);
            return 0;
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true, description = "Change a budget; options left out keep their values.")
    static final class Set implements Callable<Integer> {
        @Mixin Gateway gateway;
        @Parameters(paramLabel = "NAME", description = "The budget to change.") String name;
        @Option(names = "--scope", paramLabel = "SCOPE", description = SCOPE + ".") String scope;
        @Option(names = "--limit", paramLabel = "USD", description = LIMIT + ".") String limit;
        @Mixin Fields fields;

        @Override
        public Integer call() throws Exception {
            fields.scope = scope;
            fields.limit = limit;
            JsonNode b = gateway.call("PUT", "/admin/budgets/" + encode(name), fields.json(null), System.err);
            if (b == null) return 1;
            print(Json.array().add(b), System.out);
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a budget (a budget from the config stays deleted).")
    static final class Delete implements Callable<Integer> {
        @Mixin Gateway gateway;
        @Parameters(paramLabel = "NAME", description = "The budget to delete.") String name;

        @Override
        public Integer call() throws Exception {
            if (gateway.call("DELETE", "/admin/budgets/" + encode(name), null, System.err) == null) return 1;
            System.out.println("deleted budget '" + name + "'");
            return 0;
        }
    }

    @Command(name = "alerts", mixinStandardHelpOptions = true, description = "The latest alerts that fired, newest first.")
    static final class Alerts implements Callable<Integer> {
        @Mixin Gateway gateway;
        @Option(names = "--limit", defaultValue = "20", description = "How many (default: ${DEFAULT-VALUE}).") int limit;

        @Override
        public Integer call() throws Exception {
            JsonNode body = gateway.call("GET", "/admin/alerts?limit=" + limit, null, System.err);
            if (body == null) return 1;
            for (JsonNode a : body.path("alerts")) {
                System.out.println(a.path("time").asText() + "  " + a.path("kind").asText() + "  " + a.path("message").asText());
            }
            if (body.path("alerts").isEmpty()) System.out.println("(no alerts)");
            return 0;
        }
    }
}
