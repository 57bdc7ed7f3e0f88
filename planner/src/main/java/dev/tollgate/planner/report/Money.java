package dev.tollgate.planner.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/** How amounts of money and shares are shown: exact amounts rounded only for display. */
public final class Money {

    private Money() {
    }

    /** Dollars with cents and thousands separators: "$12,345.67". */
    public static String usd(BigDecimal amount) {
        if (amount.signum() < 0) return "-" + usd(amount.negate());
        return String.format("$%,.2f", amount.setScale(2, RoundingMode.HALF_EVEN));
    }

    /** {@link #usd} as a table cell that keeps the exact amount. */
    public static Table.Cell usdCell(BigDecimal amount) {
        return new Table.Cell(usd(amount), amount);
    }

    /** {@link #usdFine} as a table cell that keeps the exact amount. */
    public static Table.Cell usdFineCell(BigDecimal amount) {
        return new Table.Cell(usdFine(amount), amount);
    }

    /** {@link #percent(BigDecimal)} as a table cell that keeps the exact fraction. */
    public static Table.Cell percentCell(BigDecimal fraction) {
        return new Table.Cell(percent(fraction), fraction);
    }

    /** Small amounts (per call, per million tokens) with six significant digits: "$0.000412". */
    public static String usdFine(BigDecimal amount) {
        if (amount.signum() == 0) return "$0";
        if (amount.abs().compareTo(BigDecimal.ONE) >= 0) return usd(amount);
        return "$" + amount.round(new MathContext(4, RoundingMode.HALF_EVEN)).stripTrailingZeros().toPlainString();
    }

    /** A signed change in dollars: "+$1,234.00" or "-$56.78". */
    public static String delta(BigDecimal amount) {
        return (amount.signum() < 0 ? "-" : "+") + usd(amount.abs());
    }

    /** A fraction as a percentage with one decimal: 0.4567 → "45.7%". */
    public static String percent(BigDecimal fraction) {
        return fraction.movePointRight(2).setScale(1, RoundingMode.HALF_EVEN).toPlainString() + "%";
    }

    public static String percent(double fraction) {
        return String.format("%.1f%%", fraction * 100);
    }

    /** numerator / denominator to 12 places, or zero when the denominator is zero. */
    public static BigDecimal ratio(BigDecimal numerator, BigDecimal denominator) {
        if (denominator.signum() == 0) return BigDecimal.ZERO;
        return numerator.divide(denominator, 12, RoundingMode.HALF_EVEN);
    }
}
