package dev.tollgate.app;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tollgate.core.pricing.LiteLlmImport;
import dev.tollgate.core.pricing.ModelPrice;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.core.pricing.PriceTier;
import dev.tollgate.core.pricing.Rates;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code tollgate prices list|show|import}: the price catalog. */
@Command(name = "prices", mixinStandardHelpOptions = true, description = "List, show and import model prices.",
        subcommands = {PricesCommand.ListPrices.class, PricesCommand.Show.class, PricesCommand.Import.class})
public final class PricesCommand {

    /** The bundled catalog plus what was imported into the data directory. */
    public static PriceCatalog catalog(Path dataDir) throws Exception {
        PriceCatalog catalog = PriceCatalog.bundled();
        Path imported = importedFile(dataDir);
        if (Files.exists(imported)) {
            try (InputStream in = Files.newInputStream(imported)) {
                PriceCatalog extra = PriceCatalog.fromYaml(in);
                List<ModelPrice> prices = extra.models().stream().flatMap(m -> extra.history(m).stream()).toList();
                catalog = catalog.with(prices);
            }
        }
        return catalog;
    }

    static Path importedFile(Path dataDir) {
        return dataDir.resolve("prices-imported.yaml");
    }

    static String perMillion(BigDecimal rate) {
        return "$" + rate.stripTrailingZeros().toPlainString();
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Every priced model with its current rates (USD per million tokens).")
    static final class ListPrices implements Callable<Integer> {
        @Option(names = "--data", defaultValue = "data", description = "Data directory (default: ${DEFAULT-VALUE}).")
        Path dataDir;
        @Option(names = "--provider", description = "Only this provider's models.")
        String provider;

        @Override
        public Integer call() throws Exception {
            PriceCatalog catalog = catalog(dataDir);
            System.out.printf("%-40s %-12s %-10s %12s %12s %12s%n", "MODEL", "PROVIDER", "MODE", "INPUT", "CACHED", "OUTPUT");
            int shown = 0;
            for (String model : catalog.models()) {
                Optional<ModelPrice> price = catalog.current(model);
                if (price.isEmpty() || (provider != null && !provider.equalsIgnoreCase(price.get().provider()))) continue;
                Rates r = price.get().rates();
                System.out.printf("%-40s %-12s %-10s %12s %12s %12s%n", model, price.get().provider(), price.get().mode(),
                        perMillion(r.input()), perMillion(r.cachedInput()), perMillion(r.output()));
                shown++;
            }
            System.out.println(shown + " models; rates in USD per million tokens");
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "One model's price history, tiers and discounts.")
    static final class Show implements Callable<Integer> {
        @Parameters(paramLabel = "MODEL", description = "The model, as the price catalog names it (e.g. gpt-4o-mini).")
        String model;
        @Option(names = "--data", defaultValue = "data", description = "Data directory (default: ${DEFAULT-VALUE}).")
        Path dataDir;

        @Override
        public Integer call() throws Exception {
            PriceCatalog catalog = catalog(dataDir);
            List<ModelPrice> history = catalog.history(model);
            if (history.isEmpty()) {
                System.err.println("no price for '" + model + "' (try: tollgate prices list)");
                return 1;
            }
            ModelPrice current = history.get(0);
            System.out.println(current.model() + " (" + current.provider() + ", " + current.mode() + ")");
            for (ModelPrice p : history) {
                Rates r = p.rates();
                System.out.println("  from " + p.effectiveFrom() + ": input " + perMillion(r.input()) + ", cached input "
                        + perMillion(r.cachedInput()) + ", cache write " + perMillion(r.cacheWrite5m()) + " (5m) / "
                        + perMillion(r.cacheWrite1h()) + " (1h), output " + perMillion(r.output()) + " per million tokens");
                for (PriceTier t : p.tiers()) {
                    System.out.println("    above " + t.aboveInputTokens() + " prompt tokens: input " + perMillion(t.rates().input())
                            + ", output " + perMillion(t.rates().output()));
                }
                if (p.webSearchPer1k().signum() > 0) {
                    System.out.println("    web search: $" + p.webSearchPer1k().stripTrailingZeros().toPlainString() + " per 1,000 searches");
                }
                p.serviceTiers().entrySet().stream().sorted(java.util.Map.Entry.comparingByKey()).forEach(t -> System.out.println(
                        "    service_tier " + t.getKey() + ": input " + perMillion(t.getValue().input()) + ", cached input "
                                + perMillion(t.getValue().cachedInput()) + ", output " + perMillion(t.getValue().output())));
                if (p.batchDiscount().signum() > 0) {
                    System.out.println("    batch discount: " + p.batchDiscount().movePointRight(2).stripTrailingZeros().toPlainString() + "%");
                }
                System.out.println("    source: " + p.source());
            }
            return 0;
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = "Import LiteLLM's model_prices_and_context_window.json into the data directory; the gateway loads it at start.")
    static final class Import implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "A LiteLLM price file (model_prices_and_context_window.json).")
        Path file;
        @Option(names = "--data", defaultValue = "data", description = "Data directory (default: ${DEFAULT-VALUE}).")
        Path dataDir;
        @Option(names = "--effective", description = "The day these prices took effect (default: today, UTC).")
        LocalDate effective;

        @Override
        public Integer call() throws Exception {
            LocalDate day = effective != null ? effective : LocalDate.now(ZoneOffset.UTC);
            List<ModelPrice> prices;
            try (InputStream in = Files.newInputStream(file)) {
                prices = LiteLlmImport.read(in, day, "litellm:" + file.getFileName());
            } catch (JsonProcessingException e) {
                JsonLocation at = e.getLocation();
                throw new UserError(file + (at == null ? "" : ":" + at.getLineNr() + ":" + at.getColumnNr()) + ": not valid JSON ("
                        + e.getOriginalMessage().lines().findFirst().orElse("") + "); import LiteLLM's model_prices_and_context_window.json", e);
            } catch (FileSystemException e) {
                throw e; // a missing or unreadable file: Failures names it
            } catch (IOException e) {
                throw new UserError(file + ": " + e.getMessage() + " (import LiteLLM's model_prices_and_context_window.json)", e);
            }
            ServeCommand.dataDirectory(dataDir);
            Path target = importedFile(dataDir);
            try (OutputStream out = Files.newOutputStream(target)) {
                LiteLlmImport.writeYaml(prices, out);
            }
            System.out.println("imported " + prices.size() + " prices from " + file + " into " + target);
            return 0;
        }
    }
}
