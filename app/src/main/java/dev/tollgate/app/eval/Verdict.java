package dev.tollgate.app.eval;

/** A scorer's (or a person's) verdict on one answer, with the reason. */
public record Verdict(boolean pass, String reason) {

    static Verdict pass(String reason) {
        return new Verdict(true, reason);
    }

    static Verdict fail(String reason) {
        return new Verdict(false, reason);
    }
}
