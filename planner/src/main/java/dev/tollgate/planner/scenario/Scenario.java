package dev.tollgate.planner.scenario;

import java.math.BigDecimal;
import java.util.List;

/**
 * A use case to price before it ships: its workloads, the catalog models to compare, and optionally the other costs
 * of running it (TCO) and the outcome it produces.
 *
 * @param daysPerMonth days in the month used for monthly figures (365/12 by default)
 * @param tco          costs besides model usage; {@link Tco#NONE} when not given
 * @param outcome      null when not given
 */
public record Scenario(String name, List<Workload> workloads, List<String> models, BigDecimal daysPerMonth, Tco tco,
                       Outcome outcome) {

    /** 365/12, to 34 significant digits. */
    public static final BigDecimal DEFAULT_DAYS_PER_MONTH = BigDecimal.valueOf(365).divide(BigDecimal.valueOf(12), java.math.MathContext.DECIMAL128);

    public Scenario {
        workloads = List.copyOf(workloads);
        models = List.copyOf(models);
        if (workloads.isEmpty()) throw new IllegalArgumentException("a scenario needs at least one workload");
        if (models.isEmpty()) throw new IllegalArgumentException("a scenario needs at least one model");
        daysPerMonth = daysPerMonth == null ? DEFAULT_DAYS_PER_MONTH : daysPerMonth;
        tco = tco == null ? Tco.NONE : tco;
    }

    public Scenario withWorkloads(List<Workload> next) {
        return new Scenario(name, next, models, daysPerMonth, tco, outcome);
    }
}
