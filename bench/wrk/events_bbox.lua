-- events(bbox ~1 km, first: 50): wrk -t2 -c8 -d15s --latency -s bench/wrk/events_bbox.lua URL  (TOKEN=<token>)
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
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
