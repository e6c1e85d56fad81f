#!/usr/bin/env bash
# The README's quick start as written: `make run` serves the shipped
# example, and the curl commands of the README answer.
set -euo pipefail
cd "$(dirname "$0")/.."
# A target directory of its own: `make run` must work wherever
# CARGO_TARGET_DIR points (it once ran ./target/debug/dhcpstats).
export CARGO_TARGET_DIR="$PWD/target/readme-check"
bin="$CARGO_TARGET_DIR/debug/dhcpstats"
log="$(mktemp)"
make run >"$log" 2>&1 &
runner=$!
cleanup() { pkill -P "$runner" 2>/dev/null || true; kill "$runner" 2>/dev/null || true; pkill -f 'dhcpstats serve --config dhcpstats.yml' 2>/dev/null || true; rm -f "$log"; }
trap cleanup EXIT
for _ in $(seq 600); do curl -sf http://127.0.0.1:8067/ >/dev/null 2>&1 && break; sleep 0.5; done
# Capture first: `curl | grep -q` fails under pipefail when grep exits early.
expect() { local out; out="$(curl -sf "$1")" || { cat "$log"; echo "no answer: $1"; exit 1; }; grep -q -- "$2" <<<"$out" || { echo "$1 lacks $2"; exit 1; }; }
expect http://127.0.0.1:8067/ '"dhcpstats API"'
expect http://127.0.0.1:8067/subnets '"10.1.1.0/24"'
expect 'http://127.0.0.1:8067/subnets?summary' '"ips"'
expect 'http://127.0.0.1:8067/subnets/10.1.2.0/24?summary&pretty' '"total": 234'
expect http://127.0.0.1:8067/status '"version"'
expect 'http://127.0.0.1:8067/search?q=vm-web-353' '"address":"10.1.1.29"'
expect http://127.0.0.1:8067/dashboard '<a href="/dashboard/10.1.2.0/24">10.1.2.0/24</a>'
expect http://127.0.0.1:8067/metrics 'dhcpstats_subnet_addresses{subnet="10.1.2.0/24"} 234'
# The alarm example prints what the README shows.
alarm_first="$("$bin" alarm --config dhcpstats.yml --warning 15 | head -1 || true)"
grep -qF -- "$alarm_first" README.md || { echo "README alarm example differs: $alarm_first"; exit 1; }
# The DHCPv6 example of the README is what dump prints.
v6_line="$("$bin" dump --config dhcpstats.yml --summary --subnet 2001:db8:1e3:14::/64)"
grep -qF -- "$v6_line" README.md || { echo "README DHCPv6 example differs: $v6_line"; exit 1; }
expect 'http://127.0.0.1:8067/subnets/2001:db8:1e3:14::/64?summary' '"prefixes"'
# The server answers exactly what dump prints, and its metrics are valid.
served="$(curl -sf http://127.0.0.1:8067/subnets)"
dumped="$("$bin" dump --config dhcpstats.yml)"
[ "$served" = "$dumped" ] || { echo "curl /subnets differs from dhcpstats dump"; exit 1; }
metrics="$(curl -sf http://127.0.0.1:8067/metrics)"
if command -v promtool >/dev/null; then
  lint="$(promtool check metrics <<<"$metrics" 2>&1)" || { echo "$lint"; exit 1; }
  [ -z "$lint" ] || { echo "promtool: $lint"; exit 1; }
fi
"$bin" check --config dhcpstats.yml >/dev/null
out="$("$bin" dump --config dhcpstats.yml --summary --subnet 10.1.2.0/24)"
grep -q '"total":234' <<<"$out"
echo "README commands OK"
