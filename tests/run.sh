#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine (etcd 3.4 as the reference, etcdctl as a client),
# then builds and runs every test project of the solution. Usage: bash tests/run.sh [dotnet test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

need_packages=()
command -v etcd >/dev/null 2>&1 || need_packages+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || need_packages+=(etcd-client)
if [ ${#need_packages[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_packages[@]}" >/dev/null
  # Where systemd runs, the package starts an etcd on 2379; the tests start their own on other ports.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then
    $sudo systemctl stop etcd || true
  fi
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test EtcdOrleans.sln -c Release "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One closing line over all test projects: "N passed, N failed" (and skipped, which must stay 0).
awk '
  /(Passed|Failed)! +- +Failed: / {
    for (i = 1; i <= NF; i++) {
      if ($i == "Failed:")  { f += $(i+1) + 0 }
      if ($i == "Passed:")  { p += $(i+1) + 0 }
      if ($i == "Skipped:") { s += $(i+1) + 0 }
    }
  }
  END { printf "%d passed, %d failed, %d skipped\n", p, f, s }
' "$log"
exit "$status"
