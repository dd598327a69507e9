#!/usr/bin/env bash
# Local infrastructure for kielto without Docker (docs/CONTRACT.md §5):
#   Apache Kafka 4.1.1 (KRaft, broker+controller) from Maven Central jars, and
#   FerretDB v1.24.2 (MongoDB wire protocol) built from the Go module proxy, with one fix per backend (below), on
#   SQLite (the default) or PostgreSQL (KIELTO_FERRETDB_BACKEND=postgresql: Debian's server, a cluster of our own).
# Usage: scripts/infra.sh up|down|status|env|clean
# Downloads and builds are cached in $KIELTO_CACHE (default ~/.cache/kielto), data lives in .data/ (git-ignored).
# Whatever KAFKA_BROKERS / MONGODB_URI already provide is skipped. Only processes started here are stopped.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${KIELTO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kielto}
DATA=${KIELTO_DATA_DIR:-$ROOT/.data}
KAFKA_VERSION=4.1.1
FERRETDB_VERSION=v1.24.2
KAFKA_PORT=${KIELTO_KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KIELTO_KAFKA_CONTROLLER_PORT:-9093}
MONGO_PORT=${KIELTO_MONGO_PORT:-27017}
PG_PORT=${KIELTO_PG_PORT:-54329}
KAFKA_LIB=$CACHE/kafka-$KAFKA_VERSION/lib
# `-kielto.5`: the build with both _id index fixes, `_id: {$in}` pushed down on SQLite (and said so by explain) and the
# -handler flag; an older cached build is not reused.
FERRETDB_BIN=$CACHE/ferretdb-$FERRETDB_VERSION-kielto.5/kielto-ferretdb
# FerretDB's backend. `sqlite` (default): no server besides FerretDB, one writer at a time. `postgresql`: Debian's
# PostgreSQL under it, concurrent writers. Side by side on the 2-core development VM (issue 20: bench/import.ts at
# 10 000 customers, two and three runs, load 9-16) PostgreSQL was not faster (README, "Your own Kafka and MongoDB"):
# every hot path is a handful of statements by `_id`, each costing FerretDB 0.3-0.9 ms of CPU on either backend, and
# PostgreSQL adds a process hop per statement (a sequential insertOne 2.0 ms against 0.7 ms) that its concurrent
# writers do not win back on two cores. Each backend keeps its data apart ($DATA/ferretdb, $DATA/postgresql):
# switching (after `down`) loses nothing.
FERRETDB_BACKEND=${KIELTO_FERRETDB_BACKEND:-sqlite}
case "$FERRETDB_BACKEND" in postgresql | sqlite) ;; *)
  echo "KIELTO_FERRETDB_BACKEND must be postgresql or sqlite, not '$FERRETDB_BACKEND'" >&2; exit 2 ;;
esac
# SQLite's synchronous setting for FerretDB's files. `normal` (WAL mode, FerretDB's default journal) loses nothing
# when FerretDB or any process is killed — the fault suite kill -9s it — and only the last commits on a power loss
# of the machine, and it writes 3-5x faster than `full` (an fsync per commit; 16 clients inserting: 174-327/s full,
# 808-1 113/s normal). For development and CI; a deployment uses MongoDB (docker/compose.yaml).
FERRETDB_SYNCHRONOUS=${KIELTO_FERRETDB_SYNCHRONOUS:-normal}
# The Go garbage collector's target for FerretDB: at the default (100) it spent a quarter of FerretDB's CPU on an import;
# at 400, FerretDB used 25-30 % less CPU for 12 MB more memory (3 000 customers + 9 000 entries imported, alternating
# runs: 670-737 against 495-565 CPU centiseconds; GOGC=off with a 1 GiB limit saved no more and held the gigabyte).
FERRETDB_GOGC=${KIELTO_FERRETDB_GOGC:-400}

log() { printf '[infra] %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Alive and not a zombie: a server that exited stays a zombie until reaped, and `kill -0` still succeeds on it
# (its parent, this script, is gone; whoever inherited it may never reap it).
running() { kill -0 "$1" 2>/dev/null && ! grep -q ') Z ' "/proc/$1/stat" 2>/dev/null; }
pid_alive() { [ -f "$1" ] && running "$(cat "$1")"; }

wait_for() { # <what> <seconds> <command...>
  local what=$1 deadline=$((SECONDS + $2)); shift 2
  until "$@"; do
    if ((SECONDS > deadline)); then log "$what did not become ready in time"; return 1; fi
    sleep 0.3
  done
}

provision_kafka() {
  [ -f "$KAFKA_LIB/kafka_2.13-$KAFKA_VERSION.jar" ] && return 0
  log "fetching Apache Kafka $KAFKA_VERSION jars from Maven Central (once)"
  mkdir -p "$KAFKA_LIB.tmp"
  mvn -q -B -f "$ROOT/infra/kafka/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$KAFKA_LIB.tmp" >&2
  rm -rf "$KAFKA_LIB" && mv "$KAFKA_LIB.tmp" "$KAFKA_LIB"
}

# FerretDB v1's SQLite backend indexes `_id` as `_ferretdb_sjson->"_id"` (metadata/registry.go) but filters on
# `_ferretdb_sjson->'$._id'` (metadata.IDColumn): SQLite uses an expression index only for the same expression, so
# every read, update and delete by `_id` scanned the whole table (a findOne by _id: 32 ms at 20 000 documents,
# 1.4 ms with the fix). The fix makes IDColumn the index's expression (same value: the `_id` member).
FERRETDB_ID_COLUMN_FROM="IDColumn = DefaultColumn + \"->'\$._id'\""
FERRETDB_ID_COLUMN_TO='IDColumn = DefaultColumn + `->"_id"`'

# Its PostgreSQL backend has the same flaw in another form: the `_id_` index is a B-tree on `_jsonb->'_id'`, but an
# equality filter is pushed down as `_jsonb->$1 @> $2`, which no B-tree answers, so every read, update and delete by
# `_id` scanned the table (findOne by _id at 20 000 documents: 6.8 ms, 1.2 ms with the fix, 1.4 ms at 100 000). The
# fix pushes an `_id` equal to a string or ObjectID down as `_jsonb->'_id' = $n`: the index's expression, and the same
# rows (an _id is never an array, and for scalars `@>` is equality; FerretDB filters the rows it gets again anyway).
FERRETDB_PG_FILTER_AT='^func filterEqual(p \*metadata.Placeholder, k any, v any, operator string) (filter string, args \[\]any) {$'
FERRETDB_PG_FILTER_FIX='	if k == "_id" && operator == "->" { // kielto: filter on the _id_ index'"'"'s expression (scripts/infra.sh)
		switch v := v.(type) {
		case string, types.ObjectID:
			return metadata.IDColumn + " = " + p.Next(), []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}
		}
	}'

# And a batch of ids: `_id: {$in: [...]}` scanned the table on SQLite, so the outbox deleted its markers one statement
# (one write transaction) per id, about 1 ms each. infra/ferretdb/kielto_id_in.go.txt pushes it down as `_id IN (…)`
# on the index's expression; Query and Explain of the SQLite backend use it where they have no other WHERE clause
# (Explain also reports the pushdown: `filterPushdown` joins the assignment there).
FERRETDB_SQLITE_IN_FIX='	if whereClause == "" { // kielto: _id: {$in} by the _id index (scripts/infra.sh)
		if w, a, ok := kieltoIDIn(params.Filter); ok {
			whereClause, args = w, a
		}
	}'

provision_ferretdb() {
  [ -x "$FERRETDB_BIN" ] && return 0
  log "building FerretDB $FERRETDB_VERSION from the Go module proxy, with the _id index fixes (once, about a minute)"
  local build
  build=$(mktemp -d)
  cp "$ROOT/infra/ferretdb/"* "$build/"
  (
    cd "$build"
    go mod vendor
    local src=vendor/github.com/FerretDB/FerretDB/internal/backends
    local file=$src/sqlite/metadata/metadata.go
    chmod u+w "$file" "$src/postgresql/query.go"
    grep -qF "$FERRETDB_ID_COLUMN_FROM" "$file" || { log "FerretDB source differs: the _id index fix does not apply"; exit 1; }
    sed -i "/^\tIDColumn = DefaultColumn + /c\\\t$FERRETDB_ID_COLUMN_TO" "$file"
    grep -qF "$FERRETDB_ID_COLUMN_TO" "$file" || { log "the _id index fix did not apply"; exit 1; }
    file=$src/postgresql/query.go
    [ "$(grep -c "$FERRETDB_PG_FILTER_AT" "$file")" = 1 ] || { log "FerretDB source differs: the PostgreSQL _id fix does not apply"; exit 1; }
    printf '%s\n' "$FERRETDB_PG_FILTER_FIX" >pg-filter-fix.txt
    sed -i "/$FERRETDB_PG_FILTER_AT/r pg-filter-fix.txt" "$file"
    grep -qF "kielto: filter on the _id_ index" "$file" || { log "the PostgreSQL _id fix did not apply"; exit 1; }
    file=$src/sqlite/collection.go
    chmod u+w "$file" "$src/sqlite"
    printf '%s\n' "$FERRETDB_SQLITE_IN_FIX" >sqlite-in-fix.txt
    sed 's/whereClause, args = w, a$/whereClause, args, filterPushdown = w, a, true/' sqlite-in-fix.txt >sqlite-in-explain-fix.txt
    # Before Query's `q += whereClause` and Explain's `orderByClause := …` (each once in the file).
    awk -v query="$(printf '\tq += whereClause')" -v explain="$(printf '\torderByClause := prepareOrderByClause(params.Sort)')" '
      $0 == query { while ((getline fix < "sqlite-in-fix.txt") > 0) print fix }
      $0 == explain { while ((getline fix < "sqlite-in-explain-fix.txt") > 0) print fix }
      { print }' "$file" >"$file.new" && mv "$file.new" "$file"
    mv kielto_id_in.go.txt "$src/sqlite/kielto_id_in.go"
    [ "$(grep -cF "kielto: _id: {\$in}" "$file")" = 2 ] || { log "FerretDB source differs: the _id \$in fix did not apply"; exit 1; }
    mkdir -p "$(dirname "$FERRETDB_BIN")"
    go build -mod=vendor -o "$FERRETDB_BIN.tmp" .
  ) >&2 || { rm -rf "$build"; return 1; }
  rm -rf "$build"
  mv "$FERRETDB_BIN.tmp" "$FERRETDB_BIN"
}

kafka_ready() { grep -q 'Kafka Server started' "$DATA/kafka.log" 2>/dev/null && port_open "$KAFKA_PORT"; }

start_kafka() {
  if [ -n "${KAFKA_BROKERS:-}" ]; then log "KAFKA_BROKERS=$KAFKA_BROKERS given: not starting Kafka"; return 0; fi
  if pid_alive "$DATA/kafka.pid"; then log "Kafka already running (pid $(cat "$DATA/kafka.pid"))"; return 0; fi
  if port_open "$KAFKA_PORT"; then log "port $KAFKA_PORT is taken by a process we did not start; using it as Kafka"; return 0; fi
  provision_kafka
  mkdir -p "$DATA/kafka"
  local props=$DATA/kafka/server.properties
  cat >"$props" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$DATA/kafka/logs
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
log.cleaner.dedupe.buffer.size=16777216
PROPS
  if [ ! -f "$DATA/kafka/logs/meta.properties" ]; then
    java -cp "$KAFKA_LIB/*" kafka.tools.StorageTool format -t "$(cat "$DATA/kafka/cluster-id" 2>/dev/null || \
      java -cp "$KAFKA_LIB/*" kafka.tools.StorageTool random-uuid | tee "$DATA/kafka/cluster-id")" \
      -c "$props" -g >>"$DATA/kafka.log" 2>&1
  fi
  : >"$DATA/kafka.log"
  log "starting Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT"
  nohup java -Xmx512m -Xms256m -XX:+UseG1GC -Dlog4j2.configurationFile="$ROOT/infra/kafka/log4j2.properties" \
    -cp "$KAFKA_LIB/*" kafka.Kafka "$props" >>"$DATA/kafka.log" 2>&1 &
  echo $! >"$DATA/kafka.pid"
  wait_for Kafka 90 kafka_ready || { tail -30 "$DATA/kafka.log" >&2; return 1; }
  log "Kafka ready"
}

# PostgreSQL for FerretDB: Debian's server binaries (`apt-get install postgresql` when missing), but a cluster of our
# own in $DATA/postgresql on 127.0.0.1:$PG_PORT (trust authentication, TCP on 127.0.0.1 only, its socket in its data
# directory), started with pg_ctl: never the distribution's cluster, service or port. Durability as PostgreSQL ships
# it (fsync and synchronous_commit on): an acknowledged write survives a kill of FerretDB or of PostgreSQL and a power
# loss; an fsync costs 0.2-0.5 ms on the development VM and concurrent commits share one. `jit=off`: compiling the
# plan of a collection scan costs more than the scan on a development machine. `log_min_messages=log`: statement
# errors are not logged — duplicate keys are kielto's concurrency control, and their DETAIL line would echo the key.
pg_bindir() {
  if [ -n "${KIELTO_PG_BINDIR:-}" ]; then echo "$KIELTO_PG_BINDIR"; return 0; fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  dir=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")
  [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  return 1
}

provision_postgresql() {
  pg_bindir >/dev/null && return 0
  local install=(env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql)
  if ! command -v apt-get >/dev/null; then
    log "PostgreSQL's server (initdb, pg_ctl) is missing: install it, or set KIELTO_PG_BINDIR, or KIELTO_FERRETDB_BACKEND=sqlite"
    return 1
  fi
  log "installing Debian's postgresql (once): ${install[*]}"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq >&2 && "${install[@]}" >&2
  elif sudo -n true 2>/dev/null; then sudo apt-get update -qq >&2 && sudo "${install[@]}" >&2
  else
    log "run: sudo apt-get install -y postgresql   (or KIELTO_FERRETDB_BACKEND=sqlite for FerretDB on SQLite)"
    return 1
  fi
  pg_bindir >/dev/null || { log "PostgreSQL's server binaries are still missing after the install"; return 1; }
}

# PostgreSQL refuses to run as root: then it runs as the `postgres` user that Debian's package creates.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgresql() {
  local pgdata=$DATA/postgresql
  if pid_alive "$DATA/postgresql.pid"; then log "PostgreSQL already running (pid $(cat "$DATA/postgresql.pid"))"; return 0; fi
  if port_open "$PG_PORT"; then
    log "port $PG_PORT is taken by a process we did not start: set KIELTO_PG_PORT to a free port"
    return 1
  fi
  PG_BIN=$(pg_bindir)
  if [ ! -f "$pgdata/PG_VERSION" ]; then
    log "creating a PostgreSQL cluster in $pgdata ($("$PG_BIN/postgres" --version))"
    rm -rf "$pgdata" && mkdir -p "$pgdata" && chmod 700 "$pgdata"
    if [ "$(id -u)" = 0 ]; then
      chown postgres "$pgdata"
      # A data directory of mode 700 (mktemp -d) lets the postgres user through, and no one else.
      runuser -u postgres -- test -x "$DATA" || { chgrp postgres "$DATA" && chmod g+x "$DATA"; }
      runuser -u postgres -- test -w "$pgdata" ||
        { log "user postgres cannot reach $pgdata: set KIELTO_DATA_DIR to a directory it can"; return 1; }
    fi
    as_pg "$PG_BIN/initdb" -D "$pgdata" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
      >"$DATA/postgresql.log" 2>&1 || { tail -20 "$DATA/postgresql.log" >&2; return 1; }
    printf 'host all all 127.0.0.1/32 trust\n' >"$pgdata/pg_hba.conf"
  fi
  touch "$DATA/postgresql.log"
  [ "$(id -u)" != 0 ] || chown postgres "$DATA/postgresql.log"
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  as_pg "$PG_BIN/pg_ctl" start -D "$pgdata" -l "$DATA/postgresql.log" -w -t 60 -o "-c listen_addresses=127.0.0.1 \
    -c port=$PG_PORT -c unix_socket_directories=$pgdata -c max_connections=200 -c shared_buffers=256MB -c jit=off -c log_min_messages=log" \
    >&2 || { tail -30 "$DATA/postgresql.log" >&2; return 1; }
  head -1 "$pgdata/postmaster.pid" >"$DATA/postgresql.pid"
  if ! as_pg "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'ferretdb'" | grep -q 1; then
    as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres ferretdb
  fi
  log "PostgreSQL ready"
}

start_ferretdb() {
  if [ -n "${MONGODB_URI:-}" ]; then log "MONGODB_URI given: not starting FerretDB"; return 0; fi
  if pid_alive "$DATA/ferretdb.pid"; then
    local running_backend
    running_backend=$(cat "$DATA/ferretdb.backend" 2>/dev/null || echo sqlite)
    log "FerretDB already running (pid $(cat "$DATA/ferretdb.pid"), on $running_backend)"
    [ "$running_backend" = "$FERRETDB_BACKEND" ] ||
      log "KIELTO_FERRETDB_BACKEND=$FERRETDB_BACKEND: run scripts/infra.sh down first to switch"
    # A PostgreSQL that died under it (the fault suite kill -9s it) is started again; FerretDB reconnects.
    [ "$running_backend" != postgresql ] || start_postgresql
    return 0
  fi
  if port_open "$MONGO_PORT"; then log "port $MONGO_PORT is taken by a process we did not start; using it as MongoDB"; return 0; fi
  provision_ferretdb
  local backend_args
  if [ "$FERRETDB_BACKEND" = postgresql ]; then
    start_postgresql
    backend_args=(-handler postgresql -postgresql-url "postgres://postgres@127.0.0.1:$PG_PORT/ferretdb")
  else
    mkdir -p "$DATA/ferretdb"
    backend_args=(-handler sqlite -data "$DATA/ferretdb/" -synchronous "$FERRETDB_SYNCHRONOUS")
  fi
  log "starting FerretDB $FERRETDB_VERSION on 127.0.0.1:$MONGO_PORT ($FERRETDB_BACKEND)"
  GOGC=$FERRETDB_GOGC nohup "$FERRETDB_BIN" -listen "127.0.0.1:$MONGO_PORT" "${backend_args[@]}" >"$DATA/ferretdb.log" 2>&1 &
  echo $! >"$DATA/ferretdb.pid"
  echo "$FERRETDB_BACKEND" >"$DATA/ferretdb.backend"
  wait_for FerretDB 30 port_open "$MONGO_PORT" || { tail -30 "$DATA/ferretdb.log" >&2; return 1; }
  log "FerretDB ready"
}

stop_one() { # <name> <pidfile> [signal: TERM; PostgreSQL's fast shutdown is INT]
  local pidfile=$2 pid
  pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  pid=$(cat "$pidfile")
  log "stopping $1 (pid $pid)"
  kill "-${3:-TERM}" "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do running "$pid" || break; sleep 0.2; done
  running "$pid" && { log "$1 did not stop in 20 s; killing"; kill -KILL "$pid" 2>/dev/null || true; }
  rm -f "$pidfile"
}

status_one() { # <name> <pidfile> <port> [what runs]
  if pid_alive "$2"; then echo "$1: running (pid $(cat "$2"), 127.0.0.1:$3${4:+, $4})"
  elif port_open "$3"; then echo "$1: port $3 open (not started by kielto)"
  else echo "$1: stopped"; fi
}

case "${1:-}" in
  up)
    mkdir -p "$DATA"
    # Both provisions can run at once on a fresh machine; the starts themselves are quick.
    [ -n "${KAFKA_BROKERS:-}" ] || provision_kafka & p1=$!
    [ -n "${MONGODB_URI:-}" ] || provision_ferretdb & p2=$!
    [ -n "${MONGODB_URI:-}" ] || [ "$FERRETDB_BACKEND" != postgresql ] || provision_postgresql & p3=$!
    wait $p1; wait $p2; wait $p3
    start_ferretdb
    start_kafka
    ;;
  down)
    stop_one Kafka "$DATA/kafka.pid"
    stop_one FerretDB "$DATA/ferretdb.pid"
    stop_one PostgreSQL "$DATA/postgresql.pid" INT
    ;;
  status)
    status_one Kafka "$DATA/kafka.pid" "$KAFKA_PORT"
    status_one FerretDB "$DATA/ferretdb.pid" "$MONGO_PORT" "on $(cat "$DATA/ferretdb.backend" 2>/dev/null || echo sqlite)"
    [ ! -d "$DATA/postgresql" ] || status_one PostgreSQL "$DATA/postgresql.pid" "$PG_PORT"
    ;;
  env) # the settings that point the services and tests at these servers: eval "$(scripts/infra.sh env)"
    echo "export KAFKA_BROKERS=${KAFKA_BROKERS:-127.0.0.1:$KAFKA_PORT}"
    echo "export MONGODB_URI='${MONGODB_URI:-mongodb://127.0.0.1:$MONGO_PORT/?directConnection=true&retryWrites=false}'"
    ;;
  clean)
    "$0" down
    rm -rf "$DATA"
    ;;
  *) echo "usage: $0 up|down|status|env|clean" >&2; exit 2 ;;
esac
