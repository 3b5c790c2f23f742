-- wrk script of benchmarks/aai_tokens.py: token-endpoint requests with client_secret_basic.
--
-- wrk -t1 -cN -dD -s token.lua URL -- MODE AUTHORIZATION ARG
--   MODE client_credentials: ARG is the form body, sent unchanged on every request.
--   MODE refresh_token:      ARG is a file of refresh tokens, one per line (one per connection).
--     Refresh tokens rotate: every answer carries a new one and the old one is spent. The
--     thread keeps a pool; request() takes a token out, response() puts the new one back. An
--     answer without a refresh token loses that connection's token, so later requests send
--     "pool-exhausted" and fail: errors are loud, never silently retried.
--     wrk calls request() once more in the first thread, right after init(), only to count the
--     requests it returns (script_verify_request); that call gets a request without a token.
-- done() prints one line "AAI_RESULT {json}" for the harness: requests, duration, p50/p99
-- latency (microseconds), wrk's socket errors, non-200 answers and the first error body.

local mode
local fixed_request
local verified = false
local pool = {}
local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }

-- Per-thread counters, read by done() through thread:get().
non200 = 0
no_refresh_token = 0
first_error = ""

function init(args)
  mode = args[1]
  headers["Authorization"] = args[2]
  if mode == "client_credentials" then
    fixed_request = wrk.format("POST", nil, headers, args[3])
  elseif mode == "refresh_token" then
    for line in io.lines(args[3]) do
      if line ~= "" then
        pool[#pool + 1] = line
      end
    end
  else
    error("MODE must be client_credentials or refresh_token, not " .. tostring(mode))
  end
end

function request()
  if fixed_request then
    return fixed_request
  end
  local token
  if not verified and wrk.thread:get("id") == 1 then
    token = "not-sent"
  else
    token = table.remove(pool) or "pool-exhausted"
  end
  verified = true
  return wrk.format("POST", nil, headers, "grant_type=refresh_token&refresh_token=" .. token)
end

function response(status, _, body)
  if status ~= 200 then
    non200 = non200 + 1
    if first_error == "" then
      first_error = status .. " " .. body:sub(1, 300)
    end
  end
  if mode == "refresh_token" then
    local token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
    if token then
      pool[#pool + 1] = token
    elseif status == 200 then
      no_refresh_token = no_refresh_token + 1
    end
  end
end

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("id", #threads)
end

function done(summary, latency, _)
  local bad, missing, first = 0, 0, ""
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non200")
    missing = missing + thread:get("no_refresh_token")
    if first == "" then
      first = thread:get("first_error")
    end
  end
  first = first:gsub("[\\\"]", "'"):gsub("%c", " ")
  local e = summary.errors
  io.write(string.format(
    'AAI_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
      .. '"connect": %d, "read": %d, "write": %d, "timeout": %d, "non200": %d, '
      .. '"no_refresh_token": %d, "first_error": "%s"}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.timeout, bad, missing, first
  ))
end
