#!/usr/bin/env bash
# Set up, load the demo district into the embedded SpatiaLite database once, serve.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export DATABASE_URL=${DATABASE_URL:-sqlite:///var/wangge.db}
.venv/bin/wangge db upgrade
.venv/bin/wangge demo --if-absent
echo "serving on http://127.0.0.1:${PORT:-8000}/graphql"
exec .venv/bin/wangge serve --host 127.0.0.1 --port "${PORT:-8000}"
