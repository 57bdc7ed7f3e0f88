package dev.tollgate.app;

/**
 * A mistake the user can put right (a path, a port, a file's content): its message is the whole story, one line
 * naming the thing and what to do, and {@link Failures} prints it without a stack trace.
 */
final class UserError extends RuntimeException {

    UserError(String message) {
        super(message);
    }

    UserError(String message, Throwable cause) {
        super(message, cause);
    }
}
