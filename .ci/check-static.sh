#!/usr/bin/env bash
# `make static` gives a statically linked binary that runs with no libc.
set -euo pipefail
cd "$(dirname "$0")/.."
make static
kind="$(file target/static/dhcpstats)"
echo "$kind"
grep -q 'statically linked' <<<"$kind"
jail="$(mktemp -d)"
trap 'rm -rf "$jail"' EXIT
cp target/static/dhcpstats "$jail/"
version="$(chroot "$jail" /dhcpstats --version)"
grep -q '^dhcpstats ' <<<"$version"
echo "static binary OK"
