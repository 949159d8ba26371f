-- events(bbox ~1 km, first: 50): wrk -t2 -c8 -d15s --latency -s bench/wrk/events_bbox.lua URL  (TOKEN=<token>)
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
request = function()
  local x = 118.25 + math.random() * 0.15
  local y = 36.78 + math.random() * 0.10
  local body = string.format('{"query":"query($b: [Float!]!) { events(filter: {bbox: $b}, first: 50) { edges { node { id code status reportedAt location } } } }","variables":{"b":[%.6f,%.6f,%.6f,%.6f]}}', x, y, x + 0.0112, y + 0.009)
  return wrk.format(nil, nil, nil, body)
end
