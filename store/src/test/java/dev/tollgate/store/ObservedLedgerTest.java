package dev.tollgate.store;

import dev.tollgate.core.usage.Usage;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ObservedLedgerTest {

    /** Keeps appended rows in memory. */
    private static final class ListLedger implements Ledger {
        final List<LedgerEntry> rows = new ArrayList<>();
        @Override public void append(LedgerEntry entry) { rows.add(entry); }
        @Override public void flush() { }
        @Override public List<SpendRow> spend(SpendQuery query) { return List.of(); }
        @Override public List<LedgerEntry> recent(int limit) { return rows.reversed(); }
        @Override public Optional<LedgerEntry> find(String id) { return rows.stream().filter(r -> r.requestId().equals(id)).findFirst(); }
        @Override public void close() { }
    }

    private static LedgerEntry row(String id) {
        return new LedgerEntry(Instant.parse("2026-11-26T00:00:00Z"), id, "k", Map.of(), "openai.chat", "p", "m", "m", "m",
                new Usage(10, 0, 0, 0, 5, 0), new BigDecimal("0.001"), null, 200, null, 1, -1, false, false);
    }

    @Test
    void everySubscriberSeesEveryRowAndAFailingOneStopsNothing() {
        ListLedger store = new ListLedger();
        ObservedLedger ledger = ObservedLedger.of(store);
        List<String> seen = new ArrayList<>();
        ledger.subscribe(e -> { throw new IllegalStateException("broken subscriber"); });
        ledger.subscribe(e -> seen.add(e.requestId()));

        ledger.append(row("a"));
        ledger.append(row("b"));

        assertThat(store.rows).extracting(LedgerEntry::requestId).containsExactly("a", "b");
        assertThat(seen).containsExactly("a", "b");
        assertThat(ObservedLedger.of(ledger)).isSameAs(ledger);
        assertThat(ledger.unwrap()).isSameAs(store);
    }

    @Test
    void aRowIsStoredBeforeTheReplyEndsAndObservedAfterIt() {
        ListLedger store = new ListLedger();
        ObservedLedger ledger = ObservedLedger.of(store);
        List<String> events = new ArrayList<>();
        ledger.subscribe(e -> events.add("observed " + e.requestId() + " (stored: " + store.rows.size() + ")"));

        ledger.append(row("a"), () -> events.add("reply ended (stored: " + store.rows.size() + ")"));

        assertThat(events).containsExactly("reply ended (stored: 1)", "observed a (stored: 1)");
    }

    @Test
    void subscribersSeeTheRowEvenWhenTheReplyFails() {
        ObservedLedger ledger = ObservedLedger.of(new ListLedger());
        List<String> seen = new ArrayList<>();
        ledger.subscribe(e -> seen.add(e.requestId()));

        assertThatThrownBy(() -> ledger.append(row("a"), () -> {
            throw new IllegalStateException("the connection is gone");
        })).hasMessage("the connection is gone");

        assertThat(seen).containsExactly("a");
    }
}
