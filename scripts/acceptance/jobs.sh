#!/usr/bin/env bash
# Multi-process acceptance runs of the job scheduler (issue 6; docs/jobs.md,
# "Acceptance runs"). Usage:
#
#   scripts/acceptance/jobs.sh [pg|sqlite|chaos|tenants|all]...
#
#   pg       one serve + three workers on one PostgreSQL database, CONNS
#            connections; `jobs plan --due-now` from every process at once;
#            kill -9 one worker midway; scans counted, rescues, findings and
#            billing periods checked
#   sqlite   the same load on SQLite with one serve process
#   chaos    throttling and a region down in the simulator (a Go test: the
#            simulator's faults are injected in process)
#   tenants  TENANTS tenants with one connection each on PostgreSQL, scans
#            enqueued together, run to completion: wall time, errors, peak RSS
#
# Settings (environment): CONNS (2000), TENANTS (1000), RESOURCES (60, the
# simulated estate), AZURE_EVERY (10: every 10th connection is Azure, with a
# billing export; the others AWS without one), PG_ADMIN (a superuser URL),
# OUT (/tmp/valdrix-acceptance), DEADLINE (seconds a scenario may run, 1800).
# Needs go, psql, curl, jq. Each PostgreSQL scenario uses a fresh database.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-/tmp/valdrix-acceptance}
BIN=$OUT/valdrix
CONNS=${CONNS:-2000}
TENANTS=${TENANTS:-1000}
RESOURCES=${RESOURCES:-60}
AZURE_EVERY=${AZURE_EVERY:-10}
DEADLINE=${DEADLINE:-1800}
PG_ADMIN=${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
SCAN_KINDS=valdrix.scan,valdrix.ingest,valdrix.discover,valdrix.detect

PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	PIDS=()
}
trap cleanup EXIT

log() { printf '%s  %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
fig() { printf '  %-44s %s\n' "$1" "$2" | tee -a "$OUT/figures.txt"; }
die() {
	log "FAILED: $*"
	exit 1
}

# plan_at_once N: `jobs plan --due-now` from N processes at once (each with
# the caller's environment; output in the caller's $dir), then the figures.
plan_at_once() {
	local n=$1 began i p plans=()
	began=$(date +%s.%N)
	for ((i = 1; i <= n; i++)); do
		"$BIN" jobs plan --due-now -o json >"$dir/plan$i.json" 2>"$dir/plan$i.log" &
		plans+=($!)
	done
	for p in "${plans[@]}"; do
		wait "$p" || die "jobs plan failed: $(cat "$dir"/plan?.log)"
	done
	fig "jobs plan --due-now x$n at once: enqueued" "$(jq -s 'map(.enqueued) | add' "$dir"/plan?.json) (runs: $(jq -s -c 'map(.enqueued)' "$dir"/plan?.json))"
	fig "  duplicates / brought forward" "$(jq -s 'map(.duplicates) | add' "$dir"/plan?.json) / $(jq -s 'map(.brought_forward) | add' "$dir"/plan?.json)"
	fig "  wall time of the $n runs" "$(echo "$(date +%s.%N) - $began" | bc | cut -c1-5) s"
}

# wait_planned SQLFN N: wait until the leader's planner has planned N scan
# jobs (each connection's next slot, today's or tomorrow's); SQLFN runs SQL.
wait_planned() {
	local sql=$1 n=$2 start=$SECONDS
	until (($("$sql" "SELECT count(*) FROM river_job WHERE kind = 'valdrix.scan'") >= n)); do
		((SECONDS - start < 120)) || die "the leader's planner did not plan the connections"
		sleep 0.5
	done
}

build() {
	mkdir -p "$OUT"
	log "building $BIN"
	(cd "$ROOT" && GOTOOLCHAIN=local go build -o "$BIN" ./cmd/valdrix)
}

# start_sim DIR: serves the simulated estate; sets the VALDRIX_* variables
# that point the platform at it.
start_sim() {
	local dir=$1
	"$BIN" sim serve --resources "$RESOURCES" -o json >"$dir/sim.json" 2>"$dir/sim.log" &
	PIDS+=($!)
	local deadline=$((SECONDS + 30))
	# (jq -e succeeds on an empty file: wait for content first.)
	until [[ -s $dir/sim.json ]] && jq -e .endpoints.AWS "$dir/sim.json" >/dev/null 2>&1; do
		((SECONDS < deadline)) || die "the simulator did not start: $(cat "$dir/sim.log")"
		sleep 0.2
	done
	export VALDRIX_AWS_ACCESS_KEY_ID VALDRIX_AWS_SECRET_ACCESS_KEY VALDRIX_DEBUG_AWS_ENDPOINT VALDRIX_DEBUG_AZURE_ENDPOINT \
		VALDRIX_DEBUG_AZURE_CA VALDRIX_DEBUG_GCP_ENDPOINT
	VALDRIX_AWS_ACCESS_KEY_ID=$(jq -r .aws_access_key_id "$dir/sim.json")
	VALDRIX_AWS_SECRET_ACCESS_KEY=$(jq -r .aws_secret_key "$dir/sim.json")
	VALDRIX_DEBUG_AWS_ENDPOINT=$(jq -r .endpoints.AWS "$dir/sim.json")
	VALDRIX_DEBUG_AZURE_ENDPOINT=$(jq -r .endpoints.Azure "$dir/sim.json")
	VALDRIX_DEBUG_AZURE_CA=$(jq -r .azure_ca_file "$dir/sim.json")
	VALDRIX_DEBUG_GCP_ENDPOINT=$(jq -r .endpoints.GCP "$dir/sim.json")
	AWS_ACCOUNT=$(jq -r .aws_payer_account "$dir/sim.json")
	AZURE_TENANT=$(jq -r .azure_tenant_id "$dir/sim.json")
	AZURE_SUBS=$(jq -c .azure_subscriptions "$dir/sim.json")
}

# common_env DIR DATABASE_URL: settings shared by every process of a run.
# Timeouts are short so that a killed worker's jobs are rescued within the
# run: the rescue delay must be at least twice every kind's timeout.
common_env() {
	export VALDRIX_DATA_DIR=$1 VALDRIX_DATABASE_URL=$2
	export VALDRIX_ENCRYPTION_KEYS=k1:$(head -c 32 /dev/urandom | base64)
	export VALDRIX_SCAN_TIMEOUT=30s VALDRIX_JOB_RESCUE_AFTER=2m
	export VALDRIX_JOB_TIMEOUTS=valdrix.scan=1m,valdrix.ingest=1m,valdrix.discover=1m,valdrix.detect=1m
	export VALDRIX_RATE_LIMIT_IP=0 VALDRIX_RATE_LIMIT_PRINCIPAL=0 VALDRIX_LOG_LEVEL=warn
}

fresh_pg() {
	local name=$1
	psql "$PG_ADMIN" -qX -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" >/dev/null
	echo "${PG_ADMIN%%/postgres\?*}/$name?sslmode=disable"
}

# start_serve NAME PORT [flags]: a serve process; waits for /readyz.
start_serve() {
	local name=$1 port=$2
	shift 2
	"$BIN" serve --http-addr "127.0.0.1:$port" "$@" >"$VALDRIX_DATA_DIR/$name.log" 2>&1 &
	PIDS+=($!)
	SERVE_PID=$!
	local deadline=$((SECONDS + 60))
	until curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
		((SECONDS < deadline)) || die "$name did not become ready: $(tail -5 "$VALDRIX_DATA_DIR/$name.log")"
		kill -0 "$SERVE_PID" 2>/dev/null || die "$name exited: $(tail -5 "$VALDRIX_DATA_DIR/$name.log")"
		sleep 0.2
	done
}

start_worker() {
	local name=$1
	"$BIN" worker "${@:2}" >"$VALDRIX_DATA_DIR/$name.log" 2>&1 &
	PIDS+=($!)
	WORKER_PID=$!
}

# api_key TENANT: an admin API key of the tenant.
api_key() { "$BIN" apikey create --tenant "$1" --role admin --name acceptance -o json 2>/dev/null | jq -r '.key // .token // .secret'; }

# connection_body I: the JSON of connection I: AWS, each with its own role
# name in the simulated payer account (a role serves one tenant, and the
# simulator trusts every role), or, every AZURE_EVERY-th, Azure with the
# simulator's Cost Management export (so that scans also ingest billing).
connection_body() {
	local i=$1
	if ((AZURE_EVERY > 0 && i % AZURE_EVERY == 0)); then
		jq -nc --arg n "azure-$i" --arg t "$AZURE_TENANT" --argjson s "$AZURE_SUBS" \
			'{provider:"azure",name:$n,azure:{tenant_id:$t,client_id:"00000000-0000-0000-0000-000000000001",client_secret:"sim",
			  subscriptions:$s,storage_account:"valdrixcostexports",container:"cost-exports",export_prefix:"exports"}}'
	else
		jq -nc --arg n "aws-$i" --arg a "$AWS_ACCOUNT" --arg r "arn:aws:iam::$AWS_ACCOUNT:role/ValdrixAcceptance$i" \
			'{provider:"aws",name:$n,aws:{account_id:$a,role_arn:$r,regions:["us-east-1","eu-west-1"]}}'
	fi
}

# create_connections PORT KEY FROM TO: connections FROM..TO through the API.
create_connections() {
	local port=$1 key=$2 from=$3 to=$4 i
	for ((i = from; i <= to; i++)); do
		connection_body "$i"
	done | xargs -d '\n' -P 4 -I{} curl -fsS -o /dev/null -X POST "http://127.0.0.1:$port/api/v1/connections" \
		-H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d '{}'
}

q() { psql "$PSQL_URL" -AtqX -c "$1"; }
# TODAY's scan jobs (the daily planner also plans tomorrow's for connections
# whose slot has passed today; those are counted apart).
TODAY=$(date -u +%F)
scan_count() { q "SELECT count(*) FROM river_job WHERE kind = 'valdrix.scan' AND args->'args'->>'day' = '$TODAY' ${1:+AND $1}"; }

# wait_scans N: polls until N scan jobs are finalized (completed, discarded
# or cancelled), or DEADLINE.
wait_scans() {
	local n=$1 start=$SECONDS done_=0
	while :; do
		done_=$(scan_count "state IN ('completed', 'discarded', 'cancelled')")
		((done_ >= n)) && break
		((SECONDS - start < DEADLINE)) || die "only $done_ of $n scans finished within ${DEADLINE}s: $(q "SELECT state, count(*) FROM river_job WHERE kind = 'valdrix.scan' GROUP BY 1" | tr '\n' ' ')"
		sleep 2
	done
}

# checks: figures common to the PostgreSQL and SQLite runs.
checks() {
	local conns=$1
	local today="kind = 'valdrix.scan' AND args->'args'->>'day' = '$TODAY'"
	fig "scan jobs for today ($TODAY)" "$(scan_count)"
	fig "connections with exactly one scan today" "$(q "SELECT count(*) FROM (SELECT args->'args'->>'connection_id' FROM river_job WHERE $today GROUP BY 1 HAVING count(*) = 1) x")"
	fig "connections with more than one scan today" "$(q "SELECT count(*) FROM (SELECT args->'args'->>'connection_id' FROM river_job WHERE $today GROUP BY 1 HAVING count(*) > 1) x")"
	fig "connections without a scan today" "$((conns - $(q "SELECT count(DISTINCT args->'args'->>'connection_id') FROM river_job WHERE $today")))"
	fig "today's scan jobs by state" "$(q "SELECT string_agg(state::text || ' ' || n, ', ') FROM (SELECT state, count(*) n FROM river_job WHERE $today GROUP BY 1) x")"
	fig "tomorrow's scans planned (slot passed today)" "$(q "SELECT count(*) || ' (' || count(DISTINCT args->'args'->>'connection_id') || ' connections), states: ' || coalesce(string_agg(DISTINCT state::text, ','), '-') FROM river_job WHERE kind = 'valdrix.scan' AND args->'args'->>'day' > '$TODAY'")"
	fig "scan jobs with more than one attempt" "$(scan_count "attempt > 1")"
	fig "scan jobs rescued (JobRescuer error)" "$(scan_count "errors::text LIKE '%JobRescuer%'")"
	fig "scan records (scans table) by status" "$(q "SELECT string_agg(status || ' ' || n, ', ') FROM (SELECT status, count(*) n FROM scans GROUP BY 1) x")"
	fig "findings / distinct (connection, resource, rule)" "$(q "SELECT count(*) || ' / ' || count(DISTINCT (connection_id, resource_id, rule_id)) FROM findings")"
	fig "ledger imports by status" "$(q "SELECT coalesce(string_agg(status || ' ' || n, ', '), 'none') FROM (SELECT status, count(*) n FROM ledger_imports GROUP BY 1) x")"
	fig "billing periods (ledger_periods)" "$(q "SELECT count(*) FROM ledger_periods")"
	fig "half-written periods" "$(q "SELECT count(*) FROM ledger_periods p JOIN ledger_imports i ON i.id = p.import_id
		WHERE i.status <> 'succeeded' OR i.finished_at IS NULL
		   OR i.ledger_rows <> (SELECT count(*) FROM ledger l WHERE l.import_id = p.import_id)")"
	fig "ledger rows of no current import" "$(q "SELECT count(*) FROM ledger l WHERE NOT EXISTS (SELECT 1 FROM ledger_periods p WHERE p.import_id = l.import_id)")"
	fig "imports still running" "$(q "SELECT count(*) FROM ledger_imports WHERE status = 'running'")"
}

peak_rss() { awk '/VmHWM/ {printf "%d MiB", $2/1024}' "/proc/$1/status" 2>/dev/null || echo "?"; }

# --- a. PostgreSQL: serve + 3 workers -----------------------------------------

# prepare DIR TITLE [DATABASE]: a fresh scenario directory, the simulator,
# the environment of every process (PostgreSQL database DATABASE, made
# afresh, or SQLite) and the migrations.
prepare() {
	local dir=$1
	rm -rf "$dir" && mkdir -p "$dir"
	echo "== $2" | tee -a "$OUT/figures.txt"
	start_sim "$dir"
	if [[ -n ${3:-} ]]; then
		PSQL_URL=$(fresh_pg "$3")
		common_env "$dir" "$PSQL_URL"
	else
		common_env "$dir" ""
		unset VALDRIX_DATABASE_URL
	fi
	"$BIN" migrate up >"$dir/migrate.log" 2>&1
}

run_pg() {
	local dir=$OUT/pg
	prepare "$dir" "a. PostgreSQL: 1 serve + 3 workers, $CONNS connections, estate of $RESOURCES resources" valdrix_accept_pg
	# Connections first, with every process stopped, so that the leader's
	# planner at start does not plan them at their slots.
	start_serve setup 18081 --no-workers
	local tenant key
	tenant=$("$BIN" tenant create --name "Acceptance" 2>/dev/null)
	key=$(api_key "$tenant")
	local t0=$SECONDS
	create_connections 18081 "$key" 1 "$CONNS"
	fig "connections created (API, 4 at once)" "$(q "SELECT count(*) FROM connections") in $((SECONDS - t0)) s"
	kill "$SERVE_PID" && wait "$SERVE_PID" || true

	local pids=() names=(serve worker1 worker2 worker3)
	start_serve serve 18081
	pids+=("$SERVE_PID")
	for w in 1 2 3; do
		start_worker "worker$w" --metrics-addr "127.0.0.1:1909$w"
		pids+=("$WORKER_PID")
	done
	wait_planned q "$CONNS"
	fig "today's scans planned at slots by the leader" "$(scan_count)"
	# `jobs plan --due-now` from every process's configuration, at once.
	t0=$(date +%s.%N)
	plan_at_once 4

	# kill -9 a worker once scans are running and some have finished.
	local victim=${pids[2]}
	local start=$SECONDS
	until (($(scan_count "state = 'completed'") >= CONNS / 10)) && (($(scan_count "state = 'running'") > 0)); do
		((SECONDS - start < DEADLINE)) || die "scans did not start"
		sleep 0.5
	done
	local running completed
	running=$(scan_count "state = 'running'")
	completed=$(scan_count "state = 'completed'")
	kill -9 "$victim"
	fig "kill -9 worker2 after" "$completed scans completed, $running running (all workers)"
	wait_scans "$CONNS"
	fig "time from due-now to all scans finished" "$(echo "$(date +%s.%N) - $t0" | bc | cut -c1-6) s"
	for i in 0 1 3; do
		fig "peak RSS ${names[$i]}" "$(peak_rss "${pids[$i]}")"
	done
	checks "$CONNS"
	cleanup
}

# --- b. SQLite: one serve -----------------------------------------------------

# lite SQL: a read on the SQLite file (WAL: readers do not block the writer).
lite() { sqlite3 -readonly -cmd '.timeout 10000' "$VALDRIX_DATA_DIR/valdrix.db" "$1"; }

# all_scan_jobs FILE: every scan job, through `valdrix jobs list` (River
# stores SQLite arguments as JSONB, which the sqlite3 shell cannot read).
all_scan_jobs() {
	local out=$1 cursor="" page
	echo '[]' >"$out"
	while :; do
		page=$("$BIN" jobs list --kind valdrix.scan --limit 500 ${cursor:+--cursor "$cursor"} -o json 2>/dev/null)
		jq -s '.[0] + .[1].items' "$out" <(echo "$page") >"$out.tmp" && mv "$out.tmp" "$out"
		cursor=$(jq -r '.next_cursor // ""' <<<"$page")
		[[ -n $cursor ]] || break
	done
}

run_sqlite() {
	local dir=$OUT/sqlite
	prepare "$dir" "b. SQLite: 1 serve, $CONNS connections, estate of $RESOURCES resources"
	start_serve setup 18082 --no-workers
	local tenant key t0=$SECONDS
	tenant=$("$BIN" tenant create --name "Acceptance" 2>/dev/null)
	key=$(api_key "$tenant")
	create_connections 18082 "$key" 1 "$CONNS"
	fig "connections created (API, 4 at once)" "$(lite "SELECT count(*) FROM connections") in $((SECONDS - t0)) s"
	kill "$SERVE_PID" && wait "$SERVE_PID" || true

	start_serve serve 18082
	local pid=$SERVE_PID start
	wait_planned lite "$CONNS"
	local t1
	t1=$(date +%s.%N)
	plan_at_once 2
	start=$SECONDS
	until (($(lite "SELECT count(*) FROM river_job WHERE kind = 'valdrix.scan' AND state IN ('completed', 'discarded', 'cancelled')") >= CONNS)); do
		((SECONDS - start < DEADLINE)) || die "scans did not finish within ${DEADLINE}s"
		sleep 2
	done
	fig "time from due-now to all scans finished" "$(echo "$(date +%s.%N) - $t1" | bc | cut -c1-6) s"
	fig "peak RSS serve" "$(peak_rss "$pid")"
	all_scan_jobs "$dir/jobs.json"
	local today=$TODAY
	fig "scan jobs for today ($today)" "$(jq --arg d "$today" '[.[] | select(.args.day == $d)] | length' "$dir/jobs.json")"
	fig "connections with more than one scan today" "$(jq --arg d "$today" '[.[] | select(.args.day == $d) | .args.connection_id] | group_by(.) | map(select(length > 1)) | length' "$dir/jobs.json")"
	fig "connections with exactly one scan today" "$(jq --arg d "$today" '[.[] | select(.args.day == $d) | .args.connection_id] | group_by(.) | map(select(length == 1)) | length' "$dir/jobs.json")"
	fig "today's scan jobs by state" "$(jq -r --arg d "$today" '[.[] | select(.args.day == $d) | .state] | group_by(.) | map("\(.[0]) \(length)") | join(", ")' "$dir/jobs.json")"
	fig "tomorrow's scans planned (slot passed today)" "$(jq --arg d "$today" '[.[] | select(.args.day > $d)] | length' "$dir/jobs.json")"
	fig "scan jobs with errors" "$(jq '[.[] | select((.errors // []) | length > 0)] | length' "$dir/jobs.json")"
	fig "scan records (scans table) by status" "$(lite "SELECT group_concat(status || ' ' || n, ', ') FROM (SELECT status, count(*) n FROM scans GROUP BY 1)")"
	fig "findings / distinct (connection, resource, rule)" "$(lite "SELECT count(*) FROM findings") / $(lite "SELECT count(*) FROM (SELECT DISTINCT connection_id, resource_id, rule_id FROM findings)")"
	fig "ledger imports by status" "$(lite "SELECT coalesce(group_concat(status || ' ' || n, ', '), 'none') FROM (SELECT status, count(*) n FROM ledger_imports GROUP BY 1)")"
	fig "billing periods (ledger_periods)" "$(lite "SELECT count(*) FROM ledger_periods")"
	fig "half-written periods" "$(lite "SELECT count(*) FROM ledger_periods p JOIN ledger_imports i ON i.id = p.import_id
		WHERE i.status <> 'succeeded' OR i.finished_at IS NULL
		   OR i.ledger_rows <> (SELECT count(*) FROM ledger l WHERE l.import_id = p.import_id)")"
	fig "imports still running" "$(lite "SELECT count(*) FROM ledger_imports WHERE status = 'running'")"
	cleanup
}

# --- d. many tenants, one connection each -----------------------------------

run_tenants() {
	local dir=$OUT/tenants
	prepare "$dir" "d. PostgreSQL: $TENANTS tenants with one connection each, 1 serve + 3 workers, estate of $RESOURCES resources" valdrix_accept_tenants
	local t0=$SECONDS i
	# Tenants and connections through the CLI (no API creates tenants), two
	# at a time.
	for ((i = 1; i <= TENANTS; i++)); do echo "$i"; done | xargs -P 2 -I{} bash -c '
		set -euo pipefail
		t=$("$0" tenant create --name "Tenant {}" 2>/dev/null)
		if (( {} % $2 == 0 )); then
			echo sim | "$0" connection create --tenant "$t" --provider azure --name "azure-{}" --azure-tenant-id "$3" \
				--client-id 00000000-0000-0000-0000-000000000001 --client-secret-stdin $(jq -r ".[] | \"--subscription \" + ." <<<"$4") \
				--storage-account valdrixcostexports --container cost-exports --azure-export-prefix exports >/dev/null 2>&1
		else
			"$0" connection create --tenant "$t" --provider aws --name "aws-{}" --account-id "$1" \
				--role-arn "arn:aws:iam::$1:role/ValdrixTenant{}" --region us-east-1 --region eu-west-1 >/dev/null 2>&1
		fi' "$BIN" "$AWS_ACCOUNT" "$AZURE_EVERY" "$AZURE_TENANT" "$AZURE_SUBS"
	fig "tenants / connections created (CLI, 2 at once)" "$(q "SELECT count(*) FROM tenants") / $(q "SELECT count(*) FROM connections") in $((SECONDS - t0)) s"

	local pids=() names=(serve worker1 worker2 worker3) w
	start_serve serve 18083
	pids+=("$SERVE_PID")
	for w in 1 2 3; do
		start_worker "worker$w"
		pids+=("$WORKER_PID")
	done
	wait_planned q "$TENANTS"
	local t1
	t1=$(date +%s.%N)
	"$BIN" jobs plan --due-now -o json >"$dir/plan.json" 2>"$dir/plan.log"
	fig "jobs plan --due-now: enqueued / brought forward" "$(jq .enqueued "$dir/plan.json") / $(jq .brought_forward "$dir/plan.json") (in $(echo "$(date +%s.%N) - $t1" | bc | cut -c1-5) s)"
	wait_scans "$TENANTS"
	fig "wall time, due-now to all scans finished" "$(echo "$(date +%s.%N) - $t1" | bc | cut -c1-6) s"
	for i in 0 1 2 3; do
		fig "peak RSS ${names[$i]}" "$(peak_rss "${pids[$i]}")"
	done
	fig "scan jobs discarded or cancelled (errors)" "$(scan_count "state IN ('discarded', 'cancelled')")"
	fig "scan jobs with an error recorded" "$(scan_count "coalesce(array_length(errors, 1), 0) > 0")"
	checks "$TENANTS"
	cleanup
}

# --- c. chaos -----------------------------------------------------------------

run_chaos() {
	echo "== c. chaos: throttling and a region down (go test -run TestAcceptanceChaos ./internal/cli)" | tee -a "$OUT/figures.txt"
	(cd "$ROOT" && VALDRIX_ACCEPTANCE=1 GOTOOLCHAIN=local go test -count=1 -run TestAcceptanceChaos -v ./internal/cli 2>&1) |
		tee "$OUT/chaos.log" | grep -E '^\s+(acceptance|figure)|^(--- |ok|FAIL)' | sed 's/^/  /' | tee -a "$OUT/figures.txt"
	grep -q '^ok' "$OUT/chaos.log" || die "the chaos run failed (see $OUT/chaos.log)"
}

# --- main ---------------------------------------------------------------------

main() {
	local what=("$@")
	((${#what[@]})) || what=(all)
	[[ ${what[0]} == all ]] && what=(pg sqlite chaos tenants)
	build
	: >"$OUT/figures.txt"
	echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(psql "$PG_ADMIN" -AtqX -c 'SHOW server_version' | sed 's/^/PostgreSQL /')" | tee -a "$OUT/figures.txt"
	local s
	for s in "${what[@]}"; do
		case $s in
		pg) run_pg ;;
		sqlite) run_sqlite ;;
		chaos) run_chaos ;;
		tenants) run_tenants ;;
		*) die "unknown scenario $s (pg, sqlite, chaos, tenants, all)" ;;
		esac
	done
}

main "$@"
