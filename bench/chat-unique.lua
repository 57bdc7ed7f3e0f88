-- wrk script: chat.lua (its request, result line and all), but every request's text is new (run, thread and request
-- number in it), so a response cache in front of the upstream misses every time: the cache's cost on every request,
-- none of its savings. Run from the repository's root, as bench/load.sh does.
dofile("bench/chat.lua")

local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

local run = os.time()
local n = 0
function request()
  n = n + 1
  return wrk.format(nil, nil, nil, string.format('{"model":"gpt-4o-mini","max_tokens":16,"messages":[' ..
    '{"role":"system","content":"You are a terse assistant."},' ..
    '{"role":"user","content":"Summarise the plot of Hamlet in one sentence. (%d-%d-%d)"}]}', run, tid, n))
end
