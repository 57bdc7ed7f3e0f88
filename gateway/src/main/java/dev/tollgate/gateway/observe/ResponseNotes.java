package dev.tollgate.gateway.observe;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a span reports that the ledger row does not hold: the request's output-token cap, and the response's id and
 * finish reasons, noted while the reply passes through the gateway and kept by request id until the row becomes a
 * span. Bounded like {@link TraceParents}: a request that never reaches the ledger is forgotten once
 * {@value TraceParents#CAPACITY} newer ones are kept.
 */
final class ResponseNotes {

    /** The first {@code "id"} of a reply: chatcmpl-…, msg_…, resp_… (in a stream, in its first event). */
    private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([^\"\\\\]{1,256})\"");
    /** OpenAI's {@code finish_reason} per choice, Anthropic's {@code stop_reason}; null ones (mid-stream) do not match. */
    private static final Pattern FINISH = Pattern.compile("\"(?:finish_reason|stop_reason)\"\\s*:\\s*\"([^\"\\\\]{1,64})\"");
    private static final int MAX_REASONS = 16;

    /** One request's notes. */
    static final class Note {
        final Long maxTokens;
        private String responseId;
        private final List<String> finishReasons = new ArrayList<>(1);

        Note(Long maxTokens) {
            this.maxTokens = maxTokens;
        }

        /** Reads a piece of the reply (a JSON body, or SSE events) as it goes to the client. */
        synchronized void read(String text) {
            if (responseId == null) {
                Matcher id = ID.matcher(text);
                if (id.find()) responseId = id.group(1);
            }
            if (!text.contains("_reason")) return;
            Matcher finish = FINISH.matcher(text);
            while (finish.find() && finishReasons.size() < MAX_REASONS) finishReasons.add(finish.group(1));
        }

        synchronized String responseId() {
            return responseId;
        }

        synchronized List<String> finishReasons() {
            return List.copyOf(finishReasons);
        }
    }

    private final Map<String, Note> byRequest = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Note> eldest) {
            return size() > TraceParents.CAPACITY;
        }
    };

    /** Starts the notes of a request whose body is {@code body} (null when it has none). */
    Note open(String requestId, JsonNode body) {
        Note note = new Note(maxTokens(body));
        synchronized (byRequest) {
            byRequest.put(requestId, note);
        }
        return note;
    }

    /** The request's notes (forgetting them), or null. */
    Note take(String requestId) {
        synchronized (byRequest) {
            return byRequest.isEmpty() ? null : byRequest.remove(requestId);
        }
    }

    /** The cap on output tokens the client asked for, in whichever API's words. */
    static Long maxTokens(JsonNode body) {
        if (body == null) return null;
        for (String field : List.of("max_tokens", "max_completion_tokens", "max_output_tokens")) {
            if (body.path(field).canConvertToLong() && body.path(field).isIntegralNumber()) return body.path(field).asLong();
        }
        return null;
    }
}
