package dev.tollgate.gateway.cache;

import java.math.BigDecimal;
import java.util.List;

/**
 * A complete, successful answer as it can be played again: its events in order, ending with {@link ReplyEvent.End}.
 *
 * @param events the recorded sink calls
 * @param cost   what the original call cost, the saving of every replay
 * @param weight bytes it holds, for the cache's size bound
 */
record CachedReply(List<ReplyEvent> events, BigDecimal cost, long weight) {

    /** The reply's bytes plus the entry's key and bookkeeping. */
    static final int ENTRY_OVERHEAD = 160;

    static CachedReply of(List<ReplyEvent> events, String key) {
        long weight = ENTRY_OVERHEAD + 2L * key.length();
        BigDecimal cost = BigDecimal.ZERO;
        for (ReplyEvent e : events) {
            weight += e.weight();
            if (e instanceof ReplyEvent.Usage u && u.cost() != null) cost = u.cost();
        }
        return new CachedReply(List.copyOf(events), cost, weight);
    }
}
