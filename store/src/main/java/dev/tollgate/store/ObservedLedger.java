package dev.tollgate.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The ledger stream: a ledger that also hands every appended row to its subscribers (metrics, alerts, anomaly
 * detection). Subscribers run on the appending thread, usually an event loop, so they must be quick and never
 * block; one that throws is logged and does not stop the others or the append.
 */
public final class ObservedLedger implements Ledger {

    private static final Logger log = LoggerFactory.getLogger(ObservedLedger.class);

    private final Ledger ledger;
    private final List<Consumer<LedgerEntry>> subscribers = new CopyOnWriteArrayList<>();

    public ObservedLedger(Ledger ledger) {
        this.ledger = ledger;
    }

    /** Wraps {@code ledger} unless it already is observed. */
    public static ObservedLedger of(Ledger ledger) {
        return ledger instanceof ObservedLedger observed ? observed : new ObservedLedger(ledger);
    }

    public void subscribe(Consumer<LedgerEntry> subscriber) {
        subscribers.add(subscriber);
    }

    /** The ledger underneath, for what only a concrete store offers. */
    public Ledger unwrap() {
        return ledger;
    }

    @Override
    public void append(LedgerEntry entry) {
        ledger.append(entry);
        tell(entry);
    }

    @Override
    public void append(LedgerEntry entry, Runnable then) {
        ledger.append(entry);
        try {
            then.run();
        } finally {
            tell(entry);
        }
    }

    private void tell(LedgerEntry entry) {
        for (Consumer<LedgerEntry> subscriber : subscribers) {
            try {
                subscriber.accept(entry);
            } catch (RuntimeException e) {
                log.warn("ledger subscriber {} failed on request {}", subscriber, entry.requestId(), e);
            }
        }
    }

    @Override
    public void flush() {
        ledger.flush();
    }

    @Override
    public List<SpendRow> spend(SpendQuery query) {
        return ledger.spend(query);
    }

    @Override
    public List<LedgerEntry> recent(int limit) {
        return ledger.recent(limit);
    }

    @Override
    public Optional<LedgerEntry> find(String requestId) {
        return ledger.find(requestId);
    }

    @Override
    public List<LedgerEntry> attempts(String requestId) {
        return ledger.attempts(requestId);
    }

    @Override
    public List<LedgerEntry> audit(SpendQuery query, int limit) {
        return ledger.audit(query, limit);
    }

    @Override
    public void recordOutcome(Outcome outcome) {
        ledger.recordOutcome(outcome);
    }

    @Override
    public List<OutcomeRow> outcomes(SpendQuery query) {
        return ledger.outcomes(query);
    }

    @Override
    public LedgerHealth health() {
        return ledger.health();
    }

    @Override
    public void close() {
        ledger.close();
    }
}
