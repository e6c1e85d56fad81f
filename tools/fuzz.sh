#!/usr/bin/env bash
# make fuzz [FUZZ_SECONDS=N]: runs every cargo-fuzz target for N seconds
# (default 60), two at a time (one per core), seeded from testdata/. Prints
# the executions per target; a crash stops with its reproducer in
# fuzz/artifacts/<target>/ (turn it into a regression test).
set -euo pipefail
secs="${1:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/fuzz"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
targets=(lexer conf leases leases6 http_request config report)

seed() {
  local t="$1"; mkdir -p "corpus/$t"
  case "$t" in
    lexer|conf)
      cp "$root"/testdata/grammar/conf/*.conf "$root"/testdata/grammar/malformed/*.conf "$root"/testdata/example/dhcpd.conf "corpus/$t/" ;;
    leases)
      for f in "$root"/testdata/grammar/leases/*.leases "$root"/testdata/grammar/malformed/*.leases "$root"/testdata/leases/*.leases; do
        { printf '\007'; cat "$f"; } > "corpus/$t/$(basename "$f")"
      done ;;
    leases6)
      for f in "$root"/testdata/grammar/leases/v6-*.leases "$root"/testdata/golden/v6-tricky/dhcpd6.leases "$root"/testdata/grammar/conf/v6-*.conf; do
        { printf '\007'; cat "$f"; } > "corpus/$t/$(basename "$f")"
      done ;;
    report)
      for f in "$root"/testdata/grammar/leases/*.leases; do
        conf="${f%.leases}"; conf="$(dirname "$f")/lab-v4.conf"
        { cat "$conf"; printf '\000'; cat "$f"; } > "corpus/$t/$(basename "$f")"
      done ;;
    http_request)
      printf 'GET /subnets?summary HTTP/1.1\r\nHost: x\r\nX-Api-Key: k\r\n\r\n' > "corpus/$t/get"
      printf 'HEAD /subnets/10.0.0.0%%2F24 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' > "corpus/$t/head"
      printf 'POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc' > "corpus/$t/post" ;;
    config)
      cp "$root/dhcpstats.yml" "corpus/$t/" ;;
  esac
}

cargo +nightly fuzz build -O
logs="$(mktemp -d)"
run() {
  local t="$1"
  seed "$t"
  cargo +nightly fuzz run -O "$t" "corpus/$t" -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 > "$logs/$t.log" 2>&1
}
status=0
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  pids=()
  for t in "${targets[@]:i:2}"; do run "$t" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || status=1; done
done
total=0
printf '%-14s %14s %10s\n' target executions result
for t in "${targets[@]}"; do
  execs="$(grep -o 'Done [0-9]* runs' "$logs/$t.log" | awk '{print $2}' | tail -1 || true)"
  execs="${execs:-0}"; total=$((total + execs))
  result=ok; grep -q -E 'ERROR: libFuzzer|panicked|SUMMARY: .*Sanitizer' "$logs/$t.log" && result=FAILED
  printf '%-14s %14s %10s\n' "$t" "$execs" "$result"
done
printf '%-14s %14s\n' total "$total"
[ "$status" = 0 ] || { echo "a target failed; logs in $logs"; exit 1; }
rm -rf "$logs"
