package dev.tollgate.planner.scenario;

import java.math.BigDecimal;

/**
 * Monthly costs besides model usage, in the five categories of a total cost of ownership (model usage itself comes
 * from the scenario). All amounts are US dollars per month; people are full-time equivalents times their monthly
 * loaded cost.
 */
public record Tco(BigDecimal compute, BigDecimal storage, BigDecimal vectorDatabase, BigDecimal networkEgress,
                  BigDecimal engineeringFte, BigDecimal operationsFte, BigDecimal monthlyCostPerFte,
                  BigDecimal securityComplianceMonitoring) {

    public static final Tco NONE = new Tco(BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO,
            BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO);

    public BigDecimal infrastructure() {
        return storage.add(vectorDatabase).add(networkEgress);
    }

    public BigDecimal people() {
        return engineeringFte.add(operationsFte).multiply(monthlyCostPerFte);
    }

    /** Everything but model usage, per month. */
    public BigDecimal fixedMonthly() {
        return compute.add(infrastructure()).add(people()).add(securityComplianceMonitoring);
    }
}
