#!/usr/bin/env bash
# A throwaway PostGIS cluster on 127.0.0.1, in a temporary directory, on a free port.
#   eval "$(scripts/pg.sh start)"   -> exports PG_TMP and PG_URL
#   scripts/pg.sh stop "$PG_TMP"
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

as_pg() {  # as root the server must run as the postgres user
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
start)
  dir=$(mktemp -d /tmp/wangge-pg.XXXXXX)
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
  as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null
  as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE DATABASE wangge" >/dev/null
  as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$port" -U postgres -d wangge -qc "CREATE EXTENSION postgis" >/dev/null
  echo "export PG_TMP=$dir PG_URL=postgresql://postgres@127.0.0.1:$port/wangge"
  ;;
stop)
  dir=${2:?usage: pg.sh stop DIR}
  as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
