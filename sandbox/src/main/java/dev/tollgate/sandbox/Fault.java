package dev.tollgate.sandbox;

import java.util.concurrent.ThreadLocalRandom;

/** What goes wrong with one request, if anything: asked for by {@code x-sandbox-fault} or drawn from the rates. */
enum Fault {
    NONE, SERVER_ERROR, OVERLOADED, OVERLOADED_529, RATE_LIMITED, TIMEOUT, CUT,
    /** A stream that opens (HTTP 200, its opening events) and then refuses in-band before its first content. */
    STREAM_ERROR,
    /** A stream that opens and then sends nothing more, the connection left open. */
    STALL,
    /** A stream whose first event is not JSON. */
    MALFORMED;

    /** The header's value wins; without it, one draw against the configured rates. */
    static Fault decide(String header, SandboxConfig config) {
        if (header != null) return parse(header);
        double p5xx = config.faultRate5xx(), p429 = config.faultRate429();
        double pTimeout = config.faultRateTimeout(), pCut = config.faultRateCut();
        if (p5xx + p429 + pTimeout + pCut == 0) return NONE;
        double draw = ThreadLocalRandom.current().nextDouble();
        if ((draw -= p5xx) < 0) return SERVER_ERROR;
        if ((draw -= p429) < 0) return RATE_LIMITED;
        if ((draw -= pTimeout) < 0) return TIMEOUT;
        if (draw - pCut < 0) return CUT;
        return NONE;
    }

    private static Fault parse(String header) {
        return switch (header.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "500" -> SERVER_ERROR;
            case "503" -> OVERLOADED;
            case "529" -> OVERLOADED_529;
            case "429" -> RATE_LIMITED;
            case "timeout" -> TIMEOUT;
            case "cut" -> CUT;
            default -> openingFault(header.trim().toLowerCase(java.util.Locale.ROOT));
        };
    }

    /** Faults of a stream's opening, before its first content (issue 13: what fallbacks must survive). */
    private static Fault openingFault(String value) {
        return switch (value) {
            case "stream-error" -> STREAM_ERROR;
            case "stall" -> STALL;
            case "malformed" -> MALFORMED;
            default -> NONE;
        };
    }

    /** The HTTP status of an error fault. */
    int status() {
        return switch (this) {
            case SERVER_ERROR -> 500;
            case OVERLOADED -> 503;
            case OVERLOADED_529 -> 529;
            case RATE_LIMITED -> 429;
            default -> throw new IllegalStateException(this + " is not an error response");
        };
    }

    boolean isErrorResponse() {
        return this == SERVER_ERROR || this == OVERLOADED || this == OVERLOADED_529 || this == RATE_LIMITED;
    }
}
