-- What the scripts share (loaded with dofile from beside them). Each of wrk's threads runs a
-- script in a Lua state of its own, all within the same second: seeded by the clock, they drew
-- the same clientIds, and half the reports were replays. So the seed comes from /dev/urandom.
local urandom = io.open("/dev/urandom", "rb")
local b1, b2, b3, b4 = urandom:read(4):byte(1, 4)
urandom:close()
math.randomseed(((b1 * 256 + b2) * 256 + b3) * 256 + b4)

function uuid()
  return string.format("%08x-%04x-4%03x-8%03x-%012x", math.random(0, 0xffffffff),
    math.random(0, 0xffff), math.random(0, 0xfff), math.random(0, 0xfff),
    math.random(0, 0xffffffffffff))
end
