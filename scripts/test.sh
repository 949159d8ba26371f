#!/usr/bin/env bash
# The whole suite on SpatiaLite, then again on a throwaway PostGIS cluster (always stopped).
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test || exit 1
out=$(mktemp -d /tmp/wangge-test.XXXXXX)
eval "$(scripts/pg.sh start)" || exit 1
trap 'scripts/pg.sh stop "$PG_TMP"; rm -rf "$out"' EXIT
status=0
echo "== SpatiaLite"
DATABASE_URL="sqlite:///$out/unused.db" .venv/bin/pytest --junitxml="$out/spatialite.xml" "$@" \
  || status=1
echo "== PostGIS ($PG_URL)"
DATABASE_URL="$PG_URL" .venv/bin/pytest --junitxml="$out/postgis.xml" "$@" || status=1
.venv/bin/python - "$out" <<'PY'
import sys, xml.etree.ElementTree as ET
total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
for name in ("spatialite", "postgis"):
    try:
        suite = ET.parse(f"{sys.argv[1]}/{name}.xml").getroot().find("testsuite")
    except (OSError, ET.ParseError):
        print(f"{name}: no results"); total["errors"] += 1; continue
    n = {k: int(suite.get(k, 0)) for k in total}
    passed = n["tests"] - n["failures"] - n["errors"] - n["skipped"]
    print(f"{name}: {passed} passed, {n['failures'] + n['errors']} failed, {n['skipped']} skipped"
          f" in {float(suite.get('time', 0)):.0f} s")
    for k in total: total[k] += n[k]
passed = total["tests"] - total["failures"] - total["errors"] - total["skipped"]
print(f"total: {passed} passed, {total['failures'] + total['errors']} failed, "
      f"{total['skipped']} skipped")
PY
exit $status
