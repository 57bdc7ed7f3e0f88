package dev.tollgate.core.anomaly;

import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runaway keys: the retry loop left running over the weekend. Two signs, per key:
 * <ul>
 *   <li>the same request body (by hash) {@code samePrompt} times within {@code windowMillis};</li>
 *   <li>requests in the current minute above {@code rateMultiple ×} the key's own usual rate (the median of its
 *       per-minute counts over the previous hour, at least 1) and at least {@code minPerMinute}; a key needs an hour
 *       of history before its rate is judged ({@link #seed} gives it from the ledger at start-up).</li>
 * </ul>
 * One finding per key and kind per {@code cooldownMillis}. Thread-safe; each call costs a hash-map lookup and, at
 * most once a minute per key, a sort of 60 counts.
 */
public final class RunawayDetector {

    private static final int HISTORY_MINUTES = 60;
    private static final int PROMPTS_TRACKED = 256;

    public record Settings(int samePrompt, long windowMillis, double rateMultiple, int minPerMinute, long cooldownMillis) {
    }

    public enum Kind { REPEATED_PROMPT, REQUEST_RATE }

    /** @param count the repeats in the window, or the requests in the current minute; @param baseline usual per minute */
    public record Finding(Kind kind, String key, long atMillis, long count, double baseline) {
    }

    private final Settings settings;
    private final ConcurrentHashMap<String, KeyState> keys = new ConcurrentHashMap<>();

    public RunawayDetector(Settings settings) {
        this.settings = settings;
    }

    /** Records one request by {@code key} with a body hashing to {@code promptHash}; a finding when it tips one over. */
    public Finding observe(String key, long promptHash, long atMillis) {
        KeyState state = keys.get(key); // a lookup first: computeIfAbsent's lambda would capture atMillis on every call
        if (state == null) state = keys.computeIfAbsent(key, k -> new KeyState(atMillis));
        return state.observe(key, promptHash, atMillis, settings);
    }

    /**
     * Adds a past minute's request count for a key (read from the ledger at start-up), so that a restart neither
     * forgets the key's usual rate nor waits an hour to judge it again. A key whose history reaches back an hour is
     * judged at once.
     */
    public void seed(String key, long minuteMillis, long requests) {
        keys.computeIfAbsent(key, k -> new KeyState(minuteMillis)).seed(minuteMillis, requests);
    }

    private static final class KeyState {
        /** The times of each recent prompt, least recently seen first; at most {@link #PROMPTS_TRACKED}. */
        private final LinkedHashMap<Long, ArrayDeque<Long>> prompts = new LinkedHashMap<>(64, 0.75f, true);
        private final long[] perMinute = new long[HISTORY_MINUTES + 2];
        private long currentMinute;
        private long firstMinute;
        private long baselineMinute = Long.MIN_VALUE;
        private double baseline;
        private long lastRepeatAlert = Long.MIN_VALUE;
        private long lastRateAlert = Long.MIN_VALUE;

        KeyState(long at) {
            this.currentMinute = Math.floorDiv(at, 60_000L);
            this.firstMinute = currentMinute;
        }

        synchronized void seed(long at, long requests) {
            long minute = Math.floorDiv(at, 60_000L);
            firstMinute = Math.min(firstMinute, minute);
            advanceTo(minute);
            if (minute >= currentMinute - HISTORY_MINUTES) perMinute[(int) Math.floorMod(minute, perMinute.length)] += requests;
        }

        /** Moves the current minute forward, clearing the counts of the minutes it passes. */
        private void advanceTo(long minute) {
            if (minute <= currentMinute) return;
            for (long m = currentMinute + 1; m <= Math.min(minute, currentMinute + perMinute.length); m++) {
                perMinute[(int) Math.floorMod(m, perMinute.length)] = 0;
            }
            currentMinute = minute;
        }

        synchronized Finding observe(String key, long hash, long at, Settings s) {
            Finding found = null;
            ArrayDeque<Long> times = prompts.get(hash);
            if (times == null) {
                // a new prompt takes the place of the least recently seen one, and its (emptied) queue: with prompts
                // that never repeat, every request is new
                times = prompts.size() < PROMPTS_TRACKED ? new ArrayDeque<>() : prompts.pollFirstEntry().getValue();
                times.clear();
                prompts.put(hash, times);
            }
            times.addLast(at);
            while (!times.isEmpty() && at - times.peekFirst() > s.windowMillis()) times.pollFirst();
            while (times.size() > s.samePrompt()) times.pollFirst();
            if (times.size() >= s.samePrompt() && cooled(lastRepeatAlert, at, s)) {
                lastRepeatAlert = at;
                found = new Finding(Kind.REPEATED_PROMPT, key, at, times.size(), 0);
            }
            long minute = Math.floorDiv(at, 60_000L);
            advanceTo(minute);
            if (minute < currentMinute - HISTORY_MINUTES) return found; // too old to matter
            long count = ++perMinute[(int) Math.floorMod(minute, perMinute.length)];
            if (found == null && minute == currentMinute && count >= s.minPerMinute() && count > s.rateMultiple()
                    && minute - firstMinute > HISTORY_MINUTES && cooled(lastRateAlert, at, s)) {
                if (baselineMinute != minute) {
                    double[] history = new double[HISTORY_MINUTES];
                    for (int i = 0; i < HISTORY_MINUTES; i++) {
                        history[i] = perMinute[(int) Math.floorMod(minute - 1 - i, perMinute.length)];
                    }
                    baseline = Math.max(1, Robust.median(history, HISTORY_MINUTES));
                    baselineMinute = minute;
                }
                if (count > s.rateMultiple() * baseline) {
                    lastRateAlert = at;
                    found = new Finding(Kind.REQUEST_RATE, key, at, count, baseline);
                }
            }
            return found;
        }

        private static boolean cooled(long last, long at, Settings s) {
            return last == Long.MIN_VALUE || at - last >= s.cooldownMillis();
        }
    }
}
