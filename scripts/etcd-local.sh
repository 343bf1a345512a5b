#!/usr/bin/env bash
# A throwaway single-member etcd for trying the etcd backend on one machine:
# on 127.0.0.1 only (client port 23790, peer port 23791, or the ports
# given), data in a temporary directory removed on exit. Not for
# production: one member has no quorum to lose. Stops on SIGINT/SIGTERM.
#   scripts/etcd-local.sh [CLIENT_PORT [PEER_PORT]]
set -euo pipefail
cd "$(dirname "$0")/.."
client_port=${1:-23790}
peer_port=${2:-23791}
if ! command -v etcd >/dev/null; then
  scripts/install-deps.sh
fi
data=$(mktemp -d "${TMPDIR:-/tmp}/lanlord-etcd.XXXXXX")
trap 'rm -rf "$data"' EXIT
echo "etcd-local: http://127.0.0.1:$client_port (data in $data)" >&2
etcd --name lanlord-local --data-dir "$data" \
  --listen-client-urls "http://127.0.0.1:$client_port" \
  --advertise-client-urls "http://127.0.0.1:$client_port" \
  --listen-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-cluster "lanlord-local=http://127.0.0.1:$peer_port" \
  --logger zap --log-level warn &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$data"' EXIT INT TERM
wait "$pid"
