package dev.tollgate.gateway.cache;

import dev.tollgate.gateway.ClientConnection;
import io.vertx.core.Context;

import java.util.ArrayList;
import java.util.List;

/**
 * One call to the provider that several clients want: the first request (the leader) records every event of its
 * reply here, and each waiter, on its own event loop, is sent the events so far and then each new one as it arrives.
 * The leader and waiters live on different event loops, so all state is guarded by the flight's monitor; events
 * are handed to a waiter through its context while the monitor is held, so each waiter sees them in order.
 *
 * <p>The provider call is cancelled only when no one is left to answer: the leader's client and every waiter have
 * gone, and no idempotency key asks for the answer to be kept for a retry.
 */
final class Flight {

    /** A client waiting on the flight; {@link #deliver} must hand the events to the client's own event loop. */
    interface Waiter {
        void deliver(List<ReplyEvent> events);
    }

    final String requestHash;
    private final boolean keepRunning;
    private final List<ReplyEvent> events = new ArrayList<>();
    private final List<Waiter> waiters = new ArrayList<>();
    private long weight = CachedReply.ENTRY_OVERHEAD;
    private boolean finished;
    private boolean leaderGone;
    private Context leaderContext;
    private Runnable cancel;
    /** The leader's pending resume: a provider paused for a slow leader must go on once that leader has gone. */
    private Runnable drain;

    /**
     * @param requestHash the canonical hash of the leader's request (an idempotency key reused for another request
     *                    is refused by comparing it); null when no idempotency key was sent
     * @param keepRunning finish the call even when every client has gone (an idempotency key was sent)
     */
    Flight(String requestHash, boolean keepRunning) {
        this.requestHash = requestHash;
        this.keepRunning = keepRunning;
    }

    synchronized void publish(ReplyEvent event) {
        if (finished) return;
        events.add(event);
        weight += event.weight();
        if (event instanceof ReplyEvent.End || event instanceof ReplyEvent.Fail) finished = true;
        if (waiters.isEmpty()) return; // nearly every flight has none
        List<ReplyEvent> one = List.of(event);
        for (Waiter w : waiters) w.deliver(one);
        if (finished) waiters.clear();
    }

    /** Sends {@code waiter} what happened so far and, unless the flight is over, what happens next. */
    synchronized void join(Waiter waiter) {
        if (!events.isEmpty()) waiter.deliver(List.copyOf(events));
        if (!finished) waiters.add(waiter);
    }

    /** A waiter's client went away. */
    void leave(Waiter waiter) {
        Runnable cancelNow;
        Context on;
        synchronized (this) {
            waiters.remove(waiter);
            if (!abandoned()) return;
            cancelNow = cancel;
            on = leaderContext;
            cancel = null;
        }
        on.runOnContext(v -> cancelNow.run());
    }

    synchronized int waiting() {
        return waiters.size();
    }

    synchronized long weight() {
        return weight;
    }

    /** The complete reply, once the flight succeeded. */
    synchronized CachedReply reply(String key) {
        return CachedReply.of(events, key);
    }

    private boolean abandoned() {
        return leaderGone && waiters.isEmpty() && !keepRunning && !finished && cancel != null;
    }

    /**
     * The leader's client connection as the stages after the cache see it: backpressure is the leader's, but the
     * provider call is cancelled only when the flight is abandoned.
     */
    ClientConnection connectionFor(ClientConnection leader, Context context) {
        return new ClientConnection() {
            @Override
            public void onClose(Runnable action) {
                synchronized (Flight.this) {
                    leaderContext = context;
                    cancel = action;
                }
                leader.onClose(() -> {
                    Runnable next;
                    synchronized (Flight.this) {
                        leaderGone = true;
                        if (abandoned()) {
                            next = cancel;
                            cancel = null;
                        } else {
                            next = drain;
                        }
                        drain = null;
                    }
                    if (next != null) next.run();
                });
            }

            @Override
            public boolean writeQueueFull() {
                synchronized (Flight.this) {
                    if (leaderGone) return false;
                }
                return leader.writeQueueFull();
            }

            @Override
            public void onDrain(Runnable action) {
                synchronized (Flight.this) {
                    drain = action;
                }
                leader.onDrain(() -> {
                    synchronized (Flight.this) {
                        drain = null;
                    }
                    action.run();
                });
            }
        };
    }
}
