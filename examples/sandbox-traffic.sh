#!/usr/bin/env bash
# Scripted traffic for README's walk-throughs, against a gateway on the sandbox provider (the same answers every run):
#   examples/sandbox-traffic.sh reports   a dozen calls of two teams (search, support) and the outcomes of nine tickets
#   examples/sandbox-traffic.sh audit     32 calls of three features whose prompts the prompt audit reads
#                                         (start the gateway with examples/audit.yaml for that one)
# Needs curl and jq. The gateway: $TOLLGATE_URL, else http://localhost:4000; the admin token (for outcomes):
# $TOLLGATE_ADMIN_TOKEN, else the one serve noted in data/gateway.json.
set -euo pipefail
url="${TOLLGATE_URL:-http://localhost:4000}"

# waits for a gateway started a moment ago (up to 30 s)
for _ in $(seq 1 300); do curl -sf "$url/health" >/dev/null && break; sleep 0.1; done
curl -sf "$url/health" >/dev/null || { echo "sandbox-traffic: no gateway answers at $url (start one: ./tollgate serve)" >&2; exit 1; }

chat() {   # MODEL TAGS DECISION MESSAGES_JSON: one Chat Completions call, its cost on stdout
  curl -sf "$url/v1/chat/completions" -H 'content-type: application/json' ${2:+-H "x-tollgate-tags: $2"} \
    ${3:+-H "x-tollgate-decision: $3"} -d "{\"model\":\"$1\",\"max_tokens\":32,\"messages\":$4}" -o /dev/null -w '%header{x-tollgate-cost-usd}\n'
}

case "${1:-}" in
  reports)
    token="${TOLLGATE_ADMIN_TOKEN:-$(jq -r .admin_token data/gateway.json)}"
    outcome() { curl -sf "$url/admin/outcomes" -H "authorization: Bearer $token" -d "$1" >/dev/null; }
    for i in 1 2 3; do        # support triages three tickets on gpt-4o ...
      chat gpt-4o "team=support,feature=triage" "ticket-$i" "[{\"role\":\"user\",\"content\":\"Triage ticket $i: the invoice is wrong\"}]" >/dev/null
    done
    for i in 4 5 6 7 8 9; do  # ... and six on gpt-4o-mini
      chat gpt-4o-mini "team=support,feature=triage" "ticket-$i" "[{\"role\":\"user\",\"content\":\"Triage ticket $i: the invoice is wrong\"}]" >/dev/null
    done
    for q in "weather in ber" "price of the pro pl" "reset my pass"; do   # search autocompletes through the Messages API
      curl -sf "$url/v1/messages" -H 'content-type: application/json' -H 'anthropic-version: 2023-06-01' \
        -H 'x-tollgate-tags: team=search,feature=autocomplete' \
        -d "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"Complete: $q\"}]}" >/dev/null
    done
    # what became of the tickets (ticket-1 is left for README's own call): gpt-4o solved one more, worth $8;
    # gpt-4o-mini two of six
    outcome '{"decision":"ticket-2","success":true,"value_usd":"8"}'
    outcome '{"decision":"ticket-3","success":false}'
    for i in 4 5; do outcome "{\"decision\":\"ticket-$i\",\"success\":true}"; done
    for i in 6 7 8 9; do outcome "{\"decision\":\"ticket-$i\",\"success\":false}"; done
    echo "sandbox-traffic: 12 calls (team support: 3 on gpt-4o, 6 on gpt-4o-mini; team search: 3 on claude-haiku-4-5), 8 outcomes"
    ;;
  audit)
    # faq: a long returns policy as system prompt on short questions
    policy="You answer questions about the returns policy of Acme."
    for rule in $(seq 1 30); do
      policy+=" Rule $rule: refunds are possible within thirty days of delivery when the item is unused and in its original packaging."
    done
    for q in "Can I return shoes?" "Is a refund possible?" "Do you refund opened boxes?" \
             "Can I return shoes?" "Is a refund possible?" "Do you refund opened boxes?"; do
      chat gpt-4o "feature=faq" "" "$(jq -cn --arg s "$policy" --arg q "$q" '[{role:"system",content:$s},{role:"user",content:$q}]')" >/dev/null
    done
    # support: three conversations of five turns, each resending its whole history
    system="You are the support assistant of Acme. Answer in one short paragraph."
    for c in 1 2 3; do
      messages=$(jq -cn --arg s "$system" '[{role:"system",content:$s}]')
      for turn in "My order $c has not arrived." "It was due last week." "The tracking page shows nothing." \
                  "My e-mail is customer$c@example.com and my phone +49 170 555 01$c$c, send updates there." \
                  "Can you send a replacement?"; do
        messages=$(jq -c --arg m "$turn" '. + [{role:"user",content:$m}]' <<<"$messages")
        answer=$(curl -sf "$url/v1/chat/completions" -H 'content-type: application/json' -H 'x-tollgate-tags: feature=support' \
          -d "{\"model\":\"gpt-4o-mini\",\"max_tokens\":32,\"messages\":$messages}" | jq -r '.choices[0].message.content')
        messages=$(jq -c --arg a "$answer" '. + [{role:"assistant",content:$a}]' <<<"$messages")
      done
    done
    # summaries: one template, ten tickets
    for i in $(seq 101 110); do
      chat gpt-4o-mini "feature=summaries" "" "[{\"role\":\"user\",\"content\":\"Summarize ticket $i in one line\"}]" >/dev/null
    done
    chat gpt-4o-mini "" "" '[{"role":"user","content":"Hello"}]' >/dev/null   # and one untagged
    echo "sandbox-traffic: 32 calls (feature faq: 6, support: 15, summaries: 10; one untagged)"
    ;;
  *) echo "usage: examples/sandbox-traffic.sh reports|audit" >&2; exit 2 ;;
esac
