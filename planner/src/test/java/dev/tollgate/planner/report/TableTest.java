package dev.tollgate.planner.report;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;

import static org.assertj.core.api.Assertions.assertThat;

/** Floating-point estimates become the decimals a table shows and JSON and CSV give. */
class TableTest {

    @Test
    void aDoubleIsGivenAsTheDecimalWorthPrinting() {
        assertThat(Table.decimal(0.1 + 0.2)).isEqualTo(new BigDecimal("0.3")); // 0.30000000000000004 in binary
        assertThat(Table.decimal(27.123456)).isEqualTo(new BigDecimal("27.12"));
        assertThat(Table.decimal(2.9972099826183114)).isEqualTo(new BigDecimal("3.00"));
        assertThat(Table.decimal(1156.5)).isEqualTo(new BigDecimal("1156.50"));
        assertThat(Table.decimal(0.045678)).isEqualTo(new BigDecimal("0.0457"));
        assertThat(Table.decimal(-0.0012345)).isEqualTo(new BigDecimal("-0.00123"));
        assertThat(Table.decimal(0)).isEqualByComparingTo("0");
    }

    @Test
    void aMeasureShowsWhatItGives() {
        Table.Cell cell = Table.Cell.measure(0.1 + 0.2, " ms");
        assertThat(cell.text()).isEqualTo("0.3 ms");
        assertThat(cell.value()).isEqualTo(new BigDecimal("0.3"));
    }
}
