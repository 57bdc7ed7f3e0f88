package dev.tollgate.gateway;

/** The client's side of an exchange, as the request path needs it: flow control and hang-ups. */
public interface ClientConnection {

    /** Runs {@code action} if the client goes away before the reply is complete. */
    void onClose(Runnable action);

    /** True when the client reads slower than the provider writes; the caller should pause until {@link #onDrain}. */
    boolean writeQueueFull();

    void onDrain(Runnable action);

    ClientConnection NONE = new ClientConnection() {
        @Override public void onClose(Runnable action) { }
        @Override public boolean writeQueueFull() { return false; }
        @Override public void onDrain(Runnable action) { }
    };
}
