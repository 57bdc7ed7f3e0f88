package dev.tollgate.gateway.budget;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.alert.Alert;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.config.SpendControls;
import dev.tollgate.store.BudgetStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Sends alerts off the request path: {@link #fire} only hands the alert to one background thread, which claims it in
 * the store ({@link BudgetStore#claim}) and, if this gateway won the claim, logs it and posts it to every channel,
 * retrying failures with exponential backoff. Replicas sharing a store send each threshold once per period: the one
 * whose claim lands sends it, the others stay quiet. If the store cannot be reached the alert is sent anyway (twice
 * beats never).
 *
 * <p>Slack channels get {@code {"text": …}} (any Slack-compatible incoming webhook). Webhook channels get the alert as
 * JSON, signed with HMAC-SHA256 of the exact body under the channel's secret: {@code x-tollgate-signature:
 * sha256=<hex>}.
 */
public final class AlertDispatcher implements AutoCloseable {

    public static final String SIGNATURE_HEADER = "x-tollgate-signature";
    private static final Logger log = LoggerFactory.getLogger(AlertDispatcher.class);

    private final SpendControls.Alerts settings;
    private final BudgetStore store;
    private final ScheduledExecutorService executor;
    // made at the first delivery, on the alert thread (the only one that uses it): most runs never send an alert, and
    // building it took about a fifth of a second of start-up
    private HttpClient http;

    public AlertDispatcher(SpendControls.Alerts settings, BudgetStore store) {
        this.settings = settings;
        this.store = store;
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tollgate-alerts");
            t.setDaemon(true);
            return t;
        });
    }

    /** Queues the alert for the store, the log and the channels. Returns at once. */
    public void fire(Alert alert) {
        try {
            executor.execute(() -> deliverAll(alert));
        } catch (RejectedExecutionException e) {
            log.warn("alert '{}' not sent: the gateway is shutting down", alert.message());
        }
    }

    private void deliverAll(Alert alert) {
        try {
            if (!store.claim(alert)) {
                log.debug("alert '{}' was already sent for this period (by another replica)", alert.message());
                return;
            }
        } catch (RuntimeException e) {
            log.warn("could not record alert '{}' in the store: {}", alert.message(), e.getMessage());
        }
        log.warn("ALERT {} {}: {}", alert.kind(), alert.subject(), alert.message());
        for (SpendControls.Channel channel : settings.channels()) deliver(channel, alert, 1);
    }

    private void deliver(SpendControls.Channel channel, Alert alert, int attempt) {
        String body = body(channel, alert);
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(channel.url()))
                .timeout(Duration.ofSeconds(10))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (channel.secret() != null) request.header(SIGNATURE_HEADER, "sha256=" + hmacSha256(channel.secret(), body));
        if (http == null) http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).executor(executor).build();
        http.sendAsync(request.build(), HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
            if (error == null && response.statusCode() / 100 == 2) return;
            String why = error != null ? error.toString() : "HTTP " + response.statusCode();
            if (attempt >= settings.maxAttempts()) {
                log.error("alert '{}' not delivered to {} after {} attempts: {}", alert.message(), channel.url(), attempt, why);
                return;
            }
            long delay = settings.firstBackoff().toMillis() << Math.min(attempt - 1, 16);
            log.info("alert delivery to {} failed ({}); attempt {} in {} ms", channel.url(), why, attempt + 1, delay);
            try {
                executor.schedule(() -> deliver(channel, alert, attempt + 1), delay, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                log.warn("alert '{}' not retried to {}: the gateway is shutting down", alert.message(), channel.url());
            }
        });
    }

    static String body(SpendControls.Channel channel, Alert alert) {
        if (channel.type().equals("slack")) {
            return Json.buffer(Json.object().put("text", ":rotating_light: *Tollgate* " + alert.message())).toString();
        }
        return json(alert).toString();
    }

    /** The alert as the webhook and the admin API show it. */
    public static ObjectNode json(Alert alert) {
        ObjectNode node = Json.object();
        node.put("time", alert.time().toString()).put("kind", alert.kind()).put("subject", alert.subject())
                .put("message", alert.message());
        ObjectNode details = node.putObject("details");
        alert.details().forEach(details::put);
        return node;
    }

    public static String hmacSha256(String secret, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    /** Stops taking alerts; waits up to two seconds for queued ones to be recorded and sent (retries are dropped). */
    @Override
    public void close() {
        executor.shutdown();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
