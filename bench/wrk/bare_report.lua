-- DESIGN.md's bare stack (bench/bare_stack.py): a point → grid lookup and an insert, with a
-- fresh clientId and a random position in the demo district per request
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local lon = 118.15 + math.random() * 0.34
  local lat = 36.74 + math.random() * 0.20
  local body = string.format('{"query":"mutation($lon: Float!, $lat: Float!, $c: String!) { report(lon: $lon, lat: $lat, clientId: $c) { id gridId } }","variables":{"lon":%.6f,"lat":%.6f,"c":"%s"}}', lon, lat, uuid())
  return wrk.format(nil, nil, nil, body)
end
