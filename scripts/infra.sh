#!/usr/bin/env bash
# Local infrastructure for kielto without Docker (docs/CONTRACT.md §5):
#   Apache Kafka 4.1.1 (KRaft, broker+controller) from Maven Central jars, and
#   FerretDB v1.24.2 (MongoDB wire protocol on SQLite) built from the Go module proxy, with one fix (below).
# Usage: scripts/infra.sh up|down|status|env
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
KAFKA_LIB=$CACHE/kafka-$KAFKA_VERSION/lib
# `-kielto.2`: the build with the _id index fix and the -synchronous flag; an older cached build is not reused.
FERRETDB_BIN=$CACHE/ferretdb-$FERRETDB_VERSION-kielto.2/kielto-ferretdb
# SQLite's synchronous setting for FerretDB's files. `normal` (WAL mode, FerretDB's default journal) loses nothing
# when FerretDB or any process is killed — the fault suite kill -9s it — and only the last commits on a power loss
# of the machine, and it writes 3-5x faster than `full` (an fsync per commit; 16 clients inserting: 174-327/s full,
# 808-1 113/s normal). For development and CI; a deployment uses MongoDB (docker/compose.yaml).
FERRETDB_SYNCHRONOUS=${KIELTO_FERRETDB_SYNCHRONOUS:-normal}

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

provision_ferretdb() {
  [ -x "$FERRETDB_BIN" ] && return 0
  log "building FerretDB $FERRETDB_VERSION from the Go module proxy, with the _id index fix (once, about a minute)"
  local build
  build=$(mktemp -d)
  cp "$ROOT/infra/ferretdb/"* "$build/"
  (
    cd "$build"
    go mod vendor
    local file=vendor/github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata/metadata.go
    chmod u+w "$file"
    grep -qF "$FERRETDB_ID_COLUMN_FROM" "$file" || { log "FerretDB source differs: the _id index fix does not apply"; exit 1; }
    sed -i "/^\tIDColumn = DefaultColumn + /c\\\t$FERRETDB_ID_COLUMN_TO" "$file"
    grep -qF "$FERRETDB_ID_COLUMN_TO" "$file" || { log "the _id index fix did not apply"; exit 1; }
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

start_ferretdb() {
  if [ -n "${MONGODB_URI:-}" ]; then log "MONGODB_URI given: not starting FerretDB"; return 0; fi
  if pid_alive "$DATA/ferretdb.pid"; then log "FerretDB already running (pid $(cat "$DATA/ferretdb.pid"))"; return 0; fi
  if port_open "$MONGO_PORT"; then log "port $MONGO_PORT is taken by a process we did not start; using it as MongoDB"; return 0; fi
  provision_ferretdb
  mkdir -p "$DATA/ferretdb"
  log "starting FerretDB $FERRETDB_VERSION on 127.0.0.1:$MONGO_PORT"
  nohup "$FERRETDB_BIN" -listen "127.0.0.1:$MONGO_PORT" -data "$DATA/ferretdb/" -synchronous "$FERRETDB_SYNCHRONOUS" \
    >"$DATA/ferretdb.log" 2>&1 &
  echo $! >"$DATA/ferretdb.pid"
  wait_for FerretDB 30 port_open "$MONGO_PORT" || { tail -30 "$DATA/ferretdb.log" >&2; return 1; }
  log "FerretDB ready"
}

stop_one() { # <name> <pidfile>
  local pidfile=$2 pid
  pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  pid=$(cat "$pidfile")
  log "stopping $1 (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do running "$pid" || break; sleep 0.2; done
  running "$pid" && { log "$1 did not stop in 20 s; killing"; kill -KILL "$pid" 2>/dev/null || true; }
  rm -f "$pidfile"
}

status_one() { # <name> <pidfile> <port>
  if pid_alive "$2"; then echo "$1: running (pid $(cat "$2"), 127.0.0.1:$3)"
  elif port_open "$3"; then echo "$1: port $3 open (not started by kielto)"
  else echo "$1: stopped"; fi
}

case "${1:-}" in
  up)
    mkdir -p "$DATA"
    # Both provisions can run at once on a fresh machine; the starts themselves are quick.
    [ -n "${KAFKA_BROKERS:-}" ] || provision_kafka & p1=$!
    [ -n "${MONGODB_URI:-}" ] || provision_ferretdb & p2=$!
    wait $p1; wait $p2
    start_ferretdb
    start_kafka
    ;;
  down)
    stop_one Kafka "$DATA/kafka.pid"
    stop_one FerretDB "$DATA/ferretdb.pid"
    ;;
  status)
    status_one Kafka "$DATA/kafka.pid" "$KAFKA_PORT"
    status_one FerretDB "$DATA/ferretdb.pid" "$MONGO_PORT"
    ;;
  clean)
    "$0" down
    rm -rf "$DATA"
    ;;
  *) echo "usage: $0 up|down|status|clean" >&2; exit 2 ;;
esac
