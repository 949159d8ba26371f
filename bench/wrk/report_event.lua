-- wrk -t2 -c8 -d15s --latency -s bench/wrk/report_event.lua http://127.0.0.1:8000/graphql  (TOKEN=<admin token>)
-- reportEvent with a fresh clientId and a random position in the demo district per request
-- Each of wrk's threads runs this script in a Lua state of its own, all within the same second:
-- seeded by the clock, they drew the same clientIds, and half the reports were replays.
local urandom = io.open("/dev/urandom", "rb")
local b1, b2, b3, b4 = urandom:read(4):byte(1, 4)
urandom:close()
math.randomseed(((b1 * 256 + b2) * 256 + b3) * 256 + b4)
local token = os.getenv("TOKEN")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
local cats = {"0101", "0102", "0103", "0104", "0501", "0601"}
local function uuid()
  return string.format("%08x-%04x-4%03x-8%03x-%012x", math.random(0, 0xffffffff),
    math.random(0, 0xffff), math.random(0, 0xfff), math.random(0, 0xfff),
    math.random(0, 0xffffffffffff))
end
request = function()
  local lon = 118.15 + math.random() * 0.34
  local lat = 36.74 + math.random() * 0.20
  local body = string.format('{"query":"mutation($i: ReportEventInput!) { reportEvent(input: $i) { event { id status } errors { code } } }","variables":{"i":{"clientId":"%s","categoryCode":"%s","description":"bench","acknowledgeDuplicate":%s,"location":{"lon":%.6f,"lat":%.6f}}}}',
    uuid(), cats[math.random(1, #cats)], math.random() < 0.5 and "true" or "false", lon, lat)
  return wrk.format(nil, nil, nil, body)
end
