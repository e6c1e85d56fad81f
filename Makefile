# dhcpstats — build, test, install and measure. `make help` lists targets.

CARGO      ?= cargo
PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR     ?= $(PREFIX)/bin
SYSCONFDIR ?= $(PREFIX)/etc
# systemd unit and SysV files go to the administrator's places.
UNITDIR    ?= /etc/systemd/system
INITDIR    ?= /etc/init.d
DEFAULTDIR ?= /etc/default
RCDIR      ?= $(PREFIX)/etc/rc.d
SHAREDIR   ?= $(PREFIX)/share/dhcpstats

HOST := $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')
MUSL := $(shell rustup target list --installed 2>/dev/null | grep -m1 musl)
# A fully static binary: the musl target where it is installed, else glibc
# with crt-static for the host triple.
STATIC_TARGET ?= $(if $(MUSL),$(MUSL),$(HOST))

FUZZ_SECONDS ?= 60

.PHONY: rules-test fuzz-check doc-check help build release static test fmt-check clippy run install \
        install-systemd install-sysv install-rcd clean bench loadtest fuzz ui-check

help:
	@echo "make build            debug build"
	@echo "make release          optimised build: target/release/dhcpstats"
	@echo "make static           fully static binary: target/static/dhcpstats"
	@echo "make test             fmt check, clippy -D warnings, promtool rules, fuzz targets compile, every test"
	@echo "make run              serve the shipped example (dhcpstats.yml -> testdata/example)"
	@echo "make install          binary to \$$(PREFIX)/bin, example config to \$$(SYSCONFDIR), init files to \$$(SHAREDIR)/init"
	@echo "make install-systemd  unit to $(UNITDIR)"
	@echo "make install-sysv     init script to $(INITDIR), defaults to $(DEFAULTDIR)"
	@echo "make install-rcd      FreeBSD rc.d script to \$$(PREFIX)/etc/rc.d"
	@echo "make bench            side-by-side benchmark against dhcpd-pools and nginx"
	@echo "make ui-check         dashboard screenshots in headless Chromium (target/ui-check/)"
	@echo "make loadtest         wrk load and slow-client tests against a local server"
	@echo "make fuzz             run every fuzz target FUZZ_SECONDS seconds (nightly)"
	@echo "make clean            remove build output"

build:
	$(CARGO) build --locked

release:
	$(CARGO) build --release --locked

static:
	RUSTFLAGS='-C target-feature=+crt-static -C relocation-model=static' $(CARGO) build --release --locked --target $(STATIC_TARGET)
	mkdir -p target/static
	cp target/$(STATIC_TARGET)/release/dhcpstats target/static/dhcpstats
	@echo "target/static/dhcpstats ($(STATIC_TARGET))"

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --all-targets --locked -- -D warnings

test: fmt-check clippy rules-test fuzz-check doc-check
	$(CARGO) test --locked

# The API docs build without a broken link (ARCHITECTURE.md points into them).
doc-check:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --locked --quiet

# The fuzz targets compile (on stable: a type check, no sanitizer), so
# that a change of the library's API cannot leave them broken unseen.
fuzz-check:
	$(CARGO) check --manifest-path fuzz/Cargo.toml --bins --locked

# The shipped Prometheus alert rules, unit-tested with promtool.
rules-test:
	@if command -v promtool >/dev/null; then \
		promtool check rules contrib/prometheus/alerts.yml && \
		cd contrib/prometheus && promtool test rules alerts.test.yml; \
	else echo "rules-test skipped: promtool is not installed (apt-get install prometheus)"; fi

# cargo run, not ./target/...: the binary is wherever CARGO_TARGET_DIR says.
run:
	$(CARGO) run --locked -- serve --config dhcpstats.yml

# The binary, the example configuration, and every init file under
# $(SHAREDIR)/init; install-systemd/-sysv/-rcd put one of them in service.
install: release
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR) $(DESTDIR)$(SHAREDIR)/init
	install -m 0755 target/release/dhcpstats $(DESTDIR)$(BINDIR)/dhcpstats
	install -m 0644 dhcpstats.yml $(DESTDIR)$(SYSCONFDIR)/dhcpstats.yml.example
	install -m 0644 init/dhcpstats.service init/dhcpstats.default $(DESTDIR)$(SHAREDIR)/init/
	install -m 0755 init/dhcpstats.init init/dhcpstats.rcd $(DESTDIR)$(SHAREDIR)/init/

install-systemd:
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/local/bin/dhcpstats|$(BINDIR)/dhcpstats|' init/dhcpstats.service > $(DESTDIR)$(UNITDIR)/dhcpstats.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/dhcpstats.service

install-sysv:
	install -d $(DESTDIR)$(INITDIR) $(DESTDIR)$(DEFAULTDIR)
	sed 's|^DHCPSTATS_BIN=.*|DHCPSTATS_BIN=$(BINDIR)/dhcpstats|' init/dhcpstats.init > $(DESTDIR)$(INITDIR)/dhcpstats
	chmod 0755 $(DESTDIR)$(INITDIR)/dhcpstats
	test -e $(DESTDIR)$(DEFAULTDIR)/dhcpstats || install -m 0644 init/dhcpstats.default $(DESTDIR)$(DEFAULTDIR)/dhcpstats

install-rcd:
	install -d $(DESTDIR)$(RCDIR)
	sed 's|/usr/local/bin/dhcpstats|$(BINDIR)/dhcpstats|; s|/usr/local/etc/dhcpstats.yml|$(SYSCONFDIR)/dhcpstats.yml|' init/dhcpstats.rcd > $(DESTDIR)$(RCDIR)/dhcpstats
	chmod 0755 $(DESTDIR)$(RCDIR)/dhcpstats

bench: release
	tools/bench.sh

ui-check: release
	tools/ui-check.sh

loadtest: release
	tools/loadtest.sh

fuzz:
	tools/fuzz.sh $(FUZZ_SECONDS)

clean:
	$(CARGO) clean
