#!/usr/bin/env bash
# Installs what wangge needs on a fresh Debian machine (as root or with sudo), idempotently:
#   scripts/setup.sh        SpatiaLite, Python 3.11 venv in .venv, the package
#   scripts/setup.sh test   also PostgreSQL 15 + PostGIS 3 and the test dependencies
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo

pkgs=(libsqlite3-mod-spatialite)
[ "${1:-}" = test ] && pkgs+=(postgresql-15 postgresql-15-postgis-3)
PY=$(command -v python3.11 || true)
[ -n "$PY" ] || pkgs+=(python3.11 python3.11-venv)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
PY=${PY:-$(command -v python3.11)}

[ -x .venv/bin/python ] || "$PY" -m venv .venv
extras=; [ "${1:-}" = test ] && extras='[test]'
stamp=.venv/.installed$extras
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".$extras"
  touch "$stamp"
fi
