-- DESIGN.md's bare stack (bench/bare_stack.py): a point → grid lookup and an insert, with a
-- fresh clientId and a random position in the demo district per request
local urandom = io.open("/dev/urandom", "rb")
local b1, b2, b3, b4 = urandom:read(4):byte(1, 4)
urandom:close()
math.randomseed(((b1 * 256 + b2) * 256 + b3) * 256 + b4)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local function uuid()
  return string.format("%08x-%04x-4%03x-8%03x-%012x", math.random(0, 0xffffffff),
    math.random(0, 0xffff), math.random(0, 0xfff), math.random(0, 0xfff),
    math.random(0, 0xffffffffffff))
end
request = function()
  local lon = 118.15 + math.random() * 0.34
  local lat = 36.74 + math.random() * 0.20
  local body = string.format('{"query":"mutation($lon: Float!, $lat: Float!, $c: String!) { report(lon: $lon, lat: $lat, clientId: $c) { id gridId } }","variables":{"lon":%.6f,"lat":%.6f,"c":"%s"}}', lon, lat, uuid())
  return wrk.format(nil, nil, nil, body)
end
