package dev.tollgate.planner.scenario;

import dev.tollgate.planner.report.Money;

import java.math.BigDecimal;
import java.util.List;

/** A whole scenario on one model: its workloads summed. */
public record ModelCost(String model, List<WorkloadCost> workloads) {

    public ModelCost {
        workloads = List.copyOf(workloads);
    }

    public BigDecimal monthly() {
        return workloads.stream().map(WorkloadCost::monthly).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    public BigDecimal yearly() {
        return workloads.stream().map(WorkloadCost::yearly).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    public BigDecimal inputMonthly() {
        return workloads.stream().map(WorkloadCost::inputMonthly).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    public BigDecimal monthlyCalls() {
        return workloads.stream().map(WorkloadCost::monthlyCalls).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    /** Share of the bill that is input (cache reads and writes included). */
    public BigDecimal inputShare() {
        return Money.ratio(inputMonthly(), monthly());
    }

    public BigDecimal perCall() {
        return Money.ratio(monthly(), monthlyCalls());
    }
}
