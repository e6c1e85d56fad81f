#!/usr/bin/env bash
# Verifies the init scripts: syntax and lint for all, systemd-analyze for
# the unit, and a real start/status/reload/stop cycle of the SysV script
# (as root, with the binary installed by `make install`).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

echo "== sh -n and shellcheck"
for f in init/dhcpstats.init .ci/*.sh tools/*.sh; do
  [ -f "$f" ] || continue
  sh -n "$f" 2>/dev/null || bash -n "$f"
  shellcheck "$f"
done
sh -n init/dhcpstats.rcd
shellcheck -s sh init/dhcpstats.rcd
shellcheck -s sh init/dhcpstats.default

echo "== systemd-analyze verify"
out="$(systemd-analyze verify init/dhcpstats.service 2>&1 || true)"
if [ -n "$out" ]; then
  echo "systemd-analyze verify printed:"; echo "$out"; exit 1
fi

echo "== SysV script: start, status, reload, stop"
work=/var/tmp/dhcpstats-sysv-check
rm -rf "$work"; mkdir -p "$work"
cp testdata/example/dhcpd.conf testdata/example/dhcpd.leases "$work/"
chmod 0755 "$work"; chmod 0644 "$work"/dhcpd.*
id dhcpstats >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin dhcpstats
port=18067
cat > "$work/dhcpstats.yml" <<YML
dhcpstats:
  listen: 127.0.0.1:$port
  subnet_file: $work/dhcpd.conf
  leases_file: $work/dhcpd.leases
YML
cat > "$work/defaults" <<DEF
DHCPSTATS_BIN=/usr/local/bin/dhcpstats
DHCPSTATS_CONFIG_FILE=$work/dhcpstats.yml
DHCPSTATS_USER=dhcpstats
DHCPSTATS_LOG=$work/dhcpstats.log
DEF
export DHCPSTATS_DEFAULTS="$work/defaults"
init=init/dhcpstats.init

fail() { echo "FAIL: $*"; cat "$work/dhcpstats.log" 2>/dev/null || true; "$init" stop || true; exit 1; }

"$init" start || fail "start"
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
root_answer="$(curl -sf "http://127.0.0.1:$port/" || true)"
grep -q 'dhcpstats API' <<<"$root_answer" || fail "/ does not answer"
"$init" status || fail "status is not 0 while running"
pid="$(cat /run/dhcpstats.pid)"
[ "$(ps -o user= -p "$pid" | tr -d ' ')" = dhcpstats ] || fail "not running as dhcpstats"
"$init" reload || fail "reload"
for _ in $(seq 50); do grep -q 'reloaded' "$work/dhcpstats.log" && break; sleep 0.1; done
grep -q 'reloaded' "$work/dhcpstats.log" || fail "reload did not reach the server"
curl -sf "http://127.0.0.1:$port/subnets?summary" >/dev/null || fail "/subnets after reload"
"$init" stop || fail "stop"
[ ! -e /run/dhcpstats.pid ] || fail "pid file left behind"
# Gone, or a zombie waiting for a PID 1 that does not reap (containers).
state="$(ps -o stat= -p "$pid" 2>/dev/null | tr -d ' ' || true)"
case "$state" in ""|Z*) ;; *) fail "process $pid still running (state $state)" ;; esac
set +e; "$init" status >/dev/null; st=$?; set -e
[ "$st" = 3 ] || fail "status after stop is $st, not 3"
grep -q 'stopped' "$work/dhcpstats.log" || fail "no clean stop in the log"
rm -rf "$work"
echo "init scripts OK"
