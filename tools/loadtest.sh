#!/usr/bin/env bash
# make loadtest: load and hostile clients against a local dhcpstats serving
# the real corpus (testdata/corpus/main), loopback only, bounded in time.
#  1. wrk, 256 connections, 30 s, on /subnets?summary and on /subnets:
#     no socket errors, no timeouts, only 2xx; RSS before/after within 10%.
#  2. 1000 idle or one-byte-a-second connections while a normal client
#     makes 100 requests, each answered within 100 ms; threads and
#     descriptors stay bounded.
#  3. The server started with only 64 descriptors and 300 connections
#     opened: it keeps answering and does not exit.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/target/release/dhcpstats"
duration="${LOADTEST_SECONDS:-30}"
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)"; exit 1; }
[ -x "$bin" ] || (cd "$root" && cargo build --release --locked)
tmp="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
gzip -dc "$root/testdata/corpus/main/dhcpd.leases.gz" > "$tmp/dhcpd.leases"
printf 'dhcpstats:\n  listen: 127.0.0.1:0\n  subnet_file: %s\n  leases_file: %s/dhcpd.leases\n' \
  "$root/testdata/corpus/main/dhcpd.conf" "$tmp" > "$tmp/dhcpstats.yml"

start_server() { # LOGFILE [ulimit -n]
  local log="$1" nofile="${2:-}"
  if [ -n "$nofile" ]; then
    (ulimit -n "$nofile"; exec "$bin" serve --config "$tmp/dhcpstats.yml" --now 2026-11-26T01:40:00Z) 2> "$log" &
  else
    "$bin" serve --config "$tmp/dhcpstats.yml" --now 2026-11-26T01:40:00Z 2> "$log" &
  fi
  server=$!
  pids+=("$server")
  for _ in $(seq 100); do grep -q 'listening on' "$log" && break; sleep 0.1; done
  addr="$(sed -n 's/.*listening on http:\/\/\([^ ]*\).*/\1/p' "$log" | head -1)"
}
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
fail=0

start_server "$tmp/serve.log"
for path in "/subnets?summary" "/subnets"; do curl -sf "http://$addr$path" > /dev/null; done
before="$(rss "$server")"
for path in "/subnets?summary" "/subnets"; do
  out="$(wrk -t2 -c256 -d"${duration}s" "http://$addr$path")"
  echo "== wrk -t2 -c256 -d${duration}s $path"; echo "$out"
  if grep -q 'Socket errors' <<<"$out" || grep -q 'Non-2xx' <<<"$out"; then
    echo "FAIL: errors, timeouts or non-2xx answers on $path"; fail=1
  fi
done
after="$(rss "$server")"
echo "RSS before ${before} KiB, after ${after} KiB"
awk -v a="$before" -v b="$after" 'BEGIN { exit !(b <= a * 1.10 && b >= a * 0.90) }' || { echo "FAIL: RSS moved more than 10%"; fail=1; }

echo "== 1000 idle and slow connections"
(ulimit -n 4096; python3 "$root/tools/slowclients.py" "$addr" "$server" 1000) || { echo "FAIL: slow clients"; fail=1; }

echo "== only 64 descriptors, 300 connections"
start_server "$tmp/serve64.log" 64
(ulimit -n 4096; python3 "$root/tools/slowclients.py" "$addr" "$server" 300) || true
kill -0 "$server" || { echo "FAIL: the server exited"; fail=1; }
curl -sf --max-time 2 "http://$addr/" > /dev/null || { echo "FAIL: no answer after descriptor pressure"; fail=1; }
echo "server alive and answering after descriptor pressure"

if [ "$fail" != 0 ]; then echo "loadtest FAILED"; exit 1; fi
echo "loadtest OK"
