#!/usr/bin/env bash
# `make cluster`: Redis on 127.0.0.1:6390, three Matte nodes (:8081-8083,
# admin :2021-2023) and the front (:8080, deploy/Caddyfile.cluster), all on
# 127.0.0.1. Ctrl-C stops everything. State goes to var/cluster/.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${CADDY:-bin/caddy}
mkdir -p var/cluster
pids=()
stop() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap stop EXIT
# Ctrl-C or TERM ends the script (the EXIT trap stops the rest), rather than
# passing for a process's exit below.
trap 'exit 130' INT
trap 'exit 143' TERM

# A cache-only Redis: no persistence, bounded memory, least-recently-used
# keys evicted first (see README, Scale out).
redis-server --port 6390 --bind 127.0.0.1 --save '' --appendonly no \
	--maxmemory 256mb --maxmemory-policy allkeys-lru >var/cluster/redis.log 2>&1 &
pids+=($!)
for n in 1 2 3; do
	mkdir -p "var/cluster/node$n"
	NODE=$n "$bin" run --config deploy/node.Caddyfile --adapter caddyfile >"var/cluster/node$n.log" 2>&1 &
	pids+=($!)
done
"$bin" run --config deploy/Caddyfile.cluster --adapter caddyfile >var/cluster/front.log 2>&1 &
pids+=($!)
echo "cluster: front http://127.0.0.1:8080/product.jpg?w=400 (nodes :8081-8083, Redis :6390; logs in var/cluster/)" >&2
# The first process to exit ends the cluster; its status is the script's.
# (A bare wait -n would end the script under set -e before saying why.)
rc=0
wait -n || rc=$?
echo "cluster: a process exited (status $rc); see var/cluster/*.log" >&2
exit "$rc"
