-- wrk script for bench/shadow.sh: bench/chat.lua's request, to the model named by $MODEL.
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.body = '{"model":"' .. os.getenv("MODEL") .. '","max_tokens":16,"messages":[' ..
  '{"role":"system","content":"You are a terse assistant."},' ..
  '{"role":"user","content":"Summarise the plot of Hamlet in one sentence."}]}'

local non2xx = 0
response = function(status, headers, body)
  if status ~= 200 then non2xx = non2xx + 1 end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout + non2xx))
end
