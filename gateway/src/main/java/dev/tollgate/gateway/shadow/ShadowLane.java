package dev.tollgate.gateway.shadow;

import dev.tollgate.core.BackgroundPriority;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.gateway.provider.Upstream;
import dev.tollgate.gateway.stage.BudgetStage;
import dev.tollgate.gateway.stage.MeteringStage;
import dev.tollgate.gateway.stage.ProviderStage;
import dev.tollgate.gateway.stage.Stage;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.ContextInternal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Where shadow calls run: an event loop of their own (a one-thread Vert.x instance), with its own provider connections
 * and its own path (budgets, metering, the provider). A client's event loop only hands a finished request over, so a
 * shadow call's work (sending it, reading the candidate's answer, metering it) never queues behind or in front of a
 * client's request on the loop that serves it. The lane's thread runs at a low CPU priority
 * ({@link BackgroundPriority}): where the cores are busy serving clients, it waits for them, not they for it, and the
 * calls it has not got to hold their route's {@code max_in_flight} slots, so further samples are shed.
 */
public final class ShadowLane implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ShadowLane.class);

    /**
     * How long the lane lets hand-overs gather while it is busy: one wake-up (a write to its eventfd on the client's
     * event loop, a context switch on the lane) per turn instead of per call, and the candidate calls of a turn go out
     * and come back together. A shadow call starts up to this much later; its latency is counted from its start.
     */
    static final long TURN_MS = 2;

    private final Vertx vertx;
    private final Lane lane;

    private ShadowLane(Vertx vertx, Lane lane) {
        this.vertx = vertx;
        this.lane = lane;
    }

    /** The lane when some route has {@code shadow:}; null (no thread, no connections) when none has. */
    public static Future<ShadowLane> start(GatewayServices services) {
        if (services.router().groups().stream().noneMatch(g -> g.shadow() != null)) return Future.succeededFuture(null);
        // server.transport, as the client's event loops have it: NIO's selector costs more CPU per call (its key sets
        // and locks), and the lane's CPU is what shadow traffic takes from the clients
        Vertx vertx = services.config().server().transport().choose()
                .vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1).setInternalBlockingPoolSize(1));
        Lane lane = new Lane(services);
        return vertx.deployVerticle(lane).map(id -> new ShadowLane(vertx, lane))
                .onFailure(e -> vertx.close());
    }

    /**
     * Runs {@code task} on the lane's event loop, soon: tasks handed over while the lane is busy wait for its next turn
     * ({@link #TURN_MS}) rather than each waking it, and only the task that finds it resting wakes it.
     */
    void submit(Runnable task) {
        lane.handOver(task);
    }

    /** What a shadow call goes through: budgets, metering, the provider. Call it on the lane's event loop. */
    Stage.Chain path() {
        return lane.path;
    }

    /** Stops the lane: shadow calls still running are cut off (their rows say so). */
    @Override
    public void close() {
        vertx.close().await();
    }

    private static final class Lane extends VerticleBase {
        private final GatewayServices services;
        private final Map<String, Upstream> upstreams = new HashMap<>();
        private Stage.Chain path;
        private boolean lowered;
        private final Queue<Runnable> handedOver = new ConcurrentLinkedQueue<>();
        /** True while a turn is due (queued on the event loop or on a timer): hand-overs then only queue. */
        private final AtomicBoolean turnDue = new AtomicBoolean();

        Lane(GatewayServices services) {
            this.services = services;
        }

        Context context() {
            return context;
        }

        @Override
        public Future<?> start() {
            // start runs on the lane's event loop thread: named for thread dumps and top -H
            Thread.currentThread().setName("shadow-lane");
            GatewayConfig config = services.config();
            config.providers().values().forEach(p -> upstreams.put(p.name(), new Upstream((ContextInternal) context, p, config.server())));
            ProviderStage provider = new ProviderStage(upstreams, config.server(), vertx,
                    services.ledger()::append, services.catalog());
            path = Stage.chain(List.of(new BudgetStage(services.budgets(), services.router(), services.catalog()),
                    new MeteringStage(services.catalog(), services.ledger())), provider);
            return Future.succeededFuture();
        }

        void handOver(Runnable task) {
            handedOver.add(task);
            if (!turnDue.get() && turnDue.compareAndSet(false, true)) context.runOnContext(v -> turn());
        }

        /** Runs what was handed over; while there was some, the next turn is on a timer, else the lane rests. */
        private void turn() {
            lowerPriorityOnce();
            boolean ran = false;
            for (Runnable task; (task = handedOver.poll()) != null; ran = true) {
                try {
                    task.run();
                } catch (RuntimeException e) { // one call's failure must not leave the turns stopped
                    log.warn("a shadow call failed to start", e);
                }
            }
            if (ran) {
                vertx.setTimer(TURN_MS, id -> turn());
                return;
            }
            turnDue.set(false);
            // a hand-over between the poll and the reset saw a turn due and did not schedule one
            if (!handedOver.isEmpty() && turnDue.compareAndSet(false, true)) turn();
        }

        /**
         * Lowers the lane's thread at its first shadow call, not at start: threads inherit their creator's nice value,
         * and the gateway's own event loops are started from this thread (the deployment goes on from the lane's start).
         */
        void lowerPriorityOnce() {
            if (lowered) return;
            lowered = true;
            BackgroundPriority.lowerCurrentThread();
        }

        @Override
        public Future<?> stop() {
            upstreams.values().forEach(Upstream::close);
            return Future.succeededFuture();
        }
    }
}
