#!/usr/bin/env bash
# make ui-check: renders the dashboard in headless Chromium and saves
# screenshots (overview on a wide screen and on a phone, a subnet page,
# a search) under target/ui-check/. Fails if Chromium reports a
# Content-Security-Policy violation (the stylesheet's hash must match) or
# tries to load anything from outside. Optional in CI: skipped, with the
# reason, where Chromium is not installed (Debian package `chromium`).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
if [ -z "$browser" ]; then
  echo "ui-check skipped: no chromium (apt-get install chromium)"
  exit 0
fi
bin="${DHCPSTATS_BIN:-$root/target/release/dhcpstats}"
out="$root/target/ui-check"
mkdir -p "$out"
tmp="$(mktemp -d)"
pid=
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

sed -e 's/^  listen: .*/  listen: 127.0.0.1:0/' \
    -e "s#testdata/example/#$root/testdata/example/#" dhcpstats.yml > "$tmp/dhcpstats.yml"
# Thresholds low enough that the example shows every alarm colour.
printf '  alarms:\n    warning: 12\n    critical: 15.5\n' >> "$tmp/dhcpstats.yml"
# A fixed time, so the screenshots show the same numbers every run.
"$bin" serve --config "$tmp/dhcpstats.yml" --now 2035-06-02T12:00:00Z 2> "$tmp/serve.log" &
pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$tmp/serve.log" && break; sleep 0.1; done
addr="$(sed -n 's/.*listening on http:\/\/\([^ ]*\).*/\1/p' "$tmp/serve.log" | head -1)"
[ -n "$addr" ] || { cat "$tmp/serve.log"; exit 1; }
subnet="$(curl -sf "http://$addr/subnets?summary" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(max(d, key=lambda k: d[k]["ips"]["active"]))')"

failed=0
shot() { # NAME SIZE PATH
  local log="$tmp/$1.log"
  timeout 60 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --no-first-run --disable-extensions --enable-logging=stderr --v=0 \
    --window-size="$2" --screenshot="$out/$1.png" "http://$addr$3" > "$log" 2>&1 || true
  if [ ! -s "$out/$1.png" ]; then
    echo "ui-check: $1: no screenshot"; tail -5 "$log"; failed=1; return
  fi
  if grep -E "Content Security Policy|Refused to (load|apply|execute)" "$log"; then
    echo "ui-check: $1: the page broke its own policy"; failed=1
  fi
  echo "saved $out/$1.png ($2, $3)"
}
shot overview 1400,1000 /dashboard
shot overview-phone 390,844 "/dashboard?sort=used"
shot subnet 1400,1200 "/dashboard/$subnet"
shot search 1400,700 "/dashboard?q=52:54:00"
exit "$failed"
