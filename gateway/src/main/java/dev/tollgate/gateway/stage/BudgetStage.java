package dev.tollgate.gateway.stage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.budget.Budget;
import dev.tollgate.core.budget.BudgetAccount.Reservation;
import dev.tollgate.core.budget.Period;
import dev.tollgate.core.budget.WorstCase;
import dev.tollgate.core.pricing.ModelPrice;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.core.tokens.TokenCounter;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.AsciiHeaders;
import dev.tollgate.gateway.BufferBytes;
import dev.tollgate.gateway.Exchange;
import dev.tollgate.gateway.GatewayError;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.ReplySink;
import dev.tollgate.gateway.budget.BudgetBook;
import dev.tollgate.gateway.budget.BudgetService;
import dev.tollgate.gateway.budget.BudgetWords;
import dev.tollgate.gateway.budget.RateLimitHeaders;
import dev.tollgate.gateway.budget.RateLimiter;
import dev.tollgate.gateway.config.SpendControls;
import dev.tollgate.gateway.route.Deployment;
import dev.tollgate.gateway.route.Route;
import dev.tollgate.gateway.route.RouteGroup;
import dev.tollgate.gateway.route.Router;
import dev.tollgate.gateway.tier.Tiers;
import dev.tollgate.gateway.translate.MessagesOverOpenAi;
import dev.tollgate.gateway.translate.PromptTokens;
import io.netty.util.AsciiString;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Budgets and rate limits, before anything is spent. For a request some budget or rate limit applies to, it counts
 * the prompt, takes one request and the worst-case tokens from the rate limits, and reserves the worst-case cost
 * (prompt at the input rate, output cap at the output rate) on every applicable budget, all or nothing. A budget
 * that cannot afford it blocks (429 {@code budget_exceeded}), lets it through and alerts (notify), or sends it to a
 * cheaper model (downgrade). When metering has priced the answer, the reservation is settled to the real cost and the
 * token take corrected; a call that fails before any usage releases both. Sandbox keys may use only their allowed
 * providers and models. Never blocks: all state is in memory, alerts go to a background thread. With shared
 * counters ({@code spend_controls.redis}) the same decisions are made in Redis, asynchronously, by {@link SharedBudgets}.
 *
 * <p>Far from every limit, a cheaper bound stands in for the counted prompt ({@link #boundPass}); a request that does
 * not fit first replaces the bounds of the calls in flight by their counted worst cases, so that what it is refused
 * for is the exact worst case of the others, never the looser bound.
 */
public final class BudgetStage implements Stage {

    public static final String REMAINING_HEADER = "x-tollgate-budget-remaining-usd";
    public static final String BUDGET_HEADER = "x-tollgate-budget";
    public static final String DOWNGRADED_HEADER = "x-tollgate-downgraded-from";
    /** The names of the headers on every answer a budget applies to, as ASCII (hashed once, copied whole). */
    private static final AsciiString REMAINING_NAME = AsciiString.cached(REMAINING_HEADER);
    private static final AsciiString BUDGET_NAME = AsciiString.cached(BUDGET_HEADER);
    /** On an answer to a request that set no output cap: the cap the gateway sent upstream (the one it reserved for). */
    public static final String MAX_TOKENS_APPLIED_HEADER = "x-tollgate-max-tokens-applied";

    private final BudgetService service;
    private final Router router;
    private final Supplier<PriceCatalog> catalog;
    private final int defaultMaxOutput;
    /** Calls in flight that hold the tokenizer-free bound rather than their counted worst case (all event loops'). */
    private final Set<BudgetService.BoundHold> boundHolders;
    private final SharedBudgets shared;

    public BudgetStage(BudgetService service, Router router, Supplier<PriceCatalog> catalog) {
        this.service = service;
        this.router = router;
        this.catalog = catalog;
        this.defaultMaxOutput = service.controls().defaultMaxOutputTokens();
        this.boundHolders = service.boundHolds();
        this.shared = service.redis() == null ? null : new SharedBudgets(this, service);
    }

    @Override
    public void handle(Exchange exchange, ReplySink sink, Chain next) {
        String key = exchange.principal().keyName();
        Map<String, String> tags = exchange.tags();
        Optional<SpendControls.SandboxKey> sandbox = service.sandboxKey(key);
        if (sandbox.isPresent() && !allowed(sandbox.get(), exchange)) {
            sink.fail(GatewayError.forbidden("key '" + key + "' is a sandbox key: it may use only " + allowList(sandbox.get())
                    + ", not model '" + exchange.route().name() + "' (provider " + exchange.route().provider().name() + ")"));
            return;
        }
        if (service.runaway().enabled()) {
            if (service.runaway().throttled(key)) {
                long seconds = Math.max(1, (service.runaway().throttledUntil(key) - service.clock().millis() + 999) / 1000);
                sink.fail(new GatewayError(429, "runaway_throttled", "runaway_throttled", "key '" + key
                        + "' is throttled after a runaway-loop alert; retry in " + seconds + " s", null,
                        Map.of("retry-after", String.valueOf(seconds))));
                return;
            }
            service.runaway().observe(key, exchange.outgoingBody());
        }
        List<RateLimiter.Buckets> buckets = service.rateLimiter().applicable(key, tags);
        List<BudgetBook.Entry> budgets = service.book().applicable(key, tags, exchange.arrivedAt());
        if (buckets.isEmpty() && budgets.isEmpty()) {
            next.proceed(exchange, sink);
            return;
        }
        if (!budgets.isEmpty()) {
            Route unpriced = unpriced(exchange);
            if (unpriced != null) {
                boolean priced = price(unpriced, exchange.arrivedAt()).isPresent(); // then only its service tier is not
                sink.fail(notPriced(unpriced, budgets.getFirst(), priced ? servedTier(unpriced, exchange.requestedServiceTier()) : null));
                return;
            }
        }
        if (uncapped(exchange)) next = capped(next); // most clients set their cap: no wrapper for them
        if (shared != null) {
            shared.handle(exchange, sink, next, buckets, budgets);
            return;
        }
        long maxOutput = maxOutputTokens(exchange);
        boolean cacheWrites = cacheWrites(exchange);
        BoundPass fast = boundPass(exchange, buckets, budgets, maxOutput, cacheWrites);
        if (fast != null) {
            BudgetSink held = new BudgetSink(sink, exchange, budgets, fast.reserved(), fast.held(), fast.tokens(),
                    new Bound(exchange.api(), exchange.outgoingBody(), exchange.route(), exchange.routes(),
                            escalatesTo(exchange), maxOutput, cacheWrites));
            boundHolders.add(held);
            next.proceed(exchange, held);
            return;
        }
        long prompt = PromptTokens.worstCase(exchange.api(), exchange.body(), TokenCounter.forModel(exchange.route().model()),
                exchange.route().model());
        long tokens = prompt + maxOutput;
        if (!boundHolders.isEmpty() && !budgets.isEmpty() && !roomFor(budgets, worstCase(exchange, prompt, maxOutput, cacheWrites))) {
            tightenInFlight(budgets, buckets);
        }
        RateLimiter.Decision decision = service.rateLimiter().acquire(buckets, tokens);
        if (!decision.allowed() && tightenInFlight(budgets, buckets)) decision = service.rateLimiter().acquire(buckets, tokens);
        if (!decision.allowed()) {
            sink.fail(rateLimited(decision, buckets));
            return;
        }
        Reserved reserved = reserve(exchange, budgets, prompt, maxOutput, cacheWrites);
        if (reserved.blockedBy != null) {
            service.rateLimiter().correct(decision.held(), tokens, 0);
            sink.fail(budgetExceeded(reserved.blockedBy, reserved.worstCase, exchange.arrivedAt()));
            return;
        }
        next.proceed(exchange, new BudgetSink(sink, exchange, budgets, reserved, decision.held(), tokens, null));
    }

    /** What the tokenizer-free first pass took: the rate-limit buckets, the reservations, the token take. */
    private record BoundPass(List<RateLimiter.Buckets> held, Reserved reserved, long tokens) {
    }

    /** The bound is reserved only where this many more of it would still fit. */
    private static final BigDecimal BOUND_HEADROOM = BigDecimal.TEN;

    /**
     * Counting the prompt's tokens is most of what budgets cost a request, so a bound that needs no tokenizer is
     * tried first ({@link #promptBound}: the request body's bytes, and its images at the most their model bills one
     * as). When every rate limit has room
     * for that bound and every budget room for ten more of it, the request goes on with it, and settling replaces it
     * by the real cost as always. Otherwise nothing is kept (no alert, no downgrade) and the caller decides on the exact count,
     * first replacing the bounds of the calls in flight by their counted worst cases ({@link BudgetSink#tighten}), so the
     * decision is the exact one either way, for a burst too.
     */
    private BoundPass boundPass(Exchange exchange, List<RateLimiter.Buckets> buckets, List<BudgetBook.Entry> budgets,
                                long maxOutput, boolean cacheWrites) {
        long bound = promptBound(exchange);
        long tokens = bound + maxOutput;
        RateLimiter.Decision decision = service.rateLimiter().acquire(buckets, tokens);
        if (!decision.allowed()) return null;
        BigDecimal worst = worstCase(exchange, bound, maxOutput, cacheWrites);
        BigDecimal headroom = worst.multiply(BOUND_HEADROOM);
        List<Reservation> held = new ArrayList<>(budgets.size());
        for (BudgetBook.Entry e : budgets) {
            // only far from the limit: near it, a bound held by calls in flight would refuse requests that fit
            Reservation r = e.account().tryReserve(worst, e.budget().limitUsd().subtract(headroom));
            if (r == null) {
                held.forEach(h -> h.account().release(h));
                service.rateLimiter().release(decision.held(), tokens);
                return null;
            }
            held.add(r);
        }
        return new BoundPass(decision.held(), new Reserved(held, List.of(), null, worst, null), tokens);
    }

    /**
     * A prompt's tokens without the tokenizer: no more than its body's bytes (each token is at least one byte of the
     * text, and the JSON around it is longer than the per-message overhead), except for images, a few bytes of URL
     * that may be billed as thousands of tokens each.
     */
    static long promptBound(Exchange exchange) {
        return exchange.outgoingBody().length() + PromptTokens.imageAllowance(exchange.body(), exchange.route().model());
    }

    private static boolean roomFor(List<BudgetBook.Entry> budgets, BigDecimal worst) {
        for (BudgetBook.Entry e : budgets) {
            if (e.account().state().committed().add(worst).compareTo(e.budget().limitUsd()) > 0) return false;
        }
        return true;
    }

    /**
     * Replaces the bound of every call in flight that holds one of these budgets or rate limits by its counted worst
     * case (each is counted once, here, from a copy of its body); true if any was. Only a request near some limit pays
     * for this: the counting those calls skipped.
     */
    private boolean tightenInFlight(List<BudgetBook.Entry> budgets, List<RateLimiter.Buckets> buckets) {
        boolean any = false;
        for (BudgetService.BoundHold h : boundHolders) any |= h.tighten(budgets, buckets);
        return any;
    }

    /** What a call admitted on the bound needs to count its prompt later: its API, body, route, output cap, cache use. */
    private record Bound(Api api, Buffer body, Route route, RouteGroup routes, Tiers.Choice escalatesTo, long maxOutput,
                         boolean cacheWrites) {
    }

    /** A call's holds: its reservations and its token take; {@code bound} while they are the tokenizer-free bound. */
    private record Holds(List<Reservation> reservations, long tokens, boolean bound) {
    }

    /** What {@link #reserve} held, or the budget that refused. */
    private record Reserved(List<Reservation> held, List<BudgetBook.Entry> over, BudgetBook.Entry blockedBy,
                            BigDecimal worstCase, String downgradedFrom) {
    }

    /** Reserves the worst case on every budget, all or nothing; downgrades at most once. */
    private Reserved reserve(Exchange exchange, List<BudgetBook.Entry> budgets, long prompt, long maxOutput, boolean cacheWrites) {
        String downgradedFrom = null;
        for (int attempt = 0; ; attempt++) {
            BigDecimal worst = worstCase(exchange, prompt, maxOutput, cacheWrites);
            List<Reservation> held = new ArrayList<>(budgets.size());
            List<BudgetBook.Entry> over = null;
            BudgetBook.Entry blocked = null;
            for (BudgetBook.Entry e : budgets) {
                Reservation r = e.account().tryReserve(worst, e.budget().limitUsd());
                if (r != null) {
                    held.add(r);
                } else if (e.budget().action() == Budget.Action.BLOCK) {
                    blocked = e;
                    break;
                } else {
                    if (over == null) over = new ArrayList<>(2);
                    over.add(e);
                }
            }
            if (blocked != null) {
                held.forEach(r -> r.account().release(r));
                service.refused(blocked, worst);
                return new Reserved(List.of(), List.of(), blocked, worst, downgradedFrom);
            }
            if (over != null && attempt == 0) {
                Optional<Route> cheaper = downgrade(over, exchange.arrivedAt(), exchange.requestedServiceTier());
                if (cheaper.isPresent() && !cheaper.get().name().equals(exchange.route().name())) {
                    held.forEach(r -> r.account().release(r));
                    downgradedFrom = exchange.route().name();
                    exchange.downgradedFrom(exchange.route());
                    exchange.route(cheaper.get());
                    exchange.routes(router.group(cheaper.get().name()));
                    continue;
                }
            }
            if (over != null) {
                for (BudgetBook.Entry e : over) {
                    service.refused(e, worst);
                    held.add(e.account().forceReserve(worst));
                }
            }
            return new Reserved(held, over == null ? List.of() : over, null, worst, downgradedFrom);
        }
    }

    Optional<Route> downgrade(List<BudgetBook.Entry> over, Instant at, String serviceTier) {
        for (BudgetBook.Entry e : over) {
            // a cheaper model that cannot be priced would walk through the very budget that sent the call to it
            if (e.budget().action() == Budget.Action.DOWNGRADE) return router.route(e.budget().downgradeTo()).filter(r -> !unpriced(r, at, serviceTier));
        }
        return Optional.empty();
    }

    BigDecimal worstCase(Exchange exchange, long prompt, long maxOutput, boolean cacheWrites) {
        String serviceTier = exchange.requestedServiceTier();
        return worstCase(exchange.route(), exchange.routes(), exchange.arrivedAt(), serviceTier, prompt, maxOutput, cacheWrites)
                .add(escalations(escalatesTo(exchange), exchange.arrivedAt(), serviceTier, prompt, maxOutput, cacheWrites));
    }

    /** The tier a cascade may escalate this attempt to (its answer is judged), or null when this attempt's stands. */
    private static Tiers.Choice escalatesTo(Exchange exchange) {
        return exchange.verdict() != null && exchange.tier() != null ? exchange.tier().next() : null;
    }

    /**
     * The worst case of every tier a cascade may still escalate to, from {@code next} up: the cheap attempt is spent
     * before the escalation is made, so admitting the cheap one means affording the whole ladder above it. Otherwise a
     * budget could take the cheap attempt's money and then refuse the escalation, and the client would pay for nothing.
     */
    private BigDecimal escalations(Tiers.Choice next, Instant at, String serviceTier, long prompt, long maxOutput, boolean cacheWrites) {
        BigDecimal sum = BigDecimal.ZERO;
        for (Tiers.Choice t = next; t != null; t = t.next()) sum = sum.add(worstCase(t.route(), t.group(), at, serviceTier, prompt, maxOutput, cacheWrites));
        return sum;
    }

    /**
     * A route group's reservation is its dearest deployment's worst case: attempts that fail before any content cost
     * nothing, so whichever deployment serves, the one reservation covers it (a fallback to a pricier model included).
     */
    private BigDecimal worstCase(Route route, RouteGroup routes, Instant at, String serviceTier, long prompt, long maxOutput,
                                 boolean cacheWrites) {
        if (routes == null) return worstCase(route, at, serviceTier, prompt, maxOutput, cacheWrites);
        BigDecimal worst = BigDecimal.ZERO;
        for (Route priced : routes.priced()) worst = worst.max(worstCase(priced, at, serviceTier, prompt, maxOutput, cacheWrites));
        return worst;
    }

    /**
     * The most the call may cost at the standard tier or at the service tier it asks for, whichever is dearer: OpenAI
     * may serve a priority request at the standard tier, and a flex one costs less than standard, so a flex request is
     * held at standard rates (an upper bound that cannot slip) and settled at flex ones once the answer says so.
     */
    private BigDecimal worstCase(Route route, Instant at, String serviceTier, long prompt, long maxOutput, boolean cacheWrites) {
        Optional<ModelPrice> price = price(route, at);
        if (price.isEmpty()) return BigDecimal.ZERO;
        BigDecimal standard = WorstCase.cost(price.get(), prompt, maxOutput, cacheWrites);
        String tier = servedTier(route, serviceTier);
        if (tier == null) return standard;
        return price.get().atServiceTier(tier).map(p -> WorstCase.cost(p, prompt, maxOutput, cacheWrites).max(standard)).orElse(standard);
    }

    /**
     * The non-standard service tier a route may bill the request at, or null: {@code service_tier} goes to OpenAI-format
     * providers as the client sent it, and means nothing to the others (a translation drops it).
     */
    private static String servedTier(Route route, String requested) {
        return ModelPrice.isStandardTier(requested) || !"openai".equals(route.provider().type()) ? null : requested;
    }

    /** The price a route's calls are charged at; none for a model the config marks free (it costs 0 here). */
    private Optional<ModelPrice> price(Route route, Instant at) {
        return route.free() ? Optional.empty() : catalog.get().priceAt(route.pricedAs(), at);
    }

    /** The deployment this request may reach whose calls cannot be priced (a fallback's included), or null. */
    private Route unpriced(Exchange exchange) {
        String tier = exchange.requestedServiceTier();
        if (exchange.routes() == null) return unpriced(exchange.route(), exchange.arrivedAt(), tier) ? exchange.route() : null;
        for (Route priced : exchange.routes().priced()) if (unpriced(priced, exchange.arrivedAt(), tier)) return priced;
        return null;
    }

    /**
     * Whether a call to this route cannot be priced, at the service tier it asks for included: a budget could not count
     * it, so it must not let it through.
     */
    private boolean unpriced(Route route, Instant at, String serviceTier) {
        if (route.free()) return false;
        Optional<ModelPrice> price = catalog.get().priceAt(route.pricedAs(), at);
        String tier = servedTier(route, serviceTier);
        return price.isEmpty() || (tier != null && price.get().atServiceTier(tier).isEmpty());
    }

    /**
     * The refusal of a call no budget can count. 403 rather than 429 or 5xx: waiting or retrying cannot help (the SDKs
     * retry neither 403 nor, told so, this), and the fix is the operator's, so the message says what to change.
     */
    static GatewayError notPriced(Route route, BudgetBook.Entry budget) {
        return notPriced(route, budget, null);
    }

    /** {@link #notPriced(Route, BudgetBook.Entry)} for a request at a service tier ({@code service_tier}) with no price. */
    static GatewayError notPriced(Route route, BudgetBook.Entry budget, String serviceTier) {
        String model = route.name().equals(route.pricedAs()) ? "'" + route.name() + "'" : "'" + route.name() + "' (priced as '" + route.pricedAs() + "')";
        if (serviceTier != null) {
            return new GatewayError(403, "invalid_request_error", "model_not_priced", "model " + model + " has no price at service_tier '"
                    + serviceTier + "', so budget '" + budget.budget().name() + "' (" + budget.budget().scope() + ") cannot count what this"
                    + " request would cost, and it was not sent. Send it without service_tier, or the gateway's operator can add"
                    + " service_tiers: {" + serviceTier + ": {input, cached_input, output}} to the price of '" + route.pricedAs()
                    + "' under prices: in the config", "service_tier", Map.of("x-should-retry", "false"));
        }
        return new GatewayError(403, "invalid_request_error", "model_not_priced", "model " + model + " has no price, so budget '"
                + budget.budget().name() + "' (" + budget.budget().scope() + ") cannot count what this request would cost, and it was not sent."
                + " The gateway's operator can add a price for '" + route.pricedAs() + "' under prices: in the config, point the model's"
                + " price_as at a priced model, or mark it free: true under models: if its cost is counted elsewhere (self-hosted)",
                "model", Map.of("x-should-retry", "false"));
    }

    private static final byte[] CACHE_CONTROL = "\"cache_control\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** Whether the prompt may be billed as cache writes dearer than input, so the worst case must hold it at that rate. */
    boolean cacheWrites(Exchange exchange) {
        return cacheWritesCostMore(exchange) && asksToCache(exchange.outgoingBody());
    }

    /** Whether the model bills cache writes above its input rate (Anthropic's do); for others the scan is skipped. */
    private boolean cacheWritesCostMore(Exchange exchange) {
        if (exchange.routes() != null) {
            for (Route priced : exchange.routes().priced()) if (cacheWritesCostMore(priced, exchange.arrivedAt())) return true;
            return false;
        }
        return cacheWritesCostMore(exchange.route(), exchange.arrivedAt());
    }

    private boolean cacheWritesCostMore(Route route, Instant at) {
        Optional<ModelPrice> price = price(route, at);
        if (price.isEmpty()) return false;
        var r = price.get().rates();
        return r.cacheWrite5m().compareTo(r.input()) > 0 || r.cacheWrite1h().compareTo(r.input()) > 0;
    }

    /** Whether the body asks the provider to cache its prompt (Anthropic's cache_control), which may bill cache writes. */
    private static boolean asksToCache(Buffer body) {
        return io.netty.buffer.ByteBufUtil.indexOf(io.netty.buffer.Unpooled.wrappedBuffer(CACHE_CONTROL), BufferBytes.region(body)) >= 0;
    }

    /** The output cap the client set, in its API's own field, or the configured default; times the answers asked for. */
    long maxOutputTokens(Exchange exchange) {
        return maxOutputTokens(exchange.api(), exchange.body(), defaultMaxOutput);
    }

    /**
     * The most output a request may be billed for, as the gateway reserves it (and {@code tollgate tokens count} shows
     * it): the client's cap, else {@code defaultMaxOutput} (which {@link #capped} then sends upstream), times the
     * answers asked for; 0 for APIs without output.
     */
    public static long maxOutputTokens(Api api, JsonNode body, long defaultMaxOutput) {
        if (capField(api, body) == null) return 0;
        long set = clientCap(api, body);
        long cap = set >= 0 ? set : defaultMaxOutput;
        // n (and a completion's best_of) answers are each up to the cap, and all are billed; providers allow at most
        // 128, and the clamps keep an absurd value from overflowing into a negative worst case
        long answers = Math.min(MAX_ANSWERS, Math.max(1, Math.max(count(body.get("n")), count(body.get("best_of")))));
        return Math.min(cap, Long.MAX_VALUE / (4 * MAX_ANSWERS)) * answers;
    }

    /** The field an API's output cap is read from; null for APIs that generate no output. */
    private static String capField(Api api, JsonNode body) {
        return switch (api) {
            case OPENAI_EMBEDDINGS, ANTHROPIC_COUNT_TOKENS -> null;
            case OPENAI_RESPONSES -> "max_output_tokens";
            case OPENAI_CHAT -> body.hasNonNull("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
            case OPENAI_COMPLETIONS, ANTHROPIC_MESSAGES -> "max_tokens";
        };
    }

    /** The cap the client set, or -1 when it set none (or none a provider would take as one). */
    public static long clientCap(Api api, JsonNode body) {
        String field = capField(api, body);
        JsonNode value = field == null ? null : body.get(field);
        return value != null && value.canConvertToLong() && value.asLong() >= 0 ? value.asLong() : -1;
    }

    /** Whether the request generates output and the client set no cap on it. */
    private static boolean uncapped(Exchange exchange) {
        return capField(exchange.api(), exchange.body()) != null && clientCap(exchange.api(), exchange.body()) < 0;
    }

    /**
     * The rest of the path, with the output cap the reservation assumed written into a request that set none: else
     * the provider would be free to write as long an answer as it likes and bill more than was reserved. Applied
     * just before the call, once a downgrade has chosen the model, whose family decides the field; the response says
     * so in {@value #MAX_TOKENS_APPLIED_HEADER}.
     */
    private Chain capped(Chain rest) {
        return (exchange, sink) -> {
            ObjectNode body = exchange.body();
            String field = "max_tokens";
            if (exchange.api() == Api.OPENAI_RESPONSES) {
                field = "max_output_tokens";
            } else if (exchange.api() == Api.OPENAI_CHAT) {
                body.remove("max_completion_tokens"); // a null or unusable value would otherwise stand beside the cap
                Route route = exchange.route();
                if (MessagesOverOpenAi.usesCompletionTokens(route.model()) || MessagesOverOpenAi.usesCompletionTokens(route.pricedAs())) {
                    body.remove("max_tokens");
                    field = "max_completion_tokens";
                }
            }
            body.put(field, defaultMaxOutput);
            exchange.markBodyChanged();
            String applied = String.valueOf(defaultMaxOutput);
            rest.proceed(exchange, new ReplySink.Forwarding(sink) {
                @Override
                public void start(int status, MultiMap headers) {
                    headers.set(MAX_TOKENS_APPLIED_HEADER, applied);
                    next.start(status, headers);
                }
            });
        };
    }

    private static final long MAX_ANSWERS = 128;

    private static long count(JsonNode n) {
        return n != null && n.canConvertToLong() ? n.asLong() : 1;
    }

    /** A route is allowed only when every deployment a fallback may reach is. */
    private static boolean allowed(SpendControls.SandboxKey key, Exchange exchange) {
        if (exchange.routes() == null) return allowed(key, exchange.route());
        if (key.allow().contains(exchange.route().name())) return true;
        for (Deployment d : exchange.routes().deployments()) {
            if (!allowed(key, d.target())) return false;
        }
        return true;
    }

    private static boolean allowed(SpendControls.SandboxKey key, Route route) {
        if (key.allow().isEmpty()) return route.provider().name().startsWith("sandbox");
        return key.allow().contains(route.provider().name()) || key.allow().contains(route.name());
    }

    private static String allowList(SpendControls.SandboxKey key) {
        return key.allow().isEmpty() ? "the sandbox provider" : String.join(", ", key.allow());
    }

    static GatewayError budgetExceeded(BudgetBook.Entry entry, BigDecimal worst, Instant now) {
        Budget b = entry.budget();
        var state = entry.state();
        Period.Window window = entry.window(now);
        String message = "budget '" + b.name() + "' (" + b.scope() + ") cannot afford this request: " + BudgetWords.usd(state.spent())
                + " of " + BudgetWords.usd(b.limitUsd()) + " spent " + BudgetWords.period(b)
                + (state.reserved().signum() > 0 ? " (" + BudgetWords.usd(state.reserved()) + " more held by requests in flight)" : "")
                + " and this request may cost up to " + BudgetWords.usd(worst) + "; resets " + BudgetWords.reset(b, window);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(BUDGET_HEADER, b.name());
        headers.put(REMAINING_HEADER, BudgetWords.exact(entry.remaining()));
        // the OpenAI and Anthropic SDKs retry a 429 unless told not to; the budget will not afford it seconds later
        headers.put("x-should-retry", "false");
        if (window.end() != Instant.MAX) {
            headers.put("x-tollgate-budget-reset", window.end().toString());
            headers.put("retry-after", String.valueOf(Math.max(1, window.end().getEpochSecond() - now.getEpochSecond())));
        }
        return new GatewayError(429, "budget_exceeded", "budget_exceeded", message, null, headers);
    }

    /** An answer's budget headers: what its tightest budget has left (and which it is), and the model a downgrade replaced. */
    static void budgetHeaders(MultiMap headers, BudgetBook.Entry tightest, BigDecimal remaining, String downgradedFrom) {
        if (tightest != null) {
            headers.set(REMAINING_NAME, AsciiHeaders.of(BudgetWords.exact(remaining)));
            headers.set(BUDGET_NAME, tightest.nameHeader());
        }
        if (downgradedFrom != null) headers.set(DOWNGRADED_HEADER, downgradedFrom);
    }

    private GatewayError rateLimited(RateLimiter.Decision d, List<RateLimiter.Buckets> buckets) {
        RateLimiter.Buckets by = buckets.stream().filter(b -> b.scope().equals(d.refusedBy())).findFirst().orElseThrow();
        long perMinute = d.refusedTokens() ? by.tokens().perMinute() : by.requests().perMinute();
        return RateLimitHeaders.refused(d.refusedBy(), d.refusedTokens(), perMinute, d.retryAfterNanos(),
                RateLimitHeaders.of(buckets, service.rateLimiter().now()));
    }

    /** Settles the reservations when metering has priced the call, or releases them if it never was. */
    private final class BudgetSink extends ReplySink.Forwarding implements BudgetService.BoundHold {
        private final Exchange exchange;
        private final List<BudgetBook.Entry> budgets;
        private final Reserved reserved;
        private final List<RateLimiter.Buckets> buckets;
        /** Null once settled; swapped from the bound to the counted worst case by {@link #tighten}, from any thread. */
        private final AtomicReference<Holds> holds;
        /** Null unless the call was admitted on the bound. */
        private final Bound bound;

        BudgetSink(ReplySink next, Exchange exchange, List<BudgetBook.Entry> budgets, Reserved reserved,
                   List<RateLimiter.Buckets> buckets, long reservedTokens, Bound bound) {
            super(next);
            this.exchange = exchange;
            this.budgets = budgets;
            this.reserved = reserved;
            this.buckets = buckets;
            this.bound = bound;
            this.holds = new AtomicReference<>(new Holds(reserved.held, reservedTokens, bound != null));
        }

        @Override
        public void usage(Usage usage, String servedModel, boolean estimated) {
            settle(exchange.cost() == null ? BigDecimal.ZERO : exchange.cost(), usage.totalTokens());
            next.usage(usage, servedModel, estimated);
        }

        @Override
        public void start(int status, MultiMap headers) {
            BudgetBook.Entry tightest = null;
            BigDecimal least = null;
            for (BudgetBook.Entry e : budgets) {
                BigDecimal left = e.remaining();
                if (least == null || left.compareTo(least) < 0) {
                    tightest = e;
                    least = left;
                }
            }
            budgetHeaders(headers, tightest, least, reserved.downgradedFrom);
            if (!buckets.isEmpty()) RateLimitHeaders.put(RateLimitHeaders.of(buckets, service.rateLimiter().now()), headers);
            next.start(status, headers);
        }

        @Override
        public void end() {
            settle(BigDecimal.ZERO, 0);
            next.end();
        }

        @Override
        public void fail(GatewayError error) {
            settle(BigDecimal.ZERO, 0);
            next.fail(error);
        }

        private void settle(BigDecimal cost, long tokensUsed) {
            Holds h = holds.getAndSet(null);
            if (h == null) return;
            if (bound != null) boundHolders.remove(this);
            for (Reservation r : h.reservations()) r.account().settle(r, cost);
            service.rateLimiter().correct(buckets, h.tokens(), tokensUsed);
            if (cost.signum() > 0) for (BudgetBook.Entry e : budgets) service.checkThresholds(e, false);
        }

        private boolean shares(List<BudgetBook.Entry> theirBudgets, List<RateLimiter.Buckets> theirBuckets) {
            for (BudgetBook.Entry e : theirBudgets) for (BudgetBook.Entry mine : budgets) if (e.account() == mine.account()) return true;
            for (RateLimiter.Buckets b : theirBuckets) for (RateLimiter.Buckets mine : buckets) if (b == mine) return true;
            return false;
        }

        /** Counts the prompt and gives back what the bound held beyond the counted worst case. */
        @Override
        public boolean tighten(List<BudgetBook.Entry> theirBudgets, List<RateLimiter.Buckets> theirBuckets) {
            if (!shares(theirBudgets, theirBuckets)) return false;
            boundHolders.remove(this);
            Holds loose = holds.get();
            if (loose == null || !loose.bound()) return false;
            long prompt = PromptTokens.worstCase(bound.api(), Json.tree(bound.body()), TokenCounter.forModel(bound.route().model()),
                    bound.route().model());
            String serviceTier = exchange.requestedServiceTier();
            BigDecimal worst = worstCase(bound.route(), bound.routes(), exchange.arrivedAt(), serviceTier, prompt, bound.maxOutput(), bound.cacheWrites())
                    .add(escalations(bound.escalatesTo(), exchange.arrivedAt(), serviceTier, prompt, bound.maxOutput(), bound.cacheWrites()));
            List<Reservation> exact = new ArrayList<>(loose.reservations().size());
            for (Reservation r : loose.reservations()) exact.add(new Reservation(r.account(), r.periodStart(), worst));
            Holds tight = new Holds(exact, prompt + bound.maxOutput(), false);
            if (!holds.compareAndSet(loose, tight)) return false;
            // the difference is given back whether or not the call settles first: settling takes only the tight amount
            for (Reservation r : loose.reservations()) {
                r.account().release(new Reservation(r.account(), r.periodStart(), r.amount().subtract(worst)));
            }
            service.rateLimiter().correct(buckets, loose.tokens(), tight.tokens());
            return true;
        }
    }
}
