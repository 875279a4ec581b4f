#!/usr/bin/env bash
# Install (when root and missing) and start/stop the real services StyleArena needs, in a
# project-local run directory: redis-server, a throw-away PostgreSQL cluster and the Docker
# Engine. Every action is idempotent: start twice starts once, stop twice stops once.
#
#   scripts/services.sh start [redis|postgres|docker|all]
#   scripts/services.sh stop  [redis|postgres|docker|all]
#   scripts/services.sh status
#   scripts/services.sh env        # prints the STYLEARENA_* exports that point at them
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="${STYLEARENA_RUN_DIR:-$ROOT/.run}"
REDIS_PORT="${STYLEARENA_REDIS_PORT:-6390}"
PG_PORT="${STYLEARENA_PG_PORT:-5440}"
DOCKER_DATA_ROOT="${STYLEARENA_DOCKER_DATA_ROOT:-/var/lib/stylearena-docker}"

log() { echo "[services] $*" >&2; }

apt_install() {
  # Installs Debian packages only when root and something is missing; never on a user's box
  # without asking, since a non-root user gets a clear message instead.
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages: ${missing[*]} — install them (sudo apt-get install ${missing[*]}) and retry"
    exit 1
  fi
  log "installing ${missing[*]} (apt-get)"
  if [ ! -f "$RUN/.apt-updated" ]; then
    apt-get update -qq >/dev/null
    mkdir -p "$RUN"
    touch "$RUN/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_for() {  # wait_for SECONDS DESCRIPTION CMD...
  local secs="$1" what="$2"; shift 2
  for _ in $(seq 1 $((secs * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  log "$what did not come up within ${secs}s"; return 1
}

# ---------------------------------------------------------------- redis
start_redis() {
  apt_install redis-server
  mkdir -p "$RUN/redis"
  if pid_alive "$RUN/redis/redis.pid"; then log "redis already running on $REDIS_PORT"; return 0; fi
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes \
    --pidfile "$RUN/redis/redis.pid" --logfile "$RUN/redis/redis.log" --dir "$RUN/redis" \
    --save "" --appendonly no >/dev/null
  wait_for 10 redis redis-cli -p "$REDIS_PORT" ping
  log "redis on 127.0.0.1:$REDIS_PORT"
}
stop_redis() {
  if pid_alive "$RUN/redis/redis.pid"; then
    local pid; pid="$(cat "$RUN/redis/redis.pid")"
    kill "$pid"; for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    log "redis stopped"
  fi
  rm -f "$RUN/redis/redis.pid"
}

# ---------------------------------------------------------------- postgres
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
as_pg_user() {
  # initdb refuses root, so the cluster belongs to the postgres system user when we are root.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
start_postgres() {
  apt_install postgresql
  local bin; bin="$(pg_bin)"
  local dir="$RUN/postgres"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir" && chmod 700 "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_pg_user "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  if as_pg_user "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    log "postgres already running on $PG_PORT"; return 0
  fi
  # A throw-away cluster: fsync off makes tests fast and is fine for data we discard.
  as_pg_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start \
    -o "-p $PG_PORT -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
  wait_for 30 postgres "$bin/pg_isready" -h 127.0.0.1 -p "$PG_PORT"
  log "postgres on 127.0.0.1:$PG_PORT (user postgres, trust auth)"
}
stop_postgres() {
  local bin; bin="$(pg_bin)"
  local dir="$RUN/postgres"
  if [ -n "$bin" ] && [ -f "$dir/data/PG_VERSION" ] && as_pg_user "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_pg_user "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    log "postgres stopped"
  fi
}

# ---------------------------------------------------------------- docker
start_docker() {
  apt_install docker.io debootstrap
  local dir="$RUN/docker"
  mkdir -p "$dir"
  if pid_alive "$dir/dockerd.pid" && docker -H "unix://$dir/docker.sock" info >/dev/null 2>&1; then
    log "docker already running"; return 0
  fi
  if [ "$(id -u)" != 0 ]; then log "the Docker Engine needs root to start here"; exit 1; fi
  rm -f "$dir/docker.sock" "$dir/dockerd.pid"
  # No bridge and no iptables: sandboxes run with networking off, and this host has neither.
  # The data root is machine-wide so the locally built sandbox image survives a fresh clone.
  mkdir -p "$DOCKER_DATA_ROOT"
  setsid /usr/sbin/dockerd --host "unix://$dir/docker.sock" --pidfile "$dir/dockerd.pid" \
    --exec-root "$dir/exec" --data-root "$DOCKER_DATA_ROOT" \
    --storage-driver=overlay2 --bridge=none --iptables=false --ip6tables=false \
    >"$dir/dockerd.log" 2>&1 < /dev/null &
  wait_for 60 dockerd docker -H "unix://$dir/docker.sock" info
  log "docker on unix://$dir/docker.sock"
}
stop_docker() {
  local dir="$RUN/docker"
  if pid_alive "$dir/dockerd.pid"; then
    local pid; pid="$(cat "$dir/dockerd.pid")"
    kill "$pid"; for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    log "docker stopped"
  fi
  rm -f "$dir/dockerd.pid"
}

status() {
  pid_alive "$RUN/redis/redis.pid" && echo "redis: running (127.0.0.1:$REDIS_PORT)" || echo "redis: stopped"
  local bin; bin="$(pg_bin)"
  if [ -n "$bin" ] && [ -f "$RUN/postgres/data/PG_VERSION" ] && as_pg_user "$bin/pg_ctl" -D "$RUN/postgres/data" status >/dev/null 2>&1; then
    echo "postgres: running (127.0.0.1:$PG_PORT)"; else echo "postgres: stopped"; fi
  pid_alive "$RUN/docker/dockerd.pid" && echo "docker: running (unix://$RUN/docker/docker.sock)" || echo "docker: stopped"
}

print_env() {
  echo "export STYLEARENA_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
  echo "export STYLEARENA_DOCKER_HOST=unix://$RUN/docker/docker.sock"
  echo "export STYLEARENA_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/postgres"
}

action="${1:-status}"; what="${2:-all}"
case "$action" in
  start|stop)
    case "$what" in
      redis|postgres|docker) "${action}_${what}" ;;
      all) "${action}_redis"; "${action}_postgres"; "${action}_docker" ;;
      *) log "unknown service '$what' (redis, postgres, docker or all)"; exit 2 ;;
    esac ;;
  restart) "stop_${what}"; "start_${what}" ;;
  status) status ;;
  env) print_env ;;
  *) log "usage: $0 start|stop|restart|status|env [redis|postgres|docker|all]"; exit 2 ;;
esac
