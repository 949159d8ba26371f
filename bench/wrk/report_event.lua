-- wrk -t2 -c8 -d15s --latency -s bench/wrk/report_event.lua http://127.0.0.1:8000/graphql  (TOKEN=<admin token>)
-- reportEvent with a fresh clientId and a random position in the demo district per request
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
local token = os.getenv("TOKEN")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
local cats = {"0101", "0102", "0103", "0104", "0501", "0601"}
request = function()
  local lon = 118.15 + math.random() * 0.34
  local lat = 36.74 + math.random() * 0.20
  local body = string.format('{"query":"mutation($i: ReportEventInput!) { reportEvent(input: $i) { event { id status } errors { code } } }","variables":{"i":{"clientId":"%s","categoryCode":"%s","description":"bench","acknowledgeDuplicate":%s,"location":{"lon":%.6f,"lat":%.6f}}}}',
    uuid(), cats[math.random(1, #cats)], math.random() < 0.5 and "true" or "false", lon, lat)
  return wrk.format(nil, nil, nil, body)
end
