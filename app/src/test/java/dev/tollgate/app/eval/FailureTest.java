package dev.tollgate.app.eval;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Which failures a rerun of the same command completes, and what the report tells the user to do about the others. */
class FailureTest {

    static Failure status(int status, String code) {
        return new Failure(status, code, null, null);
    }

    @Test
    void aRerunCompletesWhatFailedForNowOnly() {
        for (Failure f : new Failure[]{status(0, null), status(429, "rate_limit_exceeded"), status(429, "runaway_throttled"),
                status(500, "server_error"), status(502, "upstream_error"), status(503, null), status(504, "upstream_timeout")}) {
            assertThat(f.rerunCompletes()).as(f.toString()).isTrue();
            assertThat(f.advice()).isEqualTo("run the same command again to complete them");
        }
        for (Failure f : new Failure[]{new Failure(429, "budget_exceeded", "eval-month", null), status(400, "invalid_request_error"),
                status(401, "invalid_api_key"), status(403, "model_not_priced"), status(404, "model_not_found"), status(413, null)}) {
            assertThat(f.rerunCompletes()).as(f.toString()).isFalse();
            assertThat(f.advice()).doesNotContain("run the same command again to complete them");
        }
    }

    @Test
    void eachSaysWhatToDo() {
        assertThat(new Failure(429, "budget_exceeded", "eval-month", "2027-01-01T00:00:00Z").why() + "; "
                + new Failure(429, "budget_exceeded", "eval-month", "2027-01-01T00:00:00Z").advice())
                .isEqualTo("refused by budget 'eval-month' (limit reached); raise it or wait for its period (it resets 2027-01-01T00:00:00Z),"
                        + " then run the same command again");
        assertThat(status(401, "invalid_api_key").advice()).contains("--key or $TOLLGATE_API_KEY");
        assertThat(status(404, "model_not_found").why()).isEqualTo("asked of a model the gateway does not serve (HTTP 404)");
        assertThat(status(400, "invalid_request_error").why()).isEqualTo("refused as bad requests (HTTP 400 invalid_request_error)");
    }
}
