# dhcpstats — build, test and operate. `make help` lists the targets.

CARGO   ?= cargo
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  := $(DESTDIR)$(PREFIX)/bin
HOST    := $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')

.PHONY: help build release test fmt-check clippy run clean

help:
	@echo "make build      debug build"
	@echo "make release    optimised build (target/release/dhcpstats)"
	@echo "make test       fmt check, clippy -D warnings, all tests"
	@echo "make run        serve the shipped example (dhcpstats.yml -> testdata/)"
	@echo "make clean      remove build output"

build:
	$(CARGO) build

release:
	$(CARGO) build --release --locked

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --all-targets --locked -- -D warnings

test: fmt-check clippy
	$(CARGO) test --locked

run: release
	./target/release/dhcpstats serve --config dhcpstats.yml

clean:
	$(CARGO) clean
