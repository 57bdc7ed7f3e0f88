package dev.tollgate.gateway.translate;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.gateway.Json;
import io.vertx.core.buffer.Buffer;

import java.io.IOException;

/**
 * What a provider's complete answer says it used and which model served it, read in one pass over its bytes: the
 * generated text is skipped and the usage object read field by field, with no tree built (this runs on every call).
 *
 * @param usage null when the answer has no usage object, or one that cannot be billed ({@link UsageFields})
 * @param model null when the answer names none
 * @param serviceTier the service tier that served the call, as OpenAI's answers name it ({@code "default"},
 *                    {@code "flex"}, {@code "priority"}); null when the answer names none
 */
public record AnswerHead(Usage usage, String model, String serviceTier) {

    /** Reads one dialect's usage object, from the parser at its start to its end. */
    public interface UsageReader {
        Usage read(JsonParser parser) throws IOException;
    }

    /** The head of {@code body}; what was read before a malformed part still counts, and a body that is no object has none. */
    public static AnswerHead read(Buffer body, UsageReader usageReader) {
        Usage usage = null;
        String model = null;
        String serviceTier = null;
        try (JsonParser p = Json.parser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) return new AnswerHead(null, null, null);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals("usage") && value == JsonToken.START_OBJECT) {
                    usage = usageReader.read(p);
                } else if (name.equals("model") && value.isScalarValue() && value != JsonToken.VALUE_NULL) {
                    model = p.getText();
                } else if (name.equals("service_tier") && value == JsonToken.VALUE_STRING) {
                    serviceTier = p.getText();
                } else {
                    p.skipChildren();
                }
            }
        } catch (IOException e) {
            // the fields read before the malformed part are still the answer's
        }
        return new AnswerHead(usage, model, serviceTier);
    }
}
