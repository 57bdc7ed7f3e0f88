package dev.tollgate.store;

/**
 * A write to the store (a budget, an alert, an outcome) was refused because its disk is too full to write safely
 * ({@code ledger.min_free_mb}); nothing was written, and the caller may retry once space is freed. The admin API
 * answers it with 507 Insufficient Storage.
 */
public final class StorageFullException extends IllegalStateException {

    public StorageFullException(String message) {
        super(message);
    }
}
