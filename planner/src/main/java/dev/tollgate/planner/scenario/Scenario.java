package dev.tollgate.planner.scenario;

import java.math.BigDecimal;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A use case to price before it ships: its workloads, the models to compare, and optionally the other costs of
 * running it (TCO) and the outcome it produces. A name in {@code models} is a catalog model, a self-hosted model of
 * {@code selfHosted}, or a tiered mix of {@code mixes}; the first one that is not a mix is the "before" each mix is
 * compared with.
 *
 * @param daysPerMonth days in the month used for monthly figures (365/12 by default)
 * @param tco          costs besides model usage; {@link Tco#NONE} when not given
 * @param outcome      null when not given
 */
public record Scenario(String name, List<Workload> workloads, List<String> models, BigDecimal daysPerMonth, Tco tco,
                       Outcome outcome, List<SelfHostedModel> selfHosted, List<Mix> mixes) {

    /** 365/12, to 34 significant digits. */
    public static final BigDecimal DEFAULT_DAYS_PER_MONTH = BigDecimal.valueOf(365).divide(BigDecimal.valueOf(12), java.math.MathContext.DECIMAL128);

    public Scenario {
        workloads = List.copyOf(workloads);
        models = List.copyOf(models);
        selfHosted = selfHosted == null ? List.of() : List.copyOf(selfHosted);
        mixes = mixes == null ? List.of() : List.copyOf(mixes);
        if (workloads.isEmpty()) throw new IllegalArgumentException("a scenario needs at least one workload");
        if (models.isEmpty()) throw new IllegalArgumentException("a scenario needs at least one model");
        daysPerMonth = daysPerMonth == null ? DEFAULT_DAYS_PER_MONTH : daysPerMonth;
        tco = tco == null ? Tco.NONE : tco;
        Set<String> names = new HashSet<>();
        for (SelfHostedModel s : selfHosted) if (!names.add(s.name())) throw new IllegalArgumentException("'" + s.name() + "' is defined twice");
        for (Mix m : mixes) {
            if (!names.add(m.name())) throw new IllegalArgumentException("'" + m.name() + "' is defined twice");
            for (Mix.Tier t : m.tiers()) {
                if (mixes.stream().anyMatch(x -> x.name().equals(t.model()))) {
                    throw new IllegalArgumentException("mix '" + m.name() + "': a tier cannot be another mix ('" + t.model() + "')");
                }
            }
        }
    }

    public Scenario(String name, List<Workload> workloads, List<String> models, BigDecimal daysPerMonth, Tco tco, Outcome outcome) {
        this(name, workloads, models, daysPerMonth, tco, outcome, List.of(), List.of());
    }

    public Scenario withWorkloads(List<Workload> next) {
        return new Scenario(name, next, models, daysPerMonth, tco, outcome, selfHosted, mixes);
    }

    public Optional<Mix> mix(String model) {
        return mixes.stream().filter(m -> m.name().equals(model)).findFirst();
    }

    public Optional<SelfHostedModel> selfHosted(String model) {
        return selfHosted.stream().filter(s -> s.name().equals(model)).findFirst();
    }

    /** The model each mix is compared with: the first in {@code models} that is not a mix; empty when all are. */
    public Optional<String> before() {
        return models.stream().filter(m -> mix(m).isEmpty()).findFirst();
    }
}
