#!/usr/bin/env bash
# Bounded memory, disk and restart time, side by side on one machine: a 3-member etcd 3.4 cluster and EtcdOrleans
# (3 silos + 1 gateway), one at a time, fsync on, the same load generator (etcd-bench):
#   1. PUTS puts of 256-byte values over KEYS keys (100 clients on 10 connections);
#   2. peak RSS (VmHWM) and current RSS of all server processes, and the disk use of their data directories;
#   3. Compact to the current revision (and, for etcd, defrag, which is what returns its file space), then RSS and
#      disk again after a few seconds;
#   4. SIGKILL of every server process, start again: seconds from the first start to the first successful put.
# Prints one table and writes it, with the commands, to RETENTION_DOC (docs/performance-retention.md), which
# docs/performance.md includes between its retention markers (compare.sh keeps them when it rewrites the page).
#
#   tests/Benchmark/retention.sh                        # 1,000,000 puts over 100,000 keys
#   PUTS=100000 KEYS=10000 tests/Benchmark/retention.sh # a quick run
#
# Settings (environment): PUTS, KEYS, SYSTEMS (default "etcd etcdorleans"), RETENTION_DOC, and those of servers.sh
# (ports, NO_BUILD, WORK, RESULTS, READY_TIMEOUT, KEEP_DATA).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOG_NAME=retention
# shellcheck source=servers.sh
. "$HERE/servers.sh"
PUTS=${PUTS:-1000000}
KEYS=${KEYS:-100000}
SYSTEMS=${SYSTEMS:-"etcd etcdorleans"}
RETENTION_DOC=${RETENTION_DOC-$ROOT/docs/performance-retention.md}
PERFORMANCE_DOC=${PERFORMANCE_DOC:-$ROOT/docs/performance.md}
STARTED_AT=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

data_dir() { # system
  case "$1" in
    etcd) echo "$WORK/etcd-retention" ;;
    etcdorleans) echo "$(etcdorleans_dir retention)/data" ;;
  esac
}

mib_of_kb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
disk_mib() { du -sk "$1" | awk '{ printf "%.0f", $1 / 1024 }'; }

# The store's current revision, from a Range's header.
current_revision() { etcdctl --endpoints "$ENDPOINTS" get x -w json | python3 -c 'import json, sys; print(json.load(sys.stdin)["header"]["revision"])'; }

# Seconds (with decimals) until a put through the endpoints succeeds.
seconds_to_first_put() { # start-seconds-since-epoch
  until etcdctl --endpoints "$ENDPOINTS" --dial-timeout 1s --command-timeout 2s put retention/probe v >/dev/null 2>&1; do
    check_servers_alive || return 1
    sleep 0.1
  done
  awk -v s="$1" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - s }'
}

measure() { # system
  local system=$1 out="$RESULTS/$1" data rev started
  mkdir -p "$out"
  data=$(data_dir "$system")
  log "$system: starting"
  start_system "$system" retention || return 1
  log "$system: $PUTS puts over $KEYS keys"
  record "etcd-bench --endpoints $ENDPOINTS --conns 10 --clients 100 put --total $PUTS --key-size 8 --val-size 256 --key-space-size $KEYS"
  "$BENCH" --endpoints "$ENDPOINTS" --no-progress --conns 10 --clients 100 \
    put --total "$PUTS" --key-size 8 --val-size 256 --key-space-size "$KEYS" --name retention-load >"$out/load.txt" 2>&1 \
    || log "$system: the load finished with errors (see $out/load.txt)"
  grep -E 'Requests/sec|Total' "$out/load.txt" | sed 's/^/    /' >&2 || true
  echo "peak_rss_mib=$(mib_of_kb "$(sum_status_kb VmHWM)")" >"$out/figures"
  echo "rss_mib=$(mib_of_kb "$(sum_status_kb VmRSS)")" >>"$out/figures"
  echo "disk_mib=$(disk_mib "$data")" >>"$out/figures"
  for i in "${!SERVER_PIDS[@]}"; do
    awk -v n="${SERVER_NAMES[$i]}" '$1 == "VmHWM:" { h = $2 } $1 == "VmRSS:" { r = $2 } END { printf "%-10s peak %8d kB  now %8d kB\n", n, h, r }' \
      "/proc/${SERVER_PIDS[$i]}/status"
  done >"$out/memory.txt"
  sed 's/^/    /' "$out/memory.txt" >&2

  rev=$(current_revision)
  log "$system: compact to $rev"
  record "etcdctl --endpoints $ENDPOINTS compaction --physical $rev"
  etcdctl --endpoints "$ENDPOINTS" --command-timeout 60s compaction --physical "$rev" >/dev/null
  if [ "$system" = etcd ]; then
    record "etcdctl --endpoints $ENDPOINTS defrag"
    etcdctl --endpoints "$ENDPOINTS" --command-timeout 120s defrag >/dev/null
  fi
  sleep 10
  echo "compacted_rss_mib=$(mib_of_kb "$(sum_status_kb VmRSS)")" >>"$out/figures"
  echo "compacted_disk_mib=$(disk_mib "$data")" >>"$out/figures"

  log "$system: SIGKILL of every process, then start again"
  kill_servers
  started=$(date +%s.%N)
  case "$system" in
    etcd) for i in 1 2 3; do spawn_etcd_member retention "$i"; done ;;
    etcdorleans)
      for i in 0 1 2; do spawn_silo retention "$i" -restart; done
      spawn_gateway retention -restart ;;
  esac
  echo "restart_seconds=$(seconds_to_first_put "$started")" >>"$out/figures"
  sed 's/^/    /' "$out/figures" >&2
  stop_servers
  [ -n "${KEEP_DATA:-}" ] || rm -rf "$WORK/$system-retention" "$(etcdorleans_dir retention)"
}

figure() { # system name
  awk -F= -v k="$2" '$1 == k { print $2 }' "$RESULTS/$1/figures" 2>/dev/null || true
}

table() {
  local row name label e o
  printf '| after %s puts over %s keys | etcd 3.4 ×3 | EtcdOrleans | ratio |\n|---|---:|---:|---:|\n' "$PUTS" "$KEYS"
  for row in "peak_rss_mib:peak RSS, all server processes (MiB)" "rss_mib:RSS after the load (MiB)" \
    "disk_mib:disk, data directories (MiB)" "compacted_rss_mib:RSS after Compact (etcd: and defrag) (MiB)" \
    "compacted_disk_mib:disk after Compact (etcd: and defrag) (MiB)" "restart_seconds:whole-cluster restart to first put (s)"; do
    name=${row%%:*}; label=${row#*:}
    e=$(figure etcd "$name"); o=$(figure etcdorleans "$name")
    printf '| %s | %s | %s | %s |\n' "$label" "${e:--}" "${o:--}" \
      "$(awk -v e="${e:-0}" -v o="${o:-0}" 'BEGIN { if (e > 0 && o > 0) printf "%.2f", o / e; else print "-" }')"
  done
}

trap stop_servers EXIT
trap 'exit 130' INT TERM
mkdir -p "$RESULTS"
ensure_tools
echo "# etcd-bench is $BENCH" >"$RESULTS/commands.txt"
for system in $SYSTEMS; do
  measure "$system" || log "$system: did not start; skipped"
done
TABLE=$(table)
echo "$TABLE"
if [ -n "$RETENTION_DOC" ]; then
  {
    echo "## Bounded memory, disk and restart"
    echo
    echo "Measured $STARTED_AT by \`tests/Benchmark/retention.sh\` (PUTS=$PUTS, KEYS=$KEYS; load average before"
    echo "$LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg)), each system fresh, the same machine and client as above."
    echo "Ratio = EtcdOrleans / etcd (lower is better for every row)."
    echo
    echo "$TABLE"
    echo
    echo "\`\`\`"
    cat "$RESULTS/commands.txt"
    echo "\`\`\`"
  } >"$RETENTION_DOC"
  log "wrote $RETENTION_DOC"
  if [ -f "$PERFORMANCE_DOC" ]; then
    RETENTION_DOC=$RETENTION_DOC python3 - "$PERFORMANCE_DOC" <<'PY'
import os, re, sys
page = open(sys.argv[1]).read()
block = "<!-- retention.sh -->\n" + open(os.environ["RETENTION_DOC"]).read() + "<!-- /retention.sh -->\n"
if "<!-- retention.sh -->" in page:
    page = re.sub(r"<!-- retention\.sh -->\n.*?<!-- /retention\.sh -->\n", lambda _: block, page, flags=re.S)
else:
    page = page.replace("\n## Commands\n", "\n" + block + "\n## Commands\n", 1)
open(sys.argv[1], "w").write(page)
PY
    log "updated $PERFORMANCE_DOC"
  fi
fi
