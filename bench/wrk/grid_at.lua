-- gridAt of one point, public: wrk -t2 -c8 -d10s --latency -s bench/wrk/grid_at.lua URL
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"query($p: PointInput!) { gridAt(point: $p) { code name } }","variables":{"p":{"lon":118.305,"lat":36.8225}}}'
