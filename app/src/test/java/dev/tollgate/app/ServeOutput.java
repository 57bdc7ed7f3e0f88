package dev.tollgate.app;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The output of a {@code serve} run as a child process, read to its end on a thread of its own (so the pipe never
 * fills and nothing it prints after it listens is missed), and the port it says it listens on.
 */
final class ServeOutput {

    private static final Pattern LISTENING = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)");

    private final StringBuilder text = new StringBuilder();
    private final CompletableFuture<Integer> port = new CompletableFuture<>();
    private final Thread reader;

    ServeOutput(Process serve) {
        BufferedReader lines = new BufferedReader(new InputStreamReader(serve.getInputStream()));
        reader = Thread.ofPlatform().daemon(true).name("serve-output").start(() -> {
            try {
                String line;
                while ((line = lines.readLine()) != null) {
                    synchronized (text) {
                        text.append(line).append('\n');
                    }
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) port.complete(Integer.parseInt(m.group(1)));
                }
            } catch (IOException e) {
                // the process is gone
            }
            port.completeExceptionally(new AssertionError("serve exited before it listened; it printed:\n" + text()));
        });
    }

    /** The port serve listens on, once it says so; an error with what it printed when it exits first or takes longer. */
    int awaitPort(Duration within) throws InterruptedException {
        try {
            return port.get(within.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw (AssertionError) e.getCause();
        } catch (TimeoutException e) {
            throw new AssertionError("serve did not listen within " + within.toSeconds() + " s; it printed:\n" + text());
        }
    }

    /** Everything serve printed, to its end (call once it has stopped: waits up to 10 s for the last lines). */
    String whole() throws InterruptedException {
        reader.join(Duration.ofSeconds(10));
        return text();
    }

    /** Everything serve has printed so far. */
    String text() {
        synchronized (text) {
            return text.toString();
        }
    }
}
