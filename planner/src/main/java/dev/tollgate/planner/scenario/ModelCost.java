package dev.tollgate.planner.scenario;

import dev.tollgate.planner.report.Money;

import java.math.BigDecimal;
import java.util.List;

/**
 * A whole scenario on one model: its workloads summed, plus the fixed monthly cost of running the self-hosted models
 * it uses (people and operations; zero for catalog models), which does not move with the traffic.
 */
public record ModelCost(String model, List<WorkloadCost> workloads, BigDecimal fixedMonthly) {

    public ModelCost {
        workloads = List.copyOf(workloads);
        fixedMonthly = fixedMonthly == null ? BigDecimal.ZERO : fixedMonthly;
    }

    public ModelCost(String model, List<WorkloadCost> workloads) {
        this(model, workloads, BigDecimal.ZERO);
    }

    /** What the calls cost, fixed costs left out. */
    public BigDecimal usageMonthly() {
        return workloads.stream().map(WorkloadCost::monthly).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    public BigDecimal monthly() {
        return usageMonthly().add(fixedMonthly);
    }

    public BigDecimal yearly() {
        return workloads.stream().map(WorkloadCost::yearly).reduce(BigDecimal.ZERO, BigDecimal::add)
                .add(fixedMonthly.multiply(BigDecimal.valueOf(12)));
    }

    public BigDecimal inputMonthly() {
        return workloads.stream().map(WorkloadCost::inputMonthly).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    public BigDecimal monthlyCalls() {
        return workloads.stream().map(WorkloadCost::monthlyCalls).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    /** Share of the usage bill that is input (cache reads and writes included). */
    public BigDecimal inputShare() {
        return Money.ratio(inputMonthly(), usageMonthly());
    }

    public BigDecimal perCall() {
        return Money.ratio(monthly(), monthlyCalls());
    }
}
