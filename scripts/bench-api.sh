#!/usr/bin/env bash
# Load-test GET /api/v1/me with API-key authentication over loopback with wrk,
# against a real `valdrix serve` on SQLite (default) or PostgreSQL.
#
#   scripts/bench-api.sh                 # SQLite
#   DB=postgres scripts/bench-api.sh     # PostgreSQL at $VALDRIX_TEST_PG_DSN
#   CONNS=16 DURATION=20s scripts/bench-api.sh
#
# Rate limits and the access log are switched off, as for any load test.
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${DB:-sqlite}
CONNS=${CONNS:-16}
THREADS=${THREADS:-1}
DURATION=${DURATION:-15s}
PORT=${PORT:-18181}

command -v wrk >/dev/null || { echo "installing wrk"; apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null; }
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/valdrix" ./cmd/valdrix

args=(--data-dir "$work/data" --log-level error --no-access-log --rate-limit-ip 0 --rate-limit-principal 0)
if [ "$DB" = postgres ]; then
  dsn=${VALDRIX_TEST_PG_DSN:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
  name="valdrix_bench_$$"
  psql "$dsn" -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >/dev/null
  url=$(echo "$dsn" | sed -E "s#/[^/?]+(\?|$)#/$name\1#")
  args+=(--database-url "$url")
  trap 'kill $(jobs -p) 2>/dev/null || true; psql "$dsn" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null; rm -rf "$work"' EXIT
fi
tenant=$("$work/valdrix" "${args[@]}" tenant create --name Bench)
key=$("$work/valdrix" "${args[@]}" apikey create --tenant "$tenant" --role viewer 2>/dev/null)
GOMAXPROCS=${SERVER_PROCS:-2} "$work/valdrix" "${args[@]}" serve --http-addr "127.0.0.1:$PORT" 2>"$work/serve.log" &
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
curl -sf -H "Authorization: Bearer $key" "http://127.0.0.1:$PORT/api/v1/me" >/dev/null
echo "database=$DB connections=$CONNS threads=$THREADS duration=$DURATION machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB"
wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -H "Authorization: Bearer $key" "http://127.0.0.1:$PORT/api/v1/me"
