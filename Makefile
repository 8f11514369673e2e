# latchkey — build, test, install. See README.md.
#   make            build/latchkey
#   make test       install missing Debian/npm packages, build, run every test
#   make install    PREFIX=/usr/local DESTDIR=

CXX       ?= g++
PREFIX    ?= /usr/local
DESTDIR   ?=
BUILD     := build
VERSION   := 0.1.0

# libcurl is not linked: src/net/curl_http_client.cc dlopens it on first use (only its headers are
# needed to build), so a CGI process that never calls the provider does not load its ~30 deps.
PKGS      := libcrypto zlib
WARN      := -Wall -Wextra -Werror -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual \
             -Wformat=2 -Wimplicit-fallthrough
CPPFLAGS  += -Iinclude -Isrc -MMD -MP -DLATCHKEY_VERSION='"$(VERSION)"'
CXXFLAGS  ?= -O2 -g
CXXFLAGS  += -std=c++20 $(WARN) -pthread
HARDEN    := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
LDHARDEN  := -pie -Wl,-z,relro,-z,now
SAN       := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDLIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lcrypto -lz) -lfcgi -lsqlite3 -lhiredis -pthread

SRCS      := $(shell find src -name '*.cc' ! -name main.cc | sort)
TEST_SRCS := $(shell find tests/unit -name '*_test.cc' 2>/dev/null | sort)

# `make` alone builds the product (debhelper runs exactly that): the variant rules below would
# otherwise make build/unit_tests the first, default, target.
.DEFAULT_GOAL := all

# One pattern for every build variant. $(call variant,NAME,DIR,COMPILE,FLAGS) compiles src/ into
# DIR/obj/ and tests/unit/ into DIR/obj/tests/ with COMPILE and FLAGS, and links DIR/unit_tests;
# NAME_OBJS and NAME_TOBJS name the objects.
define variant
$(1)_OBJS  := $$(SRCS:src/%.cc=$(2)/obj/%.o)
$(1)_TOBJS := $$(TEST_SRCS:tests/unit/%.cc=$(2)/obj/tests/%.o)
$(2)/obj/%.o: src/%.cc
	@mkdir -p $$(dir $$@)
	$(3) $$(CPPFLAGS) $(4) -c -o $$@ $$<
$(2)/obj/tests/%.o: tests/unit/%.cc
	@mkdir -p $$(dir $$@)
	$(3) $$(CPPFLAGS) -Itests/unit $(4) -c -o $$@ $$<
$(2)/unit_tests: $$($(1)_OBJS) $$($(1)_TOBJS)
	$(3) $(4) -o $$@ $$^ -lgtest -lgtest_main $$(LDLIBS)
endef

# The product (hardened), the same code and tests under AddressSanitizer + UBSan, and under
# ThreadSanitizer (`make tsan-test`).
TSAN := -O1 -g -fsanitize=thread -fno-omit-frame-pointer
$(eval $(call variant,PLAIN,$(BUILD),$(CXX),$(CXXFLAGS) $(HARDEN)))
$(eval $(call variant,ASAN,$(BUILD)/asan,$(CXX),-std=c++20 $(WARN) -pthread $(SAN)))
$(eval $(call variant,TSAN,$(BUILD)/tsan,nice $(CXX),-std=c++20 $(WARN) -pthread $(TSAN)))
OBJS := $(PLAIN_OBJS)

.PHONY: all deps test unit-test asan-test e2e-test fresh-test demo install clean format format-check bench deb
all: $(BUILD)/latchkey

$(BUILD)/latchkey: $(OBJS) $(BUILD)/obj/main.o
	$(CXX) $(CXXFLAGS) $(LDHARDEN) -o $@ $^ $(LDLIBS)

$(BUILD)/asan/latchkey: $(ASAN_OBJS) $(BUILD)/asan/obj/main.o
	$(CXX) $(SAN) -o $@ $^ $(LDLIBS)

# For e2e tests: prints a sealed session cookie value (tests/tools/mint_cookie.cc).
$(BUILD)/mint_cookie: tests/tools/mint_cookie.cc $(OBJS)
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -o $@ $< $(OBJS) $(LDLIBS)

deps:
	@tools/deps.sh

unit-test: $(BUILD)/unit_tests
	$(BUILD)/unit_tests

asan-test: $(BUILD)/asan/unit_tests
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(BUILD)/asan/unit_tests

# End-to-end: real nginx, real latchkey (the ASan build), real OpenID provider, fake providers.
e2e-test: $(BUILD)/latchkey $(BUILD)/asan/latchkey $(BUILD)/mint_cookie
	cd tests && node --test --test-concurrency=1 e2e/

# The e2e tests from a clone in a 0700 directory (as root: Apache's children cannot enter it),
# and the demo's start-up plus an nginx suite as an ordinary user with a login's PATH (as root:
# a throwaway user, latchkey-fresh). A few seconds each: the clone reuses this tree's binaries.
# shared-hosting.sh measures what another tenant can read in each no-suexec layout (README).
fresh-test: $(BUILD)/latchkey $(BUILD)/asan/latchkey $(BUILD)/mint_cookie
	tests/fresh/clone-0700.sh
	tests/fresh/unprivileged.sh
	tests/fresh/shared-hosting.sh

NPROC := $(shell nproc 2>/dev/null || echo 2)

# Everything, in order of cost: unit tests (plain, ASan+UBSan, TSan), end to end through real
# nginx/Apache/provider processes, each fuzz target briefly, and the short soak.
test: deps
	$(MAKE) format-check
	$(MAKE) -j$(NPROC) all $(BUILD)/unit_tests $(BUILD)/asan/unit_tests $(BUILD)/asan/latchkey \
	  $(BUILD)/mint_cookie
	$(MAKE) unit-test
	$(MAKE) asan-test
	$(MAKE) e2e-test
	$(MAKE) fresh-test
	$(MAKE) -j$(NPROC) tsan-test
	$(MAKE) -j$(NPROC) fuzz-smoke
	$(MAKE) soak-smoke

# Only what the demo needs (tools/deps.sh --demo), not the test toolchain.
demo:
	tools/deps.sh --demo
	$(MAKE) all
	tools/demo.sh

# Benchmarks (not part of `make test`): latchkey against nginx, a bare libfcgi
# program and Apache + mod_auth_openidc, on this machine. Writes bench/RESULTS.md.
# BENCH_SECONDS, BENCH_ROUNDS, BENCH_SIGNIN_SECONDS, BENCH_ONLY, BENCH_TARGETS: see bench/run.mjs.
$(BUILD)/bench/bare_fcgi: bench/bare_fcgi.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -o $@ $< -lfcgi -pthread

bench:
	bench/deps.sh
	$(MAKE) $(BUILD)/latchkey $(BUILD)/bench/bare_fcgi
	node bench/run.mjs

# Packagers: make install DESTDIR=/tmp/pkg PREFIX=/usr [SYSCONFDIR=/etc SYSTEMDUNITDIR=...]
# The example configuration is 0640 (it is where the secrets go once copied to latchkey.conf);
# the systemd unit is rewritten to name the installed binary and configuration.
# The installed binary is stripped (about 2 MB instead of 18); build/latchkey keeps its debug
# information for gdb and core files. Packagers whose tools split debug symbols themselves
# (dh_strip) pass INSTALL_STRIP= to get the unstripped binary.
install: INSTALL_STRIP ?= -s
install: SYSCONFDIR ?= /etc
install: SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
install: DATADIR ?= $(PREFIX)/share/latchkey
install: MANDIR ?= $(PREFIX)/share/man
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(DATADIR)/nginx $(DESTDIR)$(DATADIR)/apache \
	  $(DESTDIR)$(DATADIR)/error-pages \
	  $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(MANDIR)/man8
	install -d -m 0750 $(DESTDIR)$(SYSCONFDIR)/latchkey
	install -m 0755 $(INSTALL_STRIP) $(BUILD)/latchkey $(DESTDIR)$(PREFIX)/bin/latchkey
	install -m 0640 deploy/latchkey.conf.example $(DESTDIR)$(SYSCONFDIR)/latchkey/latchkey.conf.example
	install -m 0644 nginx/latchkey.conf nginx/protect.conf nginx/central-app.conf deploy/nginx-systemd.conf $(DESTDIR)$(DATADIR)/nginx/
	install -m 0644 apache/latchkey-proxy-fcgi.conf apache/latchkey-fcgid.conf apache/latchkey-fcgid-gate.conf \
	  apache/latchkey-authnz-fcgi.conf \
	  apache/latchkey-authnz-provider.conf \
	  apache/htaccess-cgi \
	  apache/htaccess-protect-folder $(DESTDIR)$(DATADIR)/apache/
	install -m 0755 apache/latchkey.cgi apache/latchkey-gate.cgi $(DESTDIR)$(DATADIR)/apache/
	install -m 0644 deploy/error-pages/*.html $(DESTDIR)$(DATADIR)/error-pages/
	sed -e 's|/usr/bin/latchkey|$(PREFIX)/bin/latchkey|g' -e 's|/etc/latchkey/|$(SYSCONFDIR)/latchkey/|g' \
	  deploy/latchkey.service > $(DESTDIR)$(SYSTEMDUNITDIR)/latchkey.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/latchkey.service
	install -m 0644 deploy/latchkey.socket $(DESTDIR)$(SYSTEMDUNITDIR)/latchkey.socket
	install -m 0644 man/latchkey.8 $(DESTDIR)$(MANDIR)/man8/latchkey.8

# Debian package from debian/ (dpkg-buildpackage + debhelper), then lintian. It is built in a
# copy of the tree under build/deb/src, so this tree's build/ is never touched. The copy keeps
# its objects between runs (tar keeps the files' times; -nc skips the clean step), so a rebuild
# compiles only what changed; everything else in the copy is replaced, so a file deleted here
# (a debian/latchkey.* file, say) is gone there too. Output: build/deb/latchkey_$(VERSION)_<arch>.deb.
DEB_DIR := $(BUILD)/deb
deb:
	tools/deps.sh --deb
	rm -f $(DEB_DIR)/*.deb $(DEB_DIR)/*.ddeb $(DEB_DIR)/*.changes $(DEB_DIR)/*.buildinfo
	mkdir -p $(DEB_DIR)/src
	find $(DEB_DIR)/src -mindepth 1 -maxdepth 1 ! -name build -exec rm -rf {} +
	tar --exclude=./build --exclude=./tests --exclude=./bench --exclude=./.git -cf - . | \
	  tar -xf - -C $(DEB_DIR)/src
	cd $(DEB_DIR)/src && nice dpkg-buildpackage -b -us -uc -nc
	lintian --fail-on error,warning --info $(DEB_DIR)/latchkey_$(VERSION)_*.deb

clean:
	rm -rf $(BUILD)

# The tree follows .clang-format; `make test` runs format-check, so a change that does not
# fails before any test runs. Fix with `make format`.
FORMAT_FILES = $(shell find src include tests/unit tests/fuzz tests/tools -name '*.cc' -o -name '*.h' | sort)
format:
	clang-format -i $(FORMAT_FILES)

format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# Fuzzing: one libFuzzer target per parser of outside bytes, built with clang,
# ASan and UBSan into build/fuzz/. Targets and corpora: tests/fuzz/. `make fuzz` runs each
# target FUZZ_SECONDS (default 60) one after another; `make fuzz-smoke` about 10 s each.
FUZZ_CXX     ?= clang++
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_FLAGS   := -std=c++20 $(WARN) -pthread -O1 -g -fno-omit-frame-pointer \
                -fsanitize=address,undefined -fno-sanitize-recover=all \
                -fsanitize-ignorelist=tests/fuzz/ubsan_ignorelist.txt
FUZZ_NAMES   := $(sort $(patsubst tests/fuzz/%_fuzzer.cc,%,$(wildcard tests/fuzz/*_fuzzer.cc)))
FUZZ_BINS    := $(FUZZ_NAMES:%=$(BUILD)/fuzz/%_fuzzer)

.PHONY: fuzz fuzz-smoke fuzz-build
$(eval $(call variant,FUZZ,$(BUILD)/fuzz,nice $(FUZZ_CXX),$(FUZZ_FLAGS) -fsanitize=fuzzer-no-link))
$(FUZZ_OBJS): tests/fuzz/ubsan_ignorelist.txt

$(BUILD)/fuzz/%_fuzzer: tests/fuzz/%_fuzzer.cc tests/fuzz/fuzz_targets.h $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	nice $(FUZZ_CXX) $(CPPFLAGS) -Itests/unit $(FUZZ_FLAGS) -fsanitize=fuzzer \
	  -o $@ $< $(FUZZ_OBJS) $(LDLIBS)

# The objects are named here so make keeps them (not intermediate files of the pattern chain).
fuzz-build: $(FUZZ_OBJS) $(FUZZ_BINS)

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) BUILD=$(BUILD) tests/fuzz/run.sh $(FUZZ_NAMES)

fuzz-smoke: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) BUILD=$(BUILD) tests/fuzz/run.sh $(FUZZ_NAMES)

# ThreadSanitizer: the unit tests, tests/unit/app/concurrency_test.cc among them (every
# route from 16 threads), built with -fsanitize=thread into build/tsan/. Any race fails.
# TSAN_FILTER selects gtest tests (default: all).
TSAN_FILTER ?= *

.PHONY: tsan-test soak soak-smoke
tsan-test: $(BUILD)/tsan/unit_tests
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 exitcode=66" \
	  $(BUILD)/tsan/unit_tests --gtest_filter='$(TSAN_FILTER)'

# Soak and leaks: `make soak` = SOAK_SECONDS of wrk at SOAK_CONNECTIONS connections
# on the auth_request gate and / with a valid session (zero socket errors, zero 5xx, VmRSS
# after within 1 MiB of VmRSS after SOAK_WARMUP s), then the whole e2e suite under valgrind
# memcheck (no errors, nothing definitely lost). `make soak-smoke` is the short version for
# `make test`: 5 s of wrk after 2 s, and memcheck over SOAK_SMOKE_E2E only.
SOAK_SECONDS     ?= 60
SOAK_WARMUP      ?= 10
SOAK_CONNECTIONS ?= 256
SOAK_SMOKE_E2E   ?= e2e/faults.test.mjs e2e/hostile_provider.test.mjs

soak: $(BUILD)/latchkey $(BUILD)/asan/latchkey $(BUILD)/mint_cookie
	cd tests && node soak/soak.mjs --seconds $(SOAK_SECONDS) --warmup $(SOAK_WARMUP) --connections $(SOAK_CONNECTIONS)
	tests/soak/memcheck.sh

soak-smoke: $(BUILD)/latchkey $(BUILD)/asan/latchkey $(BUILD)/mint_cookie
	cd tests && node soak/soak.mjs --seconds 5 --warmup 2 --connections $(SOAK_CONNECTIONS) --name soak-smoke
	tests/soak/memcheck.sh $(SOAK_SMOKE_E2E)
