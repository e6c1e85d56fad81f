#!/usr/bin/env bash
# make bench: dhcpstats side by side with dhcpd-pools and nginx on the same
# generated files, on this machine, in one run. Prints one table of medians
# and ratios. Data is generated once into $DHCPSTATS_BENCH_DIR (default
# ~/.cache/dhcpstats-bench; ~1 minute per million lease blocks).
# Loopback only. Not part of `make test`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/target/release/dhcpstats"
data="${DHCPSTATS_BENCH_DIR:-$HOME/.cache/dhcpstats-bench}"
runs="${BENCH_RUNS:-5}"
mkdir -p "$data"

need=()
command -v dhcpd-pools >/dev/null || need+=(dhcpd-pools)
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || need+=(nginx)
command -v curl >/dev/null || need+=(curl)
[ -x /usr/bin/time ] || need+=(time)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "install first: sudo apt-get install ${need[*]}" >&2; exit 1
  fi
fi
[ -x "$bin" ] || (cd "$root" && cargo build --release --locked)

for s in 2000 100; do
  d="$data/s$s"
  if [ ! -s "$d/dhcpd.leases" ]; then
    echo "generating $d (1M lease blocks, about a minute)..." >&2
    python3 "$root/tools/gen_dhcp_data.py" --subnets "$s" --leases 1000000 --seed 1 --out-dir "$d" --no-truth >&2
  fi
  printf 'dhcpstats:\n  listen: 127.0.0.1:0\n  subnet_file: %s/dhcpd.conf\n  leases_file: %s/dhcpd.leases\n' "$d" "$d" > "$d/dhcpstats.yml"
done

# DHCPv6: 1M IA blocks (about 1.05M iaaddr/iaprefix entries, 318 MB).
d6="$data/v6"
if [ ! -s "$d6/dhcpd6.leases" ]; then
  echo "generating $d6 (1M IA blocks, about a minute)..." >&2
  python3 "$root/tools/gen_dhcp6_data.py" --subnets 2000 --leases 1000000 --seed 1 --out-dir "$d6" --no-truth >&2
fi
printf 'dhcpstats:\n  listen: 127.0.0.1:0\n  subnet6_file: %s/dhcpd6.conf\n  leases6_file: %s/dhcpd6.leases\n' "$d6" "$d6" > "$d6/dhcpstats.yml"

tmp="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# measure NAME CMD...: runs the command $runs times; sets $wall (s) and $rss (KiB), medians.
# Wall time is bash's microsecond clock around the run (time(1) rounds to
# 10 ms, too coarse for ratios near 0.1); peak RSS comes from time(1).
measure() {
  local name="$1"; shift
  : > "$tmp/$name.wall"; : > "$tmp/$name.rss"
  for _ in $(seq "$runs"); do
    local start="$EPOCHREALTIME"
    /usr/bin/time -f '%M' -o "$tmp/t" "$@" > /dev/null
    local end="$EPOCHREALTIME"
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }' >> "$tmp/$name.wall"
    cat "$tmp/t" >> "$tmp/$name.rss"
  done
  wall="$(median < "$tmp/$name.wall")"; rss="$(median < "$tmp/$name.rss")"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.3f", a / b }'; }
row() { printf '%-46s %12s %12s %10s\n' "$@"; }

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
echo "dhcpstats $("$bin" --version | cut -d' ' -f2), dhcpd-pools $(dhcpd-pools --version 2>&1 | head -1 | awk '{print $NF}'), runs per figure: $runs (medians)"
echo
row "measure" "dhcpstats" "reference" "ratio"
row "-------" "---------" "---------" "-----"

for s in 2000 100; do
  d="$data/s$s"
  size_mb="$(du -m "$d/dhcpd.leases" | cut -f1)"
  cat "$d/dhcpd.leases" > /dev/null   # page cache, for both tools alike
  measure "cat$s" cat "$d/dhcpd.leases"; cat_wall="$wall"
  measure "pools$s" dhcpd-pools -c "$d/dhcpd.conf" -l "$d/dhcpd.leases" -f j
  pools_wall="$wall"; pools_rss="$rss"
  measure "sum$s" "$bin" dump --config "$d/dhcpstats.yml" --summary
  row "s$s ($size_mb MB): dump --summary wall (s) vs dhcpd-pools" "$wall" "$pools_wall" "$(ratio "$wall" "$pools_wall")"
  row "s$s: dump --summary peak RSS (KiB) vs dhcpd-pools" "$rss" "$pools_rss" "$(ratio "$rss" "$pools_rss")"
  row "s$s: dump --summary wall (s) vs cat" "$wall" "$cat_wall" "$(ratio "$wall" "$cat_wall")"
done

# DHCPv6 against the v4 fast path, in bytes per second (the goal of issue
# 13: at least half), and peak RSS per entry against the v4 full dump's.
v4_bytes="$(stat -c %s "$data/s2000/dhcpd.leases")"
measure "v4sum" "$bin" dump --config "$data/s2000/dhcpstats.yml" --summary; v4_wall="$wall"
cat "$d6/dhcpd6.leases" > /dev/null   # page cache, as for the v4 files
v6_bytes="$(stat -c %s "$d6/dhcpd6.leases")"
v6_entries="$(grep -c '^  ia\(addr\|prefix\) ' "$d6/dhcpd6.leases")"
measure "v6sum" "$bin" dump --config "$d6/dhcpstats.yml" --summary; v6_wall="$wall"; v6_rss="$rss"
v4_rate="$(awk -v b="$v4_bytes" -v t="$v4_wall" 'BEGIN { printf "%.0f", b / t / 1e6 }')"
v6_rate="$(awk -v b="$v6_bytes" -v t="$v6_wall" 'BEGIN { printf "%.0f", b / t / 1e6 }')"
row "v6 ($((v6_bytes / 1000000)) MB, $v6_entries entries): dump --summary (s)" "$v6_wall" "-" "-"
row "  MB/s vs the v4 fast path's (goal >= 0.5)" "$v6_rate" "$v4_rate" "$(ratio "$v6_rate" "$v4_rate")"
row "  peak RSS (KiB), bytes per entry" "$v6_rss" "$((v6_rss * 1024 / v6_entries))" "-"

# DHCPv6 appends: 1000 IAs added to the 1M-IA file; the server reads only
# them (in place: the database is not copied) and rebuilds the v6 report.
cp "$d6/dhcpd6.leases" "$tmp/append6.leases"
printf 'dhcpstats:\n  listen: 127.0.0.1:0\n  subnet6_file: %s/dhcpd6.conf\n  leases6_file: %s/append6.leases\n' "$d6" "$tmp" > "$tmp/append6.yml"
awk '/^ia-/{n++} n>0 && n<=1000 {print} n>1000 {exit}' "$d6/dhcpd6.leases" > "$tmp/more6.leases"
"$bin" serve --config "$tmp/append6.yml" 2> "$tmp/append6.log" &
pids+=($!); serve6=$!
for _ in $(seq 600); do grep -q 'data generation' "$tmp/append6.log" && break; sleep 0.1; done
addr6="$(sed -n 's/.*listening on http:\/\/\([^ ]*\).*/\1/p' "$tmp/append6.log" | head -1)"
curl -sf -o /dev/null "http://$addr6/subnets?summary"
: > "$tmp/append6.req"
for _ in 1 2 3 4 5; do
  cat "$tmp/more6.leases" >> "$tmp/append6.leases"
  curl -sf -o /dev/null -w '%{time_total}\n' "http://$addr6/subnets?summary" >> "$tmp/append6.req"
done
v6_append="$(median < "$tmp/append6.req")"
v6_append_rss="$(awk '/VmHWM/ {print $2}' "/proc/$serve6/status")"
kill "$serve6" 2>/dev/null || true
row "v6: append 1000 IAs, whole request (s) vs full read" "$v6_append" "$v6_wall" "$(ratio "$v6_append" "$v6_wall")"
row "  server peak RSS (KiB) vs dump --summary's" "$v6_append_rss" "$v6_rss" "$(ratio "$v6_append_rss" "$v6_rss")"

# Linear time: a tenth of the file against the whole (parse only).
d="$data/s2000"
head -c "$(( $(stat -c %s "$d/dhcpd.leases") / 10 ))" "$d/dhcpd.leases" > "$tmp/tenth.leases"
printf 'dhcpstats:\n  listen: 127.0.0.1:0\n  subnet_file: %s/dhcpd.conf\n  leases_file: %s/tenth.leases\n' "$d" "$tmp" > "$tmp/tenth.yml"
measure "tenth" "$bin" dump --config "$tmp/tenth.yml" --summary; tenth_wall="$wall"
measure "whole" "$bin" dump --config "$d/dhcpstats.yml" --summary
row "linearity: 10x input, time ratio (want <= 12)" "$wall" "$tenth_wall" "$(ratio "$wall" "$tenth_wall")"

# Full dump: peak RSS against the size of the final lease set's text
# (the text of the last block of every address).
d="$data/s2000"
final_text="$(awk '/^lease /{ip=$2; blk=""} {if (ip != "") blk = blk $0 "\n"} /^}/{if (ip != "") {len[ip] = length(blk)}; ip=""} END {for (k in len) t += len[k]; print t}' "$d/dhcpd.leases")"
measure "full" "$bin" dump --config "$d/dhcpstats.yml"
row "s2000: full dump wall (s)" "$wall" "-" "-"
row "s2000: full dump peak RSS (KiB) vs final lease text" "$rss" "$((final_text / 1024))" "$(ratio "$rss" "$((final_text / 1024))")"

# Warm server vs nginx serving the same bytes as a static file.
d="$data/s100"
"$bin" serve --config "$d/dhcpstats.yml" 2> "$tmp/serve.log" &
pids+=($!)
for _ in $(seq 200); do grep -q 'listening on' "$tmp/serve.log" && break; sleep 0.1; done
addr="$(sed -n 's/.*listening on http:\/\/\([^ ]*\).*/\1/p' "$tmp/serve.log" | head -1)"
curl -sf "http://$addr/subnets?summary" > "$tmp/summary.json"
gen_before="$(curl -sf "http://$addr/status" | sed -n 's/.*"generation":\([0-9]*\).*/\1/p')"
mkdir -p "$tmp/www"; cp "$tmp/summary.json" "$tmp/www/summary.json"
cat > "$tmp/nginx.conf" <<NGX
worker_processes $(nproc);
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 100000;
  server { listen 127.0.0.1:18099; root $tmp/www; default_type application/json; }
}
NGX
nginx -c "$tmp/nginx.conf"
pids+=("$(cat "$tmp/nginx.pid" 2>/dev/null || echo 0)")
sleep 0.3
rps() { wrk -t2 -c64 -d10s "$1" | awk '/Requests\/sec/ {print $2}'; }
ours_rps="$(rps "http://$addr/subnets?summary")"
nginx_rps="$(rps "http://127.0.0.1:18099/summary.json")"
nginx -c "$tmp/nginx.conf" -s stop 2>/dev/null || true
gen_after="$(curl -sf "http://$addr/status" | sed -n 's/.*"generation":\([0-9]*\).*/\1/p')"
row "warm GET /subnets?summary req/s vs nginx ($(wc -c < "$tmp/summary.json") B)" "$ours_rps" "$nginx_rps" "$(ratio "$ours_rps" "$nginx_rps")"
row "  data generation before/after the load (same = no re-parse)" "$gen_before" "$gen_after" "-"

# Appending 1000 blocks to the 1M-block file: the next request reads only
# the new bytes. Costs are the server's own read durations (/status).
d="$data/s2000"
cp "$d/dhcpd.leases" "$tmp/append.leases"
printf 'dhcpstats:\n  listen: 127.0.0.1:0\n  subnet_file: %s/dhcpd.conf\n  leases_file: %s/append.leases\n' "$d" "$tmp" > "$tmp/append.yml"
"$bin" serve --config "$tmp/append.yml" 2> "$tmp/append.log" &
pids+=($!)
for _ in $(seq 600); do grep -q 'data generation' "$tmp/append.log" && break; sleep 0.1; done
addr="$(sed -n 's/.*listening on http:\/\/\([^ ]*\).*/\1/p' "$tmp/append.log" | head -1)"
full_read="$(curl -sf "http://$addr/status" | sed -n 's/.*"read_duration_seconds":\([0-9.e-]*\).*/\1/p')"
# 1000 blocks from the start of the file, stamped as new.
awk '/^lease /{n++} n>0 && n<=1000 {print} n>1000 {exit}' "$d/dhcpd.leases" > "$tmp/more.leases"
append_once() {
  cat "$tmp/more.leases" >> "$tmp/append.leases"
  # The whole request as the client sees it (curl's own clock, so the
  # start of a curl process is not counted).
  request="$(curl -sf -o /dev/null -w '%{time_total}' "http://$addr/subnets?summary")"
  status="$(curl -sf "http://$addr/status")"
  append_read="$(sed -n 's/.*"read_duration_seconds":\([0-9.e-]*\).*/\1/p' <<<"$status")"
  last_read="$(sed -n 's/.*"last_read":"\([a-z]*\)".*/\1/p' <<<"$status")"
}
append_once
row "append 1000 blocks, first after load: read (s) vs full read" "$append_read" "$full_read" "$(ratio "$append_read" "$full_read")"
row "  whole request after it (s) vs full read" "$request" "$full_read" "$(ratio "$request" "$full_read")"
row "  read kind (appended = only the new bytes)" "$last_read" "-" "-"
: > "$tmp/steady"; : > "$tmp/steady_req"
for _ in 1 2 3 4 5; do append_once; echo "$append_read" >> "$tmp/steady"; echo "$request" >> "$tmp/steady_req"; done
steady="$(median < "$tmp/steady")"; steady_req="$(median < "$tmp/steady_req")"
row "append 1000 blocks, steady state: read (s) vs full read" "$steady" "$full_read" "$(ratio "$steady" "$full_read")"
row "  whole request (s) vs full read" "$steady_req" "$full_read" "$(ratio "$steady_req" "$full_read")"
row "  report rebuilt or updated in place" "$(grep -c 'report updated' "$tmp/append.log") updated" "$(grep -c 'report built' "$tmp/append.log") built" "-"

# 40 000 host reservations in one subnet (statics placement used to be
# quadratic, redone at every rebuild).
python3 - "$tmp" <<'PY'
import sys
d = sys.argv[1]
with open(f"{d}/hosts.conf", "w") as f:
    f.write("subnet 10.0.0.0 netmask 255.0.0.0 {\n  range 10.200.0.1 10.200.0.200;\n}\n")
    for i in range(40000):
        f.write(f"host h{i} {{ hardware ethernet 02:00:{(i>>16)&255:02x}:{(i>>8)&255:02x}:{i&255:02x}:01; fixed-address 10.{(i>>16)&255}.{(i>>8)&255}.{i&255 or 1}; }}\n")
PY
: > "$tmp/empty.leases"
printf 'dhcpstats:\n  listen: 127.0.0.1:0\n  subnet_file: %s/hosts.conf\n  leases_file: %s/empty.leases\n' "$tmp" "$tmp" > "$tmp/hosts.yml"
measure "hosts" "$bin" dump --config "$tmp/hosts.yml" --summary
row "40k hosts in one subnet: dump --summary (s), goal" "$wall" "0.1" "$(ratio "$wall" 0.1)"

# A hole of NUL bytes (what a crash or power loss leaves) in a real lease
# file, against as many bytes of valid leases; peak RSS must not grow with
# the hole.
corpus_small="$root/testdata/corpus/small"
hole_file() { # NAME MIB: the small corpus, a hole of MIB MiB, the corpus again
  { cat "$corpus_small/dhcpd.leases"; head -c "$(( $2 * 1048576 ))" /dev/zero; printf '\n'; cat "$corpus_small/dhcpd.leases"; } > "$tmp/$1.leases"
  printf 'dhcpstats:\n  listen: 127.0.0.1:0\n  subnet_file: %s/dhcpd.conf\n  leases_file: %s/%s.leases\n' "$corpus_small" "$tmp" "$1" > "$tmp/$1.yml"
}
hole_file hole64 64; hole_file hole16 16
head -c 67108864 "$data/s2000/dhcpd.leases" > "$tmp/valid64.leases"
printf 'dhcpstats:\n  listen: 127.0.0.1:0\n  subnet_file: %s/dhcpd.conf\n  leases_file: %s/valid64.leases\n' "$data/s2000" "$tmp" > "$tmp/valid64.yml"
measure "valid64" "$bin" dump --config "$tmp/valid64.yml" --summary; valid_wall="$wall"
measure "hole16" "$bin" dump --config "$tmp/hole16.yml" --summary; hole16_rss="$rss"
measure "hole64" "$bin" dump --config "$tmp/hole64.yml" --summary
row "64 MiB NUL hole: dump --summary (s) vs 64 MiB valid leases" "$wall" "$valid_wall" "$(ratio "$wall" "$valid_wall")"
row "  peak RSS (KiB), 64 MiB hole vs 16 MiB hole" "$rss" "$hole16_rss" "$(ratio "$rss" "$hole16_rss")"

# GET / while the server re-reads the 400 MB file in full (dhcpd replaced
# it): the poll loops answer at once; data requests wait on a worker.
d="$data/s2000"
cp "$d/dhcpd.leases" "$tmp/refresh.leases"
printf 'dhcpstats:\n  listen: 127.0.0.1:0\n  subnet_file: %s/dhcpd.conf\n  leases_file: %s/refresh.leases\n' "$d" "$tmp" > "$tmp/refresh.yml"
"$bin" serve --config "$tmp/refresh.yml" 2> "$tmp/refresh.log" &
pids+=($!)
for _ in $(seq 600); do grep -q 'data generation' "$tmp/refresh.log" && break; sleep 0.1; done
addr="$(sed -n 's/.*listening on http:\/\/\([^ ]*\).*/\1/p' "$tmp/refresh.log" | head -1)"
cp "$tmp/refresh.leases" "$tmp/refresh.new" && mv "$tmp/refresh.new" "$tmp/refresh.leases"
curl -sf -o /dev/null "http://$addr/subnets?summary" &
data_req=$!
: > "$tmp/root_lat"
while kill -0 "$data_req" 2>/dev/null; do
  curl -sf -o /dev/null -w '%{time_total}\n' "http://$addr/" >> "$tmp/root_lat"
  curl -sf -o /dev/null -w '%{time_total}\n' "http://$addr/status" >> "$tmp/root_lat"
done
worst="$(sort -g "$tmp/root_lat" | tail -1)"
row "GET / and /status during a 400 MB refresh: worst (s), goal" "$worst" "0.05" "$(ratio "$worst" 0.05)"
row "  requests answered while the refresh ran" "$(wc -l < "$tmp/root_lat")" "-" "-"

# The dashboard's overview of those 2000 subnets: the first request
# renders it (alarm evaluation, HTML), the next ones send the bytes cached
# with the generation.
dash_first="$(curl -sf -o /dev/null -w '%{time_total}' "http://$addr/dashboard")"
: > "$tmp/dash"
for _ in $(seq 21); do curl -sf -o /dev/null -w '%{time_total}\n' "http://$addr/dashboard" >> "$tmp/dash"; done
dash_warm="$(median < "$tmp/dash")"
row "dashboard of 2000 subnets: first request (s)" "$dash_first" "-" "-"
row "  warm request (s), goal" "$dash_warm" "0.01" "$(ratio "$dash_warm" 0.01)"

# Cold /subnets on the real corpus (the original Python DHCPStats: ~0.9 s).
corpus="$root/testdata/corpus/main"
gzip -dc "$corpus/dhcpd.leases.gz" > "$tmp/main.leases"
printf 'dhcpstats:\n  listen: 127.0.0.1:0\n  subnet_file: %s/dhcpd.conf\n  leases_file: %s/main.leases\n' "$corpus" "$tmp" > "$tmp/main.yml"
measure "main" "$bin" dump --config "$tmp/main.yml"
row "real corpus main (4.7 MB): cold full /subnets (s)" "$wall" "0.9" "$(ratio "$wall" 0.9)"
echo
