package dev.tollgate.gateway.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.tollgate.gateway.TestBed;
import dev.tollgate.store.AuditedPrompt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A small generated workload sent through the real gateway with the OpenAI SDK and prompt logging on; the audit's
 * findings and savings are checked against numbers worked out here by hand: token counts from the model's own
 * tokenizer (o200k_base for gpt-4o-mini), gpt-4o-mini's list prices ($0.15 input, $0.60 output per million) and a
 * 30-day month over a window shorter than a day (factor 30).
 */
class PromptAuditTest {

    static final BigDecimal INPUT = new BigDecimal("0.15").movePointLeft(6);
    static final BigDecimal OUTPUT = new BigDecimal("0.60").movePointLeft(6);
    static final Encoding O200K = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE); // o200k alone

    static final String SUPPORT_SYSTEM = "You are the support assistant of Acme. Answer in one short paragraph.";
    static final String[] QUESTIONS = {
            "Where is my parcel? It was due on Monday.",
            "The tracking page says it is in the depot. Why so long?",
            "My e-mail is jane.roe@example.com, please send updates there.",
            "Can you deliver it to my neighbour instead?",
            "What happens if nobody is home?",
            "Thanks. One last thing: can I change the delivery day?"};
    static final String[] ANSWERS = {
            "Your parcel left our warehouse on Friday and is on its way to you.",
            "Depots hold parcels for a day when the route is full; it moves on tomorrow.",
            "Done: updates will go to the address you gave us.",
            "Yes, a neighbour can accept it if you name them in the tracking page.",
            "The driver leaves a card and tries again the next working day."};

    @TempDir
    static Path data;
    static TestBed bed;
    static OpenAIClient client;
    static long supportInput;
    static long supportCount;
    static BigDecimal supportCost = BigDecimal.ZERO;
    static String faqSystem;
    static long summariesUncappedOutput = -1;
    static final List<Long> summaryOutputs = new ArrayList<>();

    @BeforeAll
    static void sendTraffic() throws Exception {
        // the in-process sandbox counts tokens: load the encoding before the gateway's 1.5 s upstream timeout runs
        dev.tollgate.core.tokens.TokenCounter.forModel("gpt-4o-mini").count("warm up");
        bed = new TestBed(data, "prompt_log: {enabled: true, group_tag: feature}", null);
        client = OpenAIOkHttpClient.builder().baseUrl(bed.url() + "/v1").apiKey(TestBed.KEY).maxRetries(0).build();
        // feature=support: one conversation of six turns, each resending the whole history
        for (int turn = 0; turn < QUESTIONS.length; turn++) {
            ChatCompletionCreateParams.Builder params = ChatCompletionCreateParams.builder().model("gpt-4o-mini")
                    .maxCompletionTokens(5).putAdditionalHeader("x-tollgate-tags", "feature=support").addSystemMessage(SUPPORT_SYSTEM);
            for (int i = 0; i < turn; i++) params.addUserMessage(QUESTIONS[i]).addAssistantMessage(ANSWERS[i]);
            HttpResponseFor<ChatCompletion> raw = client.chat().completions().withRawResponse().create(params.addUserMessage(QUESTIONS[turn]).build());
            supportInput += raw.parse().usage().orElseThrow().promptTokens();
            supportCost = supportCost.add(new BigDecimal(raw.headers().values("x-tollgate-cost-usd").get(0)));
            supportCount++;
        }
        // feature=faq: a long policy as system prompt carrying three tiny questions
        StringBuilder policy = new StringBuilder("You answer questions about the returns policy of Acme.");
        for (int rule = 1; rule <= 30; rule++) {
            policy.append(" Rule ").append(rule).append(": refunds are possible within thirty days of delivery when the item is unused and in its original packaging.");
        }
        faqSystem = policy.toString();
        for (String q : new String[] {"Can I return shoes?", "Is a refund possible?", "Do you refund opened boxes?"}) {
            client.chat().completions().create(ChatCompletionCreateParams.builder().model("gpt-4o-mini").maxCompletionTokens(5)
                    .putAdditionalHeader("x-tollgate-tags", "feature=faq").addSystemMessage(faqSystem).addUserMessage(q).build());
        }
        // feature=summaries: nine answers capped at 4 tokens, one caller that sets no cap gets the sandbox's full length
        for (int i = 0; i < 10; i++) {
            ChatCompletionCreateParams.Builder params = ChatCompletionCreateParams.builder().model("gpt-4o-mini")
                    .putAdditionalHeader("x-tollgate-tags", "feature=summaries").addUserMessage("Summarize note " + i);
            if (i < 9) params.maxCompletionTokens(4);
            long produced = client.chat().completions().create(params.build()).usage().orElseThrow().completionTokens();
            summaryOutputs.add(produced);
            if (i == 9) summariesUncappedOutput = produced;
        }
    }

    @AfterAll
    static void stop() {
        bed.close();
    }

    static JsonNode finding(JsonNode audit, String type, String group) {
        for (JsonNode f : audit.path("findings")) {
            if (f.path("type").asText().equals(type) && f.path("group").asText().equals(group)) return f;
        }
        throw new AssertionError("no " + type + " finding for " + group + " in " + audit.toPrettyString());
    }

    static BigDecimal monthly(BigDecimal observed) {
        return observed.multiply(BigDecimal.valueOf(30)).setScale(6, RoundingMode.HALF_EVEN);
    }

    @Test
    void growingConversationsAreFoundWithTheSavingOfKeepingThreeExchanges() throws Exception {
        JsonNode audit = bed.admin("/admin/audit?since=1d");
        assertThat(audit.path("window").path("requests").asLong()).isEqualTo(19);
        assertThat(audit.path("window").path("month_factor").decimalValue()).isEqualByComparingTo("30");
        JsonNode f = finding(audit, "growing_history", "feature=support");
        // turn 5 carries 4 exchanges of history, turn 6 five: beyond the last 3, exchange 1 goes at turn 5, exchanges 1-2 at turn 6
        long removable = 2L * (O200K.countTokens(QUESTIONS[0]) + O200K.countTokens(ANSWERS[0]))
                + O200K.countTokens(QUESTIONS[1]) + O200K.countTokens(ANSWERS[1]);
        BigDecimal observed = INPUT.multiply(BigDecimal.valueOf(removable));
        assertThat(f.path("evidence").path("history_tokens_removable").asLong()).isEqualTo(removable);
        assertThat(f.path("evidence").path("growing_conversations").asInt()).isEqualTo(1);
        assertThat(f.path("evidence").path("longest_conversation_turns").asInt()).isEqualTo(6);
        assertThat(f.path("evidence").path("input_tokens").asLong()).isEqualTo(supportInput);
        assertThat(f.path("requests").asLong()).isEqualTo(2);
        assertThat(f.path("observed_saving_usd").decimalValue()).isEqualByComparingTo(observed);
        assertThat(f.path("monthly_saving_usd").decimalValue()).isEqualByComparingTo(monthly(observed));
        double pct = Math.round(1000.0 * removable / supportInput) / 10.0;
        assertThat(f.path("token_reduction_pct").asDouble()).isEqualTo(pct);
        assertThat(f.path("recommendation").asText()).startsWith("keep the last 3 exchanges of history")
                .contains("−" + pct + "% input tokens on feature=support");
    }

    @Test
    void aBigSystemPromptOnSmallQuestionsIsPricedAtHalfItsTokens() throws Exception {
        JsonNode audit = bed.admin("/admin/audit");
        JsonNode f = finding(audit, "big_system_prompt", "feature=faq");
        int system = O200K.countTokens(faqSystem);
        assertThat(system).isGreaterThan(500);
        BigDecimal observed = INPUT.multiply(BigDecimal.valueOf(system)).multiply(BigDecimal.valueOf(3)).divide(BigDecimal.TWO);
        assertThat(f.path("requests").asLong()).isEqualTo(3);
        assertThat(f.path("evidence").path("avg_system_tokens").asLong()).isEqualTo(system);
        assertThat(f.path("observed_saving_usd").decimalValue()).isEqualByComparingTo(observed);
        assertThat(f.path("monthly_saving_usd").decimalValue()).isEqualByComparingTo(monthly(observed));
        assertThat(f.path("recommendation").asText()).startsWith("a " + system + "-token system prompt carries");
    }

    @Test
    void answersLongerThanTheGroupsNinetiethPercentileWithoutACapAreFound() throws Exception {
        JsonNode audit = bed.admin("/admin/audit");
        JsonNode f = finding(audit, "oversized_output", "feature=summaries");
        long[] sorted = summaryOutputs.stream().mapToLong(Long::longValue).sorted().toArray();
        long p90 = sorted[8]; // nearest rank: ceil(0.9 × 10) = 9th of 10
        assertThat(p90).isEqualTo(4);
        BigDecimal observed = OUTPUT.multiply(BigDecimal.valueOf(summariesUncappedOutput - p90));
        assertThat(f.path("model").asText()).isEqualTo("gpt-4o-mini");
        assertThat(f.path("evidence").path("p90_output_tokens").asLong()).isEqualTo(4);
        assertThat(f.path("evidence").path("loosely_capped_requests").asLong()).isEqualTo(1);
        assertThat(f.path("observed_saving_usd").decimalValue()).isEqualByComparingTo(observed);
        assertThat(f.path("monthly_saving_usd").decimalValue()).isEqualByComparingTo(monthly(observed));
        assertThat(f.path("recommendation").asText()).startsWith("set max_tokens to 4 on feature=summaries");
        // the support answers are capped at 5 and use it all: nothing to find there
        assertThat(audit.path("findings")).noneMatch(n -> n.path("type").asText().equals("oversized_output")
                && n.path("group").asText().equals("feature=support"));
    }

    @Test
    void tokenSharesAndTemplatesAccountForEveryLoggedRequest() throws Exception {
        JsonNode audit = bed.admin("/admin/audit");
        JsonNode support = null;
        for (JsonNode s : audit.path("token_shares")) if (s.path("group").asText().equals("feature=support")) support = s;
        assertThat(support).isNotNull();
        assertThat(support.path("requests").asLong()).isEqualTo(6);
        assertThat(support.path("system_tokens").asLong()).isEqualTo(6L * O200K.countTokens(SUPPORT_SYSTEM));
        // the question of each turn is the user part; every earlier message is history
        long user = 0, history = 0;
        for (int turn = 0; turn < QUESTIONS.length; turn++) {
            user += O200K.countTokens(QUESTIONS[turn].replace("jane.roe@example.com", Redactor.EMAIL));
            for (int i = 0; i < turn; i++) {
                history += O200K.countTokens(QUESTIONS[i].replace("jane.roe@example.com", Redactor.EMAIL)) + O200K.countTokens(ANSWERS[i]);
            }
        }
        assertThat(support.path("user_tokens").asLong()).isEqualTo(user);
        assertThat(support.path("history_tokens").asLong()).isEqualTo(history);

        JsonNode template = null;
        for (JsonNode t : audit.path("templates")) if (t.path("template").asText().equals(SUPPORT_SYSTEM)) template = t;
        assertThat(template).isNotNull();
        assertThat(template.path("kind").asText()).isEqualTo("system");
        assertThat(template.path("requests").asLong()).isEqualTo(supportCount);
        assertThat(template.path("input_tokens").asLong()).isEqualTo(supportInput);
        assertThat(template.path("cost_usd").decimalValue()).isEqualByComparingTo(supportCost);
        // "Summarize note 0" … "Summarize note 9": one user template
        assertThat(audit.path("templates")).anyMatch(t -> t.path("kind").asText().equals("user")
                && t.path("template").asText().equals("Summarize note <*>") && t.path("requests").asLong() == 10);
    }

    @Test
    void promptsAreStoredRedacted() throws Exception {
        bed.admin("/admin/audit"); // flushes the recorder and the ledger
        List<AuditedPrompt> rows = bed.ledger.prompts().audited(null, null, 100);
        assertThat(rows).hasSize(19);
        AuditedPrompt lastTurn = rows.stream().filter(r -> r.prompt().messages().size() == 11).findFirst().orElseThrow();
        assertThat(lastTurn.prompt().messages().get(4).content()).isEqualTo("My e-mail is [EMAIL], please send updates there.");
        assertThat(lastTurn.prompt().systemPrompt()).isEqualTo(SUPPORT_SYSTEM);
        assertThat(lastTurn.prompt().maxTokens()).isEqualTo(5);
        assertThat(IntStream.range(0, 11).mapToObj(i -> lastTurn.prompt().messages().get(i).role()))
                .containsExactly("user", "assistant", "user", "assistant", "user", "assistant", "user", "assistant", "user", "assistant", "user");
    }
}
