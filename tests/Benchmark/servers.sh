# Starting, stopping and measuring the servers the benchmark scripts compare (sourced by compare.sh and
# retention.sh): a 3-member etcd 3.4 cluster on loopback, or EtcdOrleans (3 silos + 1 gateway), fsync on.
# Settings (environment) are listed in compare.sh; EO_SILO_ENV adds assignments to every silo's environment.
# shellcheck shell=bash

ROOT=$(cd "$HERE/../.." && pwd)
WORK=${WORK:-$(mktemp -d /tmp/etcd-compare.XXXXXX)}
RESULTS=${RESULTS:-$WORK/results}
READY_TIMEOUT=${READY_TIMEOUT:-180}
EO_PORT=${ETCDORLEANS_PORT:-23990}
EO_SILO_PORT=${ETCDORLEANS_SILO_PORT:-11111}
EO_SILO_GATEWAY_PORT=${ETCDORLEANS_SILO_GATEWAY_PORT:-30000}
BENCH="$HERE/bin/Release/net10.0/etcd-bench"
EO_SILO_DLL="$ROOT/Silo/Host/bin/Release/net10.0/EtcdOrleans.Silo.dll"
EO_GATEWAY_DLL="$ROOT/Gateway/bin/Release/net10.0/EtcdOrleans.Gateway.dll"
ETCD_ENDPOINTS="127.0.0.1:23791,127.0.0.1:23792,127.0.0.1:23793"
export ETCDCTL_API=3
SERVER_PIDS=()
SERVER_NAMES=()
EO_BUILT=""
read -r -a EO_SILO_ENV_ARRAY <<<"${EO_SILO_ENV:-}"

log() { printf '[%s %s] %s\n' "${LOG_NAME:-compare}" "$(date +%H:%M:%S)" "$*" >&2; }

# Appends a command, as it can be re-run by hand, to the list the report quotes.
record() { printf '%s\n' "$*" >>"$RESULTS/commands.txt"; }

ensure_tools() {
  if ! command -v etcd >/dev/null 2>&1 || ! command -v etcdctl >/dev/null 2>&1; then
    log "etcd or etcdctl not found: installing etcd-server and etcd-client with apt-get"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq && $sudo apt-get install -y -qq etcd-server etcd-client >&2
  fi
  if [ ! -x "$BENCH" ] || [ -n "${REBUILD:-}" ]; then
    log "building etcd-bench (Release)"
    dotnet build -c Release -v q -nologo "$HERE/EtcdOrleans.Benchmark.csproj" >&2
  fi
}

# Waits until every endpoint (comma-separated) answers a linearizable get.
wait_ready() { # endpoints timeout-seconds
  local ep deadline=$((SECONDS + $2))
  for ep in ${1//,/ }; do
    until etcdctl --endpoints "$ep" --dial-timeout 2s --command-timeout 3s get x >/dev/null 2>&1; do
      if [ $SECONDS -ge $deadline ]; then log "timed out waiting for $ep"; return 1; fi
      check_servers_alive || return 1
      sleep 0.5
    done
  done
}

check_servers_alive() {
  local i
  for i in "${!SERVER_PIDS[@]}"; do
    if ! kill -0 "${SERVER_PIDS[$i]}" 2>/dev/null; then
      log "${SERVER_NAMES[$i]} (pid ${SERVER_PIDS[$i]}) exited; see its log under $WORK"
      return 1
    fi
  done
}

# Starts one server process in the background; its environment comes before the command.
spawn() { # name logfile env... -- command...
  local name=$1 logfile=$2; shift 2
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  env "${envs[@]}" "$@" >"$logfile" 2>&1 &
  SERVER_PIDS+=($!)
  SERVER_NAMES+=("$name")
  record "${envs[*]:+${envs[*]} }$* &"
}

# SIGKILL to every server at once: a crash, not a shutdown.
kill_servers() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${SERVER_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  SERVER_PIDS=()
  SERVER_NAMES=()
}

stop_servers() {
  local pid i
  for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for i in $(seq 1 100); do
    local alive=0
    for pid in "${SERVER_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${SERVER_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  SERVER_PIDS=()
  SERVER_NAMES=()
}

# Sum over the running servers of a /proc/<pid>/status field (kB): VmHWM = peak RSS, VmRSS = now.
sum_status_kb() { # field
  local pid total=0 kb
  for pid in "${SERVER_PIDS[@]}"; do
    kb=$(awk -v f="$1:" '$1 == f { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
    total=$((total + ${kb:-0}))
  done
  echo "$total"
}

# ---- etcd 3.4: three members on loopback, client ports 23791-23793, peer ports 23801-23803 ----

# Starts member $2 (1..3) of phase $1; with existing data it rejoins (etcd ignores the initial-cluster flags then).
spawn_etcd_member() { # phase member
  local cluster="" j dir="$WORK/etcd-$1" i=$2
  for j in 1 2 3; do cluster+="${cluster:+,}m$j=http://127.0.0.1:2380$j"; done
  mkdir -p "$dir/m$i"
  spawn "etcd m$i" "$dir/m$i.log" -- \
    etcd --name "m$i" --data-dir "$dir/m$i" \
    --listen-client-urls "http://127.0.0.1:2379$i" --advertise-client-urls "http://127.0.0.1:2379$i" \
    --listen-peer-urls "http://127.0.0.1:2380$i" --initial-advertise-peer-urls "http://127.0.0.1:2380$i" \
    --initial-cluster "$cluster" --initial-cluster-token "etcd-compare-$1" --initial-cluster-state new \
    --logger zap --log-level error
}

start_etcd() { # phase
  local i
  record "# etcd $(etcd --version | awk 'NR == 1 { print $3 }'), 3 members ($1)"
  for i in 1 2 3; do spawn_etcd_member "$1" "$i"; done
  ENDPOINTS=$ETCD_ENDPOINTS
  wait_ready "$ENDPOINTS" "$READY_TIMEOUT"
}

# ---- EtcdOrleans: three silos (one Raft replica each) and one gateway, fsync on (the default) ----

build_etcdorleans() {
  [ -n "$EO_BUILT" ] && return 0
  if [ -z "${NO_BUILD:-}" ]; then
    log "building EtcdOrleans silo and gateway (Release)"
    record "dotnet build -c Release Silo/Host/EtcdOrleans.Silo.csproj Gateway/EtcdOrleans.Gateway.csproj"
    (cd "$ROOT" && dotnet build -c Release -v q -nologo Silo/Host/EtcdOrleans.Silo.csproj >&2 \
      && dotnet build -c Release -v q -nologo Gateway/EtcdOrleans.Gateway.csproj >&2) || return 1
  fi
  [ -f "$EO_SILO_DLL" ] && [ -f "$EO_GATEWAY_DLL" ] || { log "EtcdOrleans build output missing"; return 1; }
  EO_BUILT=1
}

# The data directory of an EtcdOrleans phase.
etcdorleans_dir() { echo "$WORK/etcdorleans-$1"; }

# Starts silo $2 of phase $1 (its replica log and range checkpoints are under the phase's data directory).
spawn_silo() { # phase index [log-suffix]
  local dir i=$2
  dir=$(etcdorleans_dir "$1")
  # Log at Warning, as etcd runs at --log-level error: per-request Information logs would be measured too.
  spawn "silo$i" "$dir/silo$i${3:-}.log" Logging__LogLevel__Default=Warning "${EO_SILO_ENV_ARRAY[@]}" \
    EtcdOrleans__DataDirectory="$dir/data" EtcdOrleans__Replicas=3 EtcdOrleans__Ranges=4 \
    Orleans__SiloPort=$((EO_SILO_PORT + i)) Orleans__GatewayPort=$((EO_SILO_GATEWAY_PORT + i)) -- \
    dotnet "$EO_SILO_DLL"
}

start_etcdorleans() { # phase [log-suffix]
  if [ -n "${ETCDORLEANS_ENDPOINTS:-}" ]; then
    ENDPOINTS=$ETCDORLEANS_ENDPOINTS
    record "# EtcdOrleans already running at $ENDPOINTS"
    return 0
  fi
  build_etcdorleans || return 1
  local i dir
  dir=$(etcdorleans_dir "$1")
  mkdir -p "$dir/data"
  record "# EtcdOrleans: 3 silos + 1 gateway ($1), from $ROOT"
  for i in 0 1 2; do spawn_silo "$1" "$i" "${2:-}"; done
  spawn_gateway "$1" "${2:-}"
  ENDPOINTS="127.0.0.1:$EO_PORT"
  wait_ready "$ENDPOINTS" "$READY_TIMEOUT"
}

# Starts the gateway of phase $1 (the same data directory: it finds the silos through the membership there).
spawn_gateway() { # phase [log-suffix]
  local dir
  dir=$(etcdorleans_dir "$1")
  spawn gateway "$dir/gateway${2:-}.log" Logging__LogLevel__Default=Warning \
    EtcdOrleans__DataDirectory="$dir/data" EtcdOrleans__ListenUrls="http://127.0.0.1:$EO_PORT" -- \
    dotnet "$EO_GATEWAY_DLL"
}

start_system() { # system phase
  case "$1" in
    etcd) start_etcd "$2" ;;
    etcdorleans) start_etcdorleans "$2" ;;
  esac
}

stop_system() { # system phase
  stop_servers
  [ -n "${KEEP_DATA:-}" ] || rm -rf "$WORK/$1-$2"
}
