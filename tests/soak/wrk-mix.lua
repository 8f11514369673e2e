-- wrk script for the soak: alternates the auth_request gate (/_whoami/, where nginx asks
-- latchkey's /auth) and latchkey's home page (/), both with the session cookie given by -H.
-- Counts answers by class per thread and prints one JSON line at the end.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  n = 0
  s2xx, s3xx, s4xx, s5xx = 0, 0, 0, 0
end

function request()
  n = n + 1
  if n % 2 == 0 then
    return wrk.format("GET", "/_whoami/")
  end
  return wrk.format("GET", "/")
end

function response(status, headers, body)
  if status >= 500 then s5xx = s5xx + 1
  elseif status >= 400 then s4xx = s4xx + 1
  elseif status >= 300 then s3xx = s3xx + 1
  else s2xx = s2xx + 1 end
end

function done(summary, latency, requests)
  local c = { s2xx = 0, s3xx = 0, s4xx = 0, s5xx = 0 }
  for _, t in ipairs(threads) do
    for k, _ in pairs(c) do c[k] = c[k] + t:get(k) end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"status":{"2xx":%d,"3xx":%d,"4xx":%d,"5xx":%d},"latency_ms":{"p50":%.2f,"p90":%.2f,"p99":%.2f,"max":%.2f}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    c.s2xx, c.s3xx, c.s4xx, c.s5xx,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
