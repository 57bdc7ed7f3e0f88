package dev.tollgate.store;

/**
 * Whether the ledger is recording every row, for /health, /metrics and the decision to refuse metered calls.
 *
 * @param degraded    rows are not written or kept as usual: the disk or database fails, the journal cannot take
 *                    rows, or (PostgreSQL) rows memory had no room for wait in the spool
 * @param refusing    the ledger can keep no more rows (memory and spool are full) and its policy is to refuse metered
 *                    calls rather than serve spend it cannot record ({@code ledger.on_failure: refuse})
 * @param reason      why it is degraded, in words; null when it is not
 * @param queuedRows  rows in memory waiting for the writer
 * @param spooledRows rows waiting in the journal (spool) until the ledger takes them; the embedded ledger's writer
 *                    takes them in bulk, so some wait there in normal running
 * @param lostRows    rows neither written nor kept anywhere since start
 * @param lagSeconds  how long the writer has been unable to commit; 0 while it commits
 */
public record LedgerHealth(boolean degraded, boolean refusing, String reason, long queuedRows, long spooledRows,
                           long lostRows, double lagSeconds) {

    /** A ledger that writes as it goes and reports nothing more. */
    public static final LedgerHealth OK = new LedgerHealth(false, false, null, 0, 0, 0, 0);
}
