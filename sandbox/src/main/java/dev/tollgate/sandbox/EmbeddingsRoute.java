package dev.tollgate.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.core.tokens.TokenCounter;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;

/**
 * OpenAI's embeddings: a unit vector per input, so equal inputs embed equally, and texts that share words and
 * spellings point in similar directions. It is a lexical stand-in for a real model, not a semantic one: each
 * lowercased word and each character trigram of a word (with its boundaries) adds ±1 to a dimension chosen by a
 * hash of it (feature hashing), and the sum is normalized. "How do I reset my password?" and "how can I reset my
 * password" come out close; so, unlike with a real model, do "reset my password" and "reset my router". Input
 * with no letters or digits falls back to a vector drawn from a hash of the text. 1536 dimensions (3072 for
 * text-embedding-3-large) unless {@code dimensions} asks for fewer.
 */
final class EmbeddingsRoute {

    private final long seed;

    EmbeddingsRoute(long seed) {
        this.seed = seed;
    }

    void embeddings(Call call) {
        JsonNode body = call.body;
        if (call.model().isEmpty()) {
            call.badRequest("you must provide a model parameter");
            return;
        }
        List<String> inputs = inputs(body.get("input"));
        if (inputs == null) {
            call.badRequest("'input' must be a string, an array of strings, or an array of token arrays.");
            return;
        }
        int defaultDimensions = call.model().contains("large") ? 3072 : 1536;
        int dimensions = Json.intOr(body, "dimensions", defaultDimensions);
        if (dimensions < 1 || dimensions > defaultDimensions) {
            call.badRequest("'dimensions' must be between 1 and " + defaultDimensions + ".");
            return;
        }
        boolean base64 = "base64".equals(body.path("encoding_format").asText());
        TokenCounter counter = call.counter();
        ObjectNode list = Json.object().put("object", "list");
        ArrayNode data = list.putArray("data");
        for (int i = 0; i < inputs.size(); i++) {
            float[] vector = vector(inputs.get(i), dimensions);
            ObjectNode item = data.addObject().put("object", "embedding").put("index", i);
            if (base64) {
                item.put("embedding", base64(vector));
            } else {
                ArrayNode values = item.putArray("embedding");
                for (float v : vector) values.add(v);
            }
        }
        list.put("model", call.model());
        int tokens = tokens(counter, body.get("input"));
        list.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
        call.json(list);
    }

    /** Each input as text to hash (token arrays by their numbers), or null when the shape is wrong. */
    private static List<String> inputs(JsonNode input) {
        if (input == null) return null;
        if (input.isTextual()) return List.of(input.asText());
        if (!input.isArray() || input.isEmpty()) return null;
        if (input.get(0).isNumber()) return List.of(input.toString());
        List<String> inputs = new ArrayList<>(input.size());
        for (JsonNode item : input) {
            if (item.isTextual()) inputs.add(item.asText());
            else if (item.isArray()) inputs.add(item.toString());
            else return null;
        }
        return inputs;
    }

    /** Input tokens: text is counted, a token array is its length. */
    private static int tokens(TokenCounter counter, JsonNode input) {
        if (input.isTextual()) return counter.count(input.asText());
        if (input.get(0).isNumber()) return input.size();
        int tokens = 0;
        for (JsonNode item : input) tokens += item.isTextual() ? counter.count(item.asText()) : item.size();
        return tokens;
    }

    float[] vector(String text, int dimensions) {
        float[] vector = new float[dimensions];
        double norm = 0;
        for (String word : text.toLowerCase(java.util.Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (word.isEmpty()) continue;
            add(vector, word, dimensions);
            String bounded = "<" + word + ">";
            for (int i = 0; i + 3 <= bounded.length(); i++) add(vector, bounded.substring(i, i + 3), dimensions);
        }
        for (float v : vector) norm += v * v;
        if (norm == 0) return randomVector(text, dimensions);
        float scale = (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < dimensions; i++) vector[i] *= scale;
        return vector;
    }

    /** One feature: +1 or -1, by a hash of it, on the dimension another hash of it picks. */
    private void add(float[] vector, String feature, int dimensions) {
        long h = PromptCache.extend(seed, feature);
        vector[(int) Math.floorMod(h >>> 1, (long) dimensions)] += (h & 1) == 0 ? 1 : -1;
    }

    private float[] randomVector(String text, int dimensions) {
        SplittableRandom random = new SplittableRandom(PromptCache.extend(seed, text));
        float[] vector = new float[dimensions];
        double norm = 0;
        for (int i = 0; i < dimensions; i++) {
            vector[i] = (float) random.nextGaussian();
            norm += vector[i] * vector[i];
        }
        float scale = (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < dimensions; i++) vector[i] *= scale;
        return vector;
    }

    /** OpenAI's base64 format: the floats as little-endian float32, base64-encoded. */
    private static String base64(float[] vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : vector) bytes.putFloat(v);
        return Base64.getEncoder().encodeToString(bytes.array());
    }
}
