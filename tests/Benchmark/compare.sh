#!/usr/bin/env bash
# Side-by-side comparison on one machine: the standard etcd-bench suite against a real 3-member
# etcd 3.4 cluster and against EtcdOrleans (3 silos + 1 gateway), one system at a time, both with
# fsync on; then the peak memory of each after loading MEMORY_KEYS keys; then one table
# (workload | figure | etcd | EtcdOrleans | ratio), printed and written to docs/performance.md.
#
#   tests/Benchmark/compare.sh                     # everything (13 minutes on a busy 2-core machine)
#   SYSTEMS=etcd tests/Benchmark/compare.sh        # only etcd
#   SCALE=0.1 MEMORY_KEYS=20000 DOC= ...           # quick smoke run, no docs/performance.md
#   ETCDORLEANS_ENDPOINTS=127.0.0.1:2379 ...       # use an EtcdOrleans that is already running
#                                                  #   (then no memory figure for it)
#   REPORT_ONLY=1 RESULTS=/tmp/x/results ...       # only print/write the table of earlier results
#
# Settings (environment):
#   SYSTEMS            systems to measure, in order (default "etcd etcdorleans")
#   SCALE              multiplies every request total (default 1)
#   MEMORY_KEYS        keys (8-byte, 256-byte values) loaded for the memory figure; 0 skips it (default 1000000)
#   MEMORY_TXN_OPS     puts per txn when loading them (default 100; etcd's --max-txn-ops is 128)
#   BENCH_TIME_LIMIT   seconds after which one suite run stops issuing requests (default 30); such a
#                      run still yields completed/elapsed, and the table marks it
#   MEMORY_TIME_LIMIT  the same for the memory load (default 150); the figure then says how many keys
#   READY_TIMEOUT      seconds to wait for a system to answer (default 180)
#   ETCDORLEANS_PORT   the EtcdOrleans gateway's client port (default 23990); silos use
#   ETCDORLEANS_SILO_PORT / ETCDORLEANS_SILO_GATEWAY_PORT and the next two (default 11111 / 30000)
#   NO_BUILD=1         do not build EtcdOrleans (use the existing Release build); REBUILD=1 rebuilds etcd-bench
#   WORK, RESULTS      scratch directory (default a new /tmp/etcd-compare.*) and results (default $WORK/results)
#   DOC                the page to write (default docs/performance.md; empty: do not write)
#   KEEP_DATA=1        keep the servers' data directories
#
# Ports: etcd clients 23791-23793, etcd peers 23801-23803, EtcdOrleans as above (never 2379).
# Results: $RESULTS/<system>/NN-<workload>.json (etcd-bench --json) and .txt (its text report),
# $RESULTS/<system>/99-memory.json (figures) and memory.txt (per process), $RESULTS/commands.txt.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=servers.sh
. "$HERE/servers.sh"
SYSTEMS=${SYSTEMS:-"etcd etcdorleans"}
SCALE=${SCALE:-1}
MEMORY_KEYS=${MEMORY_KEYS:-1000000}
MEMORY_TXN_OPS=${MEMORY_TXN_OPS:-100}
BENCH_TIME_LIMIT=${BENCH_TIME_LIMIT:-30}
MEMORY_TIME_LIMIT=${MEMORY_TIME_LIMIT:-150}
DOC=${DOC-$ROOT/docs/performance.md}
STARTED_AT=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# n * SCALE, at least 1.
scaled() { awk -v n="$1" -v s="$SCALE" 'BEGIN { v = int(n * s); if (v < 1) v = 1; print v }'; }

# ---- the standard suite ------------------------------------------------------------------------

bench() { # file-stem, then etcd-bench args
  local stem=$1; shift
  log "$SYSTEM: $stem"
  local cmd=("$BENCH" --endpoints "$ENDPOINTS" --no-progress --time-limit "$BENCH_TIME_LIMIT" "$@" --name "$stem" --json "$OUT/$stem.json")
  record "etcd-bench ${cmd[*]:1}"
  "${cmd[@]}" >"$OUT/$stem.txt" 2>&1 \
    || log "$SYSTEM: $stem finished with errors (see $OUT/$stem.txt)"
  grep -E 'Requests/sec|Average|Stopped' "$OUT/$stem.txt" | sed 's/^/    /' >&2 || true
}

run_suite() {
  local small big keys
  small=$(scaled 2000); big=$(scaled 50000); keys=$big
  # The key that the range workloads read, with a 256-byte value (etcd's performance docs read "foo").
  record "etcdctl --endpoints $ENDPOINTS put foo <256 x 'x'>"
  etcdctl --endpoints "$ENDPOINTS" put foo "$(head -c 256 /dev/zero | tr '\0' x)" >/dev/null
  bench 01-put-1x1           --conns 1   --clients 1    put --total "$small" --key-size 8 --val-size 256 --sequential-keys --key-space-size "$small"
  bench 02-put-seq-100x1000  --conns 100 --clients 1000 put --total "$big" --key-size 8 --val-size 256 --sequential-keys --key-space-size "$keys"
  bench 03-put-rand-100x1000 --conns 100 --clients 1000 put --total "$big" --key-size 8 --val-size 256 --key-space-size "$keys"
  bench 04-range-l-1x1       --conns 1   --clients 1    range foo --consistency l --total "$(scaled 5000)"
  bench 05-range-l-100x1000  --conns 100 --clients 1000 range foo --consistency l --total "$big"
  bench 06-range-s-1x1       --conns 1   --clients 1    range foo --consistency s --total "$(scaled 5000)"
  bench 07-range-s-100x1000  --conns 100 --clients 1000 range foo --consistency s --total "$big"
  bench 08-txn-put-10x100    --conns 10  --clients 100  txn-put --total "$(scaled 20000)" --key-size 8 --val-size 256 --key-space-size "$keys"
  bench 09-watch-latency     --conns 10  --clients 100  watch-latency --put-total "$(scaled 500)" --put-rate 100 --streams 100 --watchers-per-stream 10
  bench 10-lease-keepalive   --conns 10  --clients 100  lease-keepalive --total "$(scaled 20000)"
  bench 11-watch-fanout      --conns 10  --clients 100  watch-fanout --keys 1000 --watchers-per-key 10 --streams 100 --put-total "$(scaled 10000)" --put-rate 1000 --put-clients 10
}

# Memory per idle watcher: the servers' RSS while 10,000 idle watchers are held, minus before, per watcher; on the
# fresh cluster of the memory figure, before it is loaded (a process that ran the suite keeps its heap, and new
# watchers would fit in memory already counted).
watch_memory() {
  local before during watchers=10000 cmd
  before=$(sum_status_kb VmRSS)
  cmd=("$BENCH" --endpoints "$ENDPOINTS" --no-progress --conns 10 --clients 100
    watch-hold --keys 1000 --watchers-per-key 10 --streams 100 --hold-seconds 20 --name 12-watch-hold --json "$OUT/12-watch-hold.json")
  record "etcd-bench ${cmd[*]:1}"
  log "$SYSTEM: 12-watch-memory"
  "${cmd[@]}" >"$OUT/12-watch-hold.txt" 2>&1 &
  local pid=$! waited=0
  until grep -q "watchers created" "$OUT/12-watch-hold.txt" 2>/dev/null || [ "$waited" -ge 150 ]; do sleep 1; waited=$((waited + 1)); done
  sleep 8
  during=$(sum_status_kb VmRSS)
  wait "$pid" || log "$SYSTEM: watch-hold finished with errors (see $OUT/12-watch-hold.txt)"
  cat >"$OUT/98-watch-memory.json" <<EOF
{ "figures": [
  { "workload": "12-watch-memory-10k-idle", "figure": "RSS bytes per idle watcher, all server processes", "value": $(awk -v b="$before" -v d="$during" -v n="$watchers" 'BEGIN { printf "%.0f", (d - b) * 1024 / n }'), "lowerIsBetter": true, "note": "" }
] }
EOF
}

# ---- memory: peak RSS of all server processes after loading MEMORY_KEYS keys into a fresh cluster ----

run_memory() {
  if [ -n "${ETCDORLEANS_ENDPOINTS:-}" ] && [ "$SYSTEM" = etcdorleans ]; then
    log "$SYSTEM: memory skipped (servers not started by this script)"; return 0
  fi
  local ops=$MEMORY_TXN_OPS txns label loaded figure
  [ "$ops" -le "$MEMORY_KEYS" ] || ops=$MEMORY_KEYS
  txns=$(( (MEMORY_KEYS + ops - 1) / ops ))
  label="memory-$(awk -v n="$MEMORY_KEYS" 'BEGIN { if (n % 1000000 == 0) print n / 1000000 "M"; else if (n % 1000 == 0) print n / 1000 "k"; else print n }')-keys"
  watch_memory
  log "$SYSTEM: loading $MEMORY_KEYS keys ($txns txns of $ops puts) for the memory figure"
  local cmd=("$BENCH" --endpoints "$ENDPOINTS" --no-progress --time-limit "$MEMORY_TIME_LIMIT" --conns 10 --clients 50
    txn-put --total "$txns" --txn-ops "$ops" --key-size 8 --val-size 256 --key-space-size "$MEMORY_KEYS" --name memory-load)
  record "etcd-bench ${cmd[*]:1}"
  "${cmd[@]}" >"$OUT/memory-load.txt" 2>&1 || log "$SYSTEM: memory load finished with errors (see $OUT/memory-load.txt)"
  loaded=$(etcdctl --endpoints "${ENDPOINTS%%,*}" --command-timeout 60s get "" --from-key --keys-only --limit 1 -w json \
    | grep -o '"count":[0-9]*' | cut -d: -f2 || echo 0)
  local peak now
  peak=$(sum_status_kb VmHWM); now=$(sum_status_kb VmRSS)
  {
    echo "keys in the store after loading: ${loaded:-0} (asked for $MEMORY_KEYS, plus the suite's none: fresh cluster)"
    local i
    for i in "${!SERVER_PIDS[@]}"; do
      awk -v n="${SERVER_NAMES[$i]}" '$1 == "VmHWM:" { h = $2 } $1 == "VmRSS:" { r = $2 } END { printf "%-10s peak %8d kB  now %8d kB\n", n, h, r }' \
        "/proc/${SERVER_PIDS[$i]}/status"
    done
    echo "total      peak $peak kB  now $now kB"
  } >"$OUT/memory.txt"
  sed 's/^/    /' "$OUT/memory.txt" >&2
  local note=""
  [ "${loaded:-0}" -ge "$MEMORY_KEYS" ] || note="only ${loaded:-0} keys loaded"
  cat >"$OUT/99-memory.json" <<EOF
{ "figures": [
  { "workload": "$label", "figure": "peak RSS MiB, all server processes", "value": $(awk -v k="$peak" 'BEGIN { printf "%.1f", k / 1024 }'), "lowerIsBetter": true, "note": "$note" },
  { "workload": "$label-now", "figure": "RSS MiB after loading, all server processes", "value": $(awk -v k="$now" 'BEGIN { printf "%.1f", k / 1024 }'), "lowerIsBetter": true, "note": "$note" }
] }
EOF
}

# ---- the page ----------------------------------------------------------------------------------

write_doc() {
  local table=$1 doc=$DOC
  mkdir -p "$(dirname "$doc")"
  local cpu cores mem kernel etcdv dotnetv
  cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  cores=$(nproc)
  mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
  kernel=$(uname -sr)
  etcdv=$(etcd --version 2>/dev/null | awk 'NR == 1 { print $3 }')
  dotnetv=$(dotnet --version 2>/dev/null || echo '?')
  {
    echo "# Performance: EtcdOrleans side by side with etcd"
    echo
    echo "Measured $STARTED_AT by \`tests/Benchmark/compare.sh\` (SYSTEMS=\"$SYSTEMS\", SCALE=$SCALE, MEMORY_KEYS=$MEMORY_KEYS)."
    echo "Both systems ran on the same machine, one after the other, driven by the same client"
    echo "(\`etcd-bench\`, tests/Benchmark), which ran on that machine too."
    echo
    echo "## Machine"
    echo
    echo "- CPU: $cpu, $cores cores"
    echo "- Memory: $mem"
    echo "- Kernel: $kernel; data directories on $(df -T "$WORK" | awk 'NR == 2 { print $2 }') ($WORK)"
    echo "- etcd $etcdv (Debian etcd-server); .NET SDK $dotnetv"
    echo "- Load average (1/5/15 min) before: $LOAD_BEFORE; after: $LOAD_AFTER"
    if awk -v l="${LOAD_BEFORE%% *}" -v c="$cores" 'BEGIN { exit !(l > c) }'; then
      echo
      echo "The load average was above the number of cores: other work shared the machine during the run,"
      echo "so absolute figures are low and noisy; the ratios (same client, same machine, minutes apart) say more."
    fi
    echo
    echo "## Systems"
    echo
    echo "- etcd: 3 members on loopback (clients 127.0.0.1:23791-23793, peers :23801-23803), separate data"
    echo "  directories, default settings (fsync on); the client spreads its connections over the 3 members."
    echo "- EtcdOrleans: 3 silos (3 Raft replicas, 4 MVCC ranges) and 1 gateway on 127.0.0.1:$EO_PORT, fsync on"
    echo "  (the replica log's default), Release build, logging at Warning; the client connects to the gateway."
    echo "- Each suite run stops issuing requests after ${BENCH_TIME_LIMIT} s, the memory load after ${MEMORY_TIME_LIMIT} s."
    echo "- Memory: a fresh cluster of each, loaded with $MEMORY_KEYS keys of 8 bytes with 256-byte values"
    echo "  ($MEMORY_TXN_OPS puts per txn), then the sum over all server processes of peak RSS (VmHWM)."
    echo
    echo "## Results"
    echo
    echo "Ratio = EtcdOrleans figure / etcd figure: above 1 is better for req/s, worse for latency and memory."
    echo "Paced runs (watch-latency) are compared by average latency, the rest by requests/sec."
    echo
    echo "$table"
    echo
    failures
    echo "About the memory figure: etcd keeps the raft entries since its last snapshot in memory (up to"
    echo "--snapshot-count, 100,000 entries); loading in txns of $MEMORY_TXN_OPS puts makes each entry about"
    echo "$MEMORY_TXN_OPS x 270 bytes, so etcd's figure includes that log. MEMORY_TXN_OPS=1 loads with single puts"
    echo "(closer to etcd's own measurements, much slower)."
    echo
    echo "Full text reports (histograms, percentiles 10-99.9) are in the results directory of the run"
    echo "(\`$RESULTS\`); see tests/Benchmark/README.md for how to read them."
    echo
    # The figures of retention.sh, which runs on its own (it takes longer), stay on the page.
    if [ -f "$ROOT/docs/performance-retention.md" ]; then
      echo "<!-- retention.sh -->"
      cat "$ROOT/docs/performance-retention.md"
      echo "<!-- /retention.sh -->"
      echo
    fi
    echo "## Commands"
    echo
    echo "\`\`\`"
    echo "cd $ROOT && tests/Benchmark/compare.sh   # SYSTEMS=\"$SYSTEMS\" SCALE=$SCALE MEMORY_KEYS=$MEMORY_KEYS"
    echo
    cat "$RESULTS/commands.txt"
    echo "\`\`\`"
  } >"$doc"
  log "wrote $doc"
}

# Lists the runs that produced no report (the first error line of each), for the page.
failures() {
  local f any=""
  for f in "$RESULTS"/*/[0-9][0-9]-*.txt; do
    [ -f "$f" ] || continue
    [ -f "${f%.txt}.json" ] && continue
    [ -z "$any" ] && { echo "Runs that produced no figure:"; echo; any=1; }
    echo "- $(basename "$(dirname "$f")") $(basename "$f" .txt): $(grep -m1 '^Error' "$f" || echo 'no report')"
  done
  [ -z "$any" ] || echo
}

cleanup() { stop_servers; }
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$RESULTS"
ensure_tools
if [ -n "${REPORT_ONLY:-}" ]; then
  # The page describes the run that produced the results, not this re-rendering.
  # shellcheck disable=SC1091
  [ -f "$RESULTS/run-info.sh" ] && . "$RESULTS/run-info.sh"
else
  printf 'STARTED_AT=%q\nLOAD_BEFORE=%q\nSYSTEMS=%q\nSCALE=%q\nMEMORY_KEYS=%q\nMEMORY_TXN_OPS=%q\nBENCH_TIME_LIMIT=%q\nMEMORY_TIME_LIMIT=%q\n' \
    "$STARTED_AT" "$LOAD_BEFORE" "$SYSTEMS" "$SCALE" "$MEMORY_KEYS" "$MEMORY_TXN_OPS" "$BENCH_TIME_LIMIT" "$MEMORY_TIME_LIMIT" >"$RESULTS/run-info.sh"
  echo "# etcd-bench is $BENCH" >"$RESULTS/commands.txt"
  for SYSTEM in $SYSTEMS; do
    case "$SYSTEM" in etcd|etcdorleans) ;; *) log "unknown system $SYSTEM"; exit 2 ;; esac
    OUT="$RESULTS/$SYSTEM"
    mkdir -p "$OUT"
    record ""
    record "# ---- $SYSTEM ----"
    log "$SYSTEM: starting (suite)"
    if start_system "$SYSTEM" suite; then
      run_suite
    else
      log "$SYSTEM: did not start; suite skipped"
    fi
    stop_system "$SYSTEM" suite
    if [ "$MEMORY_KEYS" -gt 0 ]; then
      log "$SYSTEM: starting (memory)"
      if start_system "$SYSTEM" memory; then
        run_memory
      else
        log "$SYSTEM: did not start; memory skipped"
      fi
      stop_system "$SYSTEM" memory
    fi
  done
fi

if [ -z "${REPORT_ONLY:-}" ]; then
  LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
  printf 'LOAD_AFTER=%q\n' "$LOAD_AFTER" >>"$RESULTS/run-info.sh"
fi
LOAD_AFTER=${LOAD_AFTER:-?}

log "results in $RESULTS"
TABLE=$("$BENCH" report "etcd=$RESULTS/etcd" "EtcdOrleans=$RESULTS/etcdorleans")
echo "$TABLE"
if [ -n "$DOC" ]; then write_doc "$TABLE"; fi
