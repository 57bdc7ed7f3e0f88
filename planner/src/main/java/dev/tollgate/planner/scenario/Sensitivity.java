package dev.tollgate.planner.scenario;

import java.math.BigDecimal;
import java.util.Map;

/**
 * How much the monthly bill moves when one driver moves, every other input held still.
 *
 * @param change        the move, in words ("+10%", "+1 turn", "+10 points")
 * @param monthlyChange per model, the change of the monthly cost in dollars
 */
public record Sensitivity(String driver, String change, Map<String, BigDecimal> monthlyChange) {
}
