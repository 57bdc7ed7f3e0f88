package dev.tollgate.gateway.audit;

import dev.tollgate.gateway.Api;
import dev.tollgate.gateway.Json;
import dev.tollgate.store.PromptRecord;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class PromptPartsTest {

    static PromptRecord.Message m(String role, String content) {
        return new PromptRecord.Message(role, content);
    }

    @Test
    void openAiChatSplitsSystemAndDeveloperMessagesFromTheConversation() throws Exception {
        PromptParts p = PromptParts.of(Api.OPENAI_CHAT, Json.parse("""
                {"model":"gpt-4o","max_completion_tokens":300,"messages":[
                  {"role":"system","content":"Be brief."},
                  {"role":"developer","content":[{"type":"text","text":"Answer in French."}]},
                  {"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"data:x"}}]},
                  {"role":"assistant","content":"Une image."},
                  {"role":"user","content":"Merci"}]}"""));
        assertThat(p.system()).isEqualTo("Be brief.\n\nAnswer in French.");
        assertThat(p.messages()).containsExactly(m("user", "What is this?\n[image]"), m("assistant", "Une image."), m("user", "Merci"));
        assertThat(p.maxTokens()).isEqualTo(300);
    }

    @Test
    void anthropicMessagesAndTheResponsesApi() throws Exception {
        PromptParts a = PromptParts.of(Api.ANTHROPIC_MESSAGES, Json.parse("""
                {"model":"claude-haiku-4-5","max_tokens":64,"system":[{"type":"text","text":"You are terse."}],
                 "messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}"""));
        assertThat(a.system()).isEqualTo("You are terse.");
        assertThat(a.messages()).containsExactly(m("user", "hi"));
        assertThat(a.maxTokens()).isEqualTo(64);

        PromptParts r = PromptParts.of(Api.OPENAI_RESPONSES, Json.parse("""
                {"model":"gpt-4o","instructions":"Be kind.","input":[{"role":"user","content":[{"type":"input_text","text":"hello"}]}]}"""));
        assertThat(r.system()).isEqualTo("Be kind.");
        assertThat(r.messages()).containsExactly(m("user", "hello"));
        assertThat(r.maxTokens()).isEqualTo(-1);
        assertThat(PromptParts.of(Api.OPENAI_EMBEDDINGS, Json.parse("{\"input\":\"x\"}"))).isNull();
    }

    @Test
    void theRecordIsRedactedAndItsTokensSplitBySystemHistoryAndLastQuestion() throws Exception {
        PromptParts parts = new PromptParts("Key sk-abcdefghijklmnopqrstuvwx", List.of(m("user", "hello world"),
                m("assistant", "hello"), m("user", "mail bob@example.com")), 10);
        PromptRecord r = PromptRecorder.record(Instant.EPOCH, "req", "key", Map.of("team", "a"), "openai.chat", "gpt-4o", parts, 0.25);
        assertThat(r.systemPrompt()).isEqualTo("Key [SECRET]");
        assertThat(r.messages().get(2).content()).isEqualTo("mail [EMAIL]");
        // o200k_base: "hello world" 2 tokens, "hello" 1; the redacted texts are what is counted
        assertThat(r.historyTokens()).isEqualTo(3);
        var o200k = com.knuddels.jtokkit.Encodings.newLazyEncodingRegistry().getEncoding(com.knuddels.jtokkit.api.EncodingType.O200K_BASE);
        assertThat(r.systemTokens()).isEqualTo(o200k.countTokens("Key [SECRET]"));
        assertThat(r.userTokens()).isEqualTo(o200k.countTokens("mail [EMAIL]"));
        assertThat(r.sampleRate()).isEqualTo(0.25);
    }
}
