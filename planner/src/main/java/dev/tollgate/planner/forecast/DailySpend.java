package dev.tollgate.planner.forecast;

import java.math.BigDecimal;
import java.time.LocalDate;

/** One UTC day's spend. */
public record DailySpend(LocalDate day, BigDecimal usd) {
}
