-- wrk script for bench/votes.py: readers casting, moving and withdrawing votes.
--
--   wrk -c64 -s bench/votes.lua http://127.0.0.1:8100 -- READERS ARTICLES MODE
--
-- READERS is a file of "cookie ip" lines (one per reader: a signed reader
-- cookie and the address nginx would pass in X-Real-IP); ARTICLES is a
-- comma-separated list of article ids; MODE is "votes" or "counts" (the
-- reference: the cacheable counts GET). Every request picks a reader at
-- random, as the page's script would send it (Sec-Fetch-Site: same-origin).
-- done() prints "status CODE COUNT" lines for bench/votes.py to read.
-- BYLINE_BENCH_SPACED_MS in the environment (``--spaced``): the ms each connection
-- waits before its next request; without it the next is sent at once, as ever (a
-- delay() defined at all makes wrk send every request from a timer).

local REACTIONS = { "happy", "sad", "excited", "sleepy", "angry", "surprise" }
local threads = {}
local serial = 0

function setup(thread)
  serial = serial + 1
  thread:set("id", serial)
  table.insert(threads, thread)
end

function init(args)
  readers, articles, statuses = {}, {}, {}
  for line in io.lines(args[1]) do
    local cookie, ip = line:match("^(%S+) (%S+)$")
    if cookie then table.insert(readers, { cookie = cookie, ip = ip }) end
  end
  for article in args[2]:gmatch("%d+") do table.insert(articles, article) end
  mode = args[3]
  math.randomseed(id * 7919)
end

local spaced = tonumber(os.getenv("BYLINE_BENCH_SPACED_MS") or "")
if spaced and spaced > 0 then
  function delay()
    return spaced
  end
end

function request()
  local reader = readers[math.random(#readers)]
  local article = articles[math.random(#articles)]
  local headers = {
    ["User-Agent"] = "Mozilla/5.0 (bench) Firefox/130.0",
    ["Sec-Fetch-Site"] = "same-origin",
    ["X-Real-IP"] = reader.ip,
  }
  if mode == "counts" then
    return wrk.format("GET", "/api/articles/" .. article .. "/engagement/", headers)
  end
  headers["Cookie"] = reader.cookie
  headers["Content-Type"] = "application/json"
  local roll = math.random()
  if roll < 0.45 then
    local body = '{"reaction": "' .. REACTIONS[math.random(#REACTIONS)] .. '"}'
    return wrk.format("POST", "/api/articles/" .. article .. "/reaction/", headers, body)
  elseif roll < 0.5 then
    return wrk.format("DELETE", "/api/articles/" .. article .. "/reaction/", headers)
  elseif roll < 0.95 then
    local body = '{"stars": ' .. math.random(5) .. '}'
    return wrk.format("POST", "/api/articles/" .. article .. "/rating/", headers, body)
  end
  return wrk.format("DELETE", "/api/articles/" .. article .. "/rating/", headers)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  for status, count in pairs(total) do
    io.write(string.format("status %d %d\n", status, count))
  end
  io.write(string.format("seconds %.3f\n", summary.duration / 1e6))
  io.write(string.format("p50_ms %.2f\np99_ms %.2f\n", latency:percentile(50) / 1e3, latency:percentile(99) / 1e3))
end
