-- wrk -t2 -c8 -d10s --latency -s bench/wrk/typename.lua http://127.0.0.1:8000/graphql  (TOKEN=<admin token>)
-- `{ __typename }` with a token: the ceiling of the HTTP and GraphQL layers, no database
local token = os.getenv("TOKEN")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.body = '{"query":"{ __typename }"}'
