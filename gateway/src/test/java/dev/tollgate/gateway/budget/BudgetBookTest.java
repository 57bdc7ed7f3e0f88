package dev.tollgate.gateway.budget;

import dev.tollgate.core.budget.Budget;
import dev.tollgate.core.budget.BudgetAccount;
import dev.tollgate.core.budget.Period;
import dev.tollgate.core.budget.Scope;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class BudgetBookTest {

    static final ZoneId TOKYO = ZoneId.of("Asia/Tokyo"); // UTC+9, no daylight saving

    static Budget daily(String limit, List<Integer> thresholds) {
        return new Budget("d", Scope.parse("team:search"), Period.DAILY, new BigDecimal(limit), Budget.Action.BLOCK, null, thresholds, TOKYO);
    }

    @Test
    void theDayTurnsAtLocalMidnightAndReservationsFromYesterdaySettleIntoNothing() {
        BudgetBook book = new BudgetBook();
        // 14:59Z is 23:59 in Tokyo; 15:00Z is midnight, the next Tokyo day
        Instant lateEvening = Instant.parse("2026-11-26T14:59:00Z"), midnight = Instant.parse("2026-11-26T15:00:00Z");
        book.put(daily("1", null), new BigDecimal("0.90"), 0, lateEvening);
        BudgetBook.Entry entry = book.applicable("k", Map.of("team", "search"), lateEvening).getFirst();
        BudgetAccount.Reservation held = entry.account().tryReserve(new BigDecimal("0.10"), entry.budget().limitUsd());
        assertThat(held).isNotNull();
        assertThat(entry.remaining()).isEqualByComparingTo("0");

        assertThat(book.applicable("k", Map.of("team", "search"), midnight)).containsExactly(entry);
        assertThat(entry.account().state().periodStart()).isEqualTo(midnight);
        assertThat(entry.remaining()).isEqualByComparingTo("1");
        entry.account().settle(held, new BigDecimal("0.10")); // yesterday's call lands in yesterday
        assertThat(entry.account().state().spent()).isEqualByComparingTo("0");
        assertThat(book.applicable("k", Map.of("team", "ads"), midnight)).isEmpty();
    }

    @Test
    void aNewLimitKeepsTheSpendAndANewScopeStartsAfresh() {
        BudgetBook book = new BudgetBook();
        Instant now = Instant.parse("2026-11-26T10:00:00Z");
        book.put(daily("1", null), new BigDecimal("0.40"), 0, now);
        BudgetBook.Entry raised = book.put(daily("5", null), BigDecimal.ZERO, 0, now);
        assertThat(raised.account().state().spent()).isEqualByComparingTo("0.40");
        assertThat(raised.remaining()).isEqualByComparingTo("4.60");
        Budget moved = new Budget("d", Scope.parse("team:ads"), Period.DAILY, new BigDecimal("5"), null, null, null, TOKYO);
        assertThat(book.put(moved, new BigDecimal("0.05"), 0, now).account().state().spent()).isEqualByComparingTo("0.05");
        assertThat(book.entries()).hasSize(1);
        assertThat(book.remove("d")).isTrue();
        assertThat(book.entries()).isEmpty();
    }
}
