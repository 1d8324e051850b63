# unicrm -- embeddable unified-CRM client library.
#
#   make                  shared + static library in lib/, the ucrm command-line client in build/bin/
#   make check            every test (unit, local fake, adapters, bindings, install); SANITIZE=1 for ASan+UBSan,
#                         SANITIZE=thread for TSan (threaded tests only)
#   make demo             the sync demo against the bundled local fake
#   make bench            benchmarks: a table of figures against their targets (QUICK=1: a smoke run of seconds)
#   make install          PREFIX, LIBDIR, INCLUDEDIR, PKGCONFIGDIR, BINDIR, MANDIR, DESTDIR are honoured
#   make uninstall        removes what install put there (same variables)
#   make docs             regenerates docs/CONFIGURATION.md and the man pages from the code
#   make abi-check        the ABI gate against docs/abi/libunicrm.abi (make abi-baseline at a release)
#
# Every target first checks (and on Debian as root, installs) what it needs: see tests/tools/ensure-deps.

.SUFFIXES:
SHELL := /bin/bash
.DELETE_ON_ERROR:
.SECONDARY:
.DEFAULT_GOAL := all

HEADER        := include/unicrm/unicrm.h
VERSION_MAJOR := $(shell sed -n 's/^\#define UCRM_VERSION_MAJOR *\([0-9]*\).*/\1/p' $(HEADER))
VERSION_MINOR := $(shell sed -n 's/^\#define UCRM_VERSION_MINOR *\([0-9]*\).*/\1/p' $(HEADER))
VERSION_PATCH := $(shell sed -n 's/^\#define UCRM_VERSION_PATCH *\([0-9]*\).*/\1/p' $(HEADER))
VERSION       := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)

PREFIX       ?= /usr/local
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
BINDIR       ?= $(PREFIX)/bin
MANDIR       ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
INSTALL      ?= install

CC       ?= cc
CXX      ?= c++
CFLAGS   ?= -O2 -g
CXXFLAGS ?= -O2 -g
WERROR   ?= 1

# The build flavour: plain, asan (SANITIZE=1) or tsan (SANITIZE=thread). Each has its own object tree so that
# switching flavours never mixes objects.
SANITIZE ?=
ifeq ($(SANITIZE),)
  FLAVOR  := plain
  SAN_FLAGS :=
else ifeq ($(SANITIZE),thread)
  FLAVOR  := tsan
  SAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer
else
  FLAVOR  := asan
  SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif

B := build/$(FLAVOR)
ifeq ($(FLAVOR),plain)
  LIBOUT := lib
  BINOUT := build/bin
else
  LIBOUT := $(B)/lib
  BINOUT := $(B)/bin
endif

# pkg-config files pointing at this tree (see the install section), used by the Go binding's tests.
UNINST_PC := $(B)/pkgconfig-uninstalled/unicrm.pc $(B)/pkgconfig-uninstalled/unicrm-static.pc

# Dependency flags, computed once per tree by tests/tools/ensure-deps (which installs what is missing).
#
# The Redis backend (src/redis*.c) is optional: it is built when hiredis is present (WITH_REDIS=auto), never with
# WITH_REDIS=0; WITH_REDIS=1 makes a missing hiredis an error. `make check` first makes sure hiredis and
# redis-server are installed (the `redis` set of ensure-deps; only a message when that is not possible), so that
# the Redis tests run instead of being skipped. build/config.mk is remade when hiredis appears or disappears.
WITH_REDIS ?= auto
NODEPS_GOALS := clean distclean help
CHECK_GOALS  := check check-build tests valgrind
ifneq ($(filter-out $(NODEPS_GOALS),$(or $(MAKECMDGOALS),all)),)
-include build/config.mk
endif
ifneq ($(filter $(CHECK_GOALS),$(MAKECMDGOALS)),)
build/config.mk: build/deps-redis.ok
endif
ifneq ($(WITH_REDIS),0)
ifneq ($(shell pkg-config --exists hiredis 2>/dev/null && echo 1),$(HAVE_HIREDIS))
build/config.mk: FORCE
endif
endif
build/config.mk: tests/tools/ensure-deps Makefile
	@mkdir -p build
	@sh tests/tools/ensure-deps build
	@{ echo "DEP_CFLAGS := $$(pkg-config --cflags libcurl libcjson openssl)"; \
	   echo "DEP_LIBS := $$(pkg-config --libs libcurl libcjson libssl libcrypto) -lpthread -lm"; \
	   if pkg-config --exists hiredis 2>/dev/null; then \
	     echo "HAVE_HIREDIS := 1"; \
	     echo "HIREDIS_CFLAGS := $$(pkg-config --cflags hiredis)"; \
	     echo "HIREDIS_LIBS := $$(pkg-config --libs hiredis)"; \
	   fi; } > $@.tmp && mv $@.tmp $@
ifeq ($(WITH_REDIS),0)
  HAVE_HIREDIS :=
else ifeq ($(WITH_REDIS),1)
  ifneq ($(HAVE_HIREDIS),1)
    ifneq ($(wildcard build/config.mk),)
      $(error WITH_REDIS=1 but hiredis is not installed (apt-get install libhiredis-dev))
    endif
  endif
endif

# Test-time dependencies are checked separately so that `make` alone never pulls in cmocka.
build/deps-test.ok: tests/tools/ensure-deps
	@mkdir -p build
	@sh tests/tools/ensure-deps build test
	@touch $@
build/deps-fake.ok: tests/tools/ensure-deps
	@mkdir -p build
	@sh tests/tools/ensure-deps fake
	@touch $@
build/deps-static.ok: tests/tools/ensure-deps
	@mkdir -p build
	@sh tests/tools/ensure-deps static
	@touch $@
build/deps-extra.ok: tests/tools/ensure-deps
	@mkdir -p build
	@sh tests/tools/ensure-deps extra
	@touch $@
# Optional: without hiredis and redis-server the Redis tests are skipped (exit 77), not failed.
build/deps-redis.ok: tests/tools/ensure-deps
	@mkdir -p build
	@sh tests/tools/ensure-deps redis || echo "make: hiredis or redis-server is missing: the Redis backend is not built and its tests are skipped"
	@touch $@

TEST_CFLAGS = $(shell pkg-config --cflags cmocka libmicrohttpd)
TEST_LIBS   = $(shell pkg-config --libs cmocka)
FAKE_LIBS   = $(shell pkg-config --libs libmicrohttpd libcjson libssl libcrypto) -lpthread -lm

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wwrite-strings -Wmissing-prototypes \
        -Wno-missing-field-initializers
ifeq ($(WERROR),1)
  WARN += -Werror
endif

UCRM_CPPFLAGS := -Iinclude -Isrc -D_GNU_SOURCE -DUCRM_BUILDING
UCRM_CFLAGS   := -std=c11 $(WARN) -fPIC -fvisibility=hidden $(SAN_FLAGS) -MMD -MP
ALL_CFLAGS     = $(UCRM_CPPFLAGS) $(DEP_CFLAGS) $(CPPFLAGS) $(UCRM_CFLAGS) $(CFLAGS)
ALL_LDFLAGS    = $(SAN_FLAGS) $(LDFLAGS)

# ---------------------------------------------------------------------------------------------------- library
LIB_SRC := $(sort $(wildcard src/*.c) $(wildcard providers/*/*.c))
ifneq ($(HAVE_HIREDIS),1)
  LIB_SRC := $(filter-out src/redis%.c,$(LIB_SRC))
else
  UCRM_CPPFLAGS += -DUCRM_WITH_REDIS
endif
LIB_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(LIB_SRC))
# Only the Redis sources see hiredis's headers (its include directory has generic names: read.h, sds.h, ...).
$(B)/obj/src/redis.o $(B)/obj/src/redis_%.o: ALL_CFLAGS += $(HIREDIS_CFLAGS)
# Switching the backend on or off must recompile what depends on UCRM_WITH_REDIS: a stamp that changes only then.
REDIS_STAMP := $(B)/redis.stamp
$(shell mkdir -p $(B); [ "$$(cat $(REDIS_STAMP) 2>/dev/null)" = "redis=$(HAVE_HIREDIS)" ] || \
         echo "redis=$(HAVE_HIREDIS)" > $(REDIS_STAMP))
$(B)/obj/src/conf.o $(B)/obj/src/version.o $(B)/obj/src/ratelimit.o $(B)/obj/src/auth.o \
  $(B)/obj/src/redis_limiter.o: $(REDIS_STAMP)
$(patsubst %.c,$(B)/obj/%.o,$(wildcard tests/test_redis*.c) tests/bench/redis_bench.c): $(REDIS_STAMP)
# Every providers/<name>/ with sources is built in and registered (src/providers.c).
PROVIDER_NAMES := $(sort $(patsubst providers/%/,%,$(dir $(wildcard providers/*/*.c))))
UCRM_CPPFLAGS += $(foreach p,$(PROVIDER_NAMES),-DUCRM_WITH_$(shell echo $(p) | tr a-z A-Z))
# The registry must be recompiled when the set of adapters changes: a stamp that changes only then.
PROVIDERS_STAMP := $(B)/providers.stamp
$(shell mkdir -p $(B); [ "$$(cat $(PROVIDERS_STAMP) 2>/dev/null)" = "$(PROVIDER_NAMES)" ] || echo "$(PROVIDER_NAMES)" > $(PROVIDERS_STAMP))
$(B)/obj/src/providers.o $(B)/obj/src/version.o: $(PROVIDERS_STAMP)

SONAME     := libunicrm.so.$(VERSION_MAJOR)
SHARED     := $(LIBOUT)/libunicrm.so.$(VERSION)
STATIC     := $(LIBOUT)/libunicrm.a
LIB_LIBS    = $(DEP_LIBS) $(if $(filter 1,$(HAVE_HIREDIS)),$(HIREDIS_LIBS))

.PHONY: all shared static cli
all: shared static cli
shared: $(SHARED)
static: $(STATIC)

$(B)/obj/%.o: %.c build/config.mk
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(SHARED): $(LIB_OBJ) src/unicrm.map
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=src/unicrm.map -Wl,-z,defs -Wl,--as-needed \
	  $(ALL_LDFLAGS) -o $@ $(LIB_OBJ) $(LIB_LIBS)
	ln -sf libunicrm.so.$(VERSION) $(LIBOUT)/$(SONAME)
	ln -sf $(SONAME) $(LIBOUT)/libunicrm.so

$(STATIC): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

# ---------------------------------------------------------------------------------------------------- local fake
FAKE_SRC := $(sort $(wildcard tests/fake/*.c))
FAKE_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(FAKE_SRC))
FAKE_BIN := $(BINOUT)/unicrm-fake

$(B)/obj/tests/%.o: tests/%.c build/config.mk build/deps-test.ok
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -Itests -c $< -o $@

# The fake is installed with the library (users run it in their own integration tests): it needs libmicrohttpd
# only, not the whole test tool set.
$(B)/obj/tests/fake/%.o: tests/fake/%.c build/config.mk build/deps-fake.ok
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags libmicrohttpd) -Itests -c $< -o $@

.PHONY: fake
fake: $(FAKE_BIN)
$(FAKE_BIN): $(FAKE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(FAKE_OBJ) $(FAKE_LIBS)

# ---------------------------------------------------------------------------------------------------- ucrm (CLI)
# An application of the public API (no -Isrc, no UCRM_BUILDING), linked with the static library so that the
# in-tree and the installed program need no library path.
CLI_SRC := $(sort $(wildcard src/cli/*.c))
CLI_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(CLI_SRC))
CLI_BIN := $(BINOUT)/ucrm
CLI_CFLAGS = -Iinclude -D_GNU_SOURCE $(CPPFLAGS) -std=c11 $(WARN) $(SAN_FLAGS) -MMD -MP $(CFLAGS)

cli: $(CLI_BIN)
$(B)/obj/src/cli/%.o: src/cli/%.c build/config.mk
	@mkdir -p $(@D)
	$(CC) $(CLI_CFLAGS) -c $< -o $@
$(CLI_BIN): $(CLI_OBJ) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(STATIC) $(LIB_LIBS) -lm

# ---------------------------------------------------------------------------------------------------- sync demo
# examples/sync_demo: an application of the public API (like the CLI: no -Isrc), against the local fake.
# DEMO_ARGS="--contacts 500" passes options through.
DEMO_SRC := examples/sync_demo.c examples/demo_util.c
DEMO_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(DEMO_SRC))
DEMO_BIN := $(BINOUT)/sync_demo
$(B)/obj/examples/%.o: examples/%.c build/config.mk
	@mkdir -p $(@D)
	$(CC) $(CLI_CFLAGS) $(DEP_CFLAGS) -c $< -o $@
$(DEMO_BIN): $(DEMO_OBJ) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(DEMO_OBJ) $(STATIC) $(LIB_LIBS) -lm

# ---------------------------------------------------------------------------------------------------- tests
HELPER_SRC := $(sort $(wildcard tests/helpers/*.c))
HELPER_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(HELPER_SRC))
TEST_SRC   := $(sort $(wildcard tests/test_*.c))
TEST_BIN   := $(patsubst tests/%.c,$(B)/tests/%,$(TEST_SRC))
TEST_SH    := $(sort $(wildcard tests/test_*.sh))
# the benchmark programs (section "demo, bench"), built by check-build too
BENCH_SRC    := $(filter-out tests/bench/bench.c,$(sort $(wildcard tests/bench/*.c)))
BENCH_BIN    := $(patsubst tests/bench/%.c,$(B)/bench/%,$(BENCH_SRC))
BENCH_LIBOBJ := $(B)/obj/tests/bench/bench.o $(B)/obj/tests/helpers/fake.o $(B)/obj/tests/helpers/script.o \
                $(B)/obj/tests/helpers/redissrv.o

$(B)/tests/%: $(B)/obj/tests/%.o $(HELPER_OBJ) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(HELPER_OBJ) $(STATIC) $(TEST_LIBS) $(LIB_LIBS) -lm

.PHONY: tests check check-build
tests check-build: build/deps-test.ok build/deps-static.ok all $(UNINST_PC) $(if $(FAKE_SRC),$(FAKE_BIN)) $(TEST_BIN) \
                   $(DEMO_BIN) $(BENCH_BIN) headertest check-symbols

# TESTS=name1,name2 runs a subset; UCRM_TEST_FILTER is passed through for cmocka's own filtering.
# SANITIZE=thread runs the threaded cases only: those named *__threads_* in the programs listed here.
TSAN_TESTS  ?= test_ratelimit test_auth test_limits_fake test_redis test_redis_fake
TSAN_FILTER ?= *__threads_*
ifeq ($(FLAVOR),tsan)
  CHECK_ENV = TESTS="$(or $(TESTS),$(TSAN_TESTS))" UCRM_TEST_FILTER="$(or $(UCRM_TEST_FILTER),$(TSAN_FILTER))" \
              TSAN_OPTIONS="$(or $(TSAN_OPTIONS),halt_on_error=1 second_deadlock_stack=1)"
endif
check: check-build
	@$(CHECK_ENV) UCRM_FLAVOR=$(FLAVOR) UCRM_BUILD_DIR=$(B) UCRM_BIN_DIR=$(BINOUT) UCRM_LIB_DIR=$(LIBOUT) \
	  UCRM_FAKE_BIN=$(FAKE_BIN) sh tests/tools/run-tests $(TEST_BIN) $(TEST_SH)

# ---------------------------------------------------------------------------------------------------- header and symbols
.PHONY: headertest check-symbols
headertest: $(B)/headertest/c99.ok $(B)/headertest/cxx.ok
$(B)/headertest/c99.ok: tests/headertest.c $(HEADER) include/unicrm/sys/transport.h build/deps-test.ok
	@mkdir -p $(@D)
	$(CC) -std=c99 -Wall -Wextra -pedantic -Werror -Iinclude -c tests/headertest.c -o $(@D)/c99.o
	$(CC) -std=c89 -Wall -Wextra -pedantic -Wno-long-long -Werror -Iinclude -DUCRM_HEADERTEST_C89 \
	  -c tests/headertest.c -o $(@D)/c89.o
	@touch $@
$(B)/headertest/cxx.ok: tests/headertest.cpp $(HEADER) include/unicrm/sys/transport.h build/deps-test.ok
	@mkdir -p $(@D)
	$(CXX) -std=c++11 -Wall -Wextra -pedantic -Werror -Iinclude -c tests/headertest.cpp -o $(@D)/cxx.o
	@touch $@

check-symbols: $(SHARED)
	@bad=$$(nm -D --defined-only $(SHARED) | awk '$$2 != "A" {print $$3}' | grep -v '^ucrm_' || true); \
	if [ -n "$$bad" ]; then echo "check-symbols: exported symbols outside ucrm_*:"; echo "$$bad"; exit 1; fi; \
	so=$$(readelf -d $(SHARED) | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p'); \
	if [ "$$so" != "$(SONAME)" ]; then echo "check-symbols: SONAME is '$$so', want $(SONAME)"; exit 1; fi; \
	decl=$$(sed -n 's/^UCRM_API .*[ *]\(ucrm_[a-z0-9_]*\)(.*/\1/p' include/unicrm/unicrm.h include/unicrm/sys/transport.h | sort -u); \
	expo=$$(nm -D --defined-only $(SHARED) | awk '$$2 == "T" {sub(/@.*/, "", $$3); print $$3}' | sort -u); \
	if [ "$$decl" != "$$expo" ]; then echo "check-symbols: declared (<) and exported (>) functions differ:"; \
	  diff <(echo "$$decl") <(echo "$$expo") | grep '^[<>]'; exit 1; fi; \
	echo "check-symbols: $$(echo "$$expo" | wc -l) functions, each declared in the headers, all ucrm_*; SONAME $$so"

# ---------------------------------------------------------------------------------------------------- ABI gate
# The baseline is the ABI of the last release, made from a debug build (default CFLAGS has -g) with the public
# headers; abi-check fails on any change that is not an addition (tests/tools/abi-check, run by make check too).
ABI_BASELINE := docs/abi/libunicrm.abi
ABI_SUPPR    := docs/abi/suppressions.abignore
.PHONY: abi-check abi-baseline
abi-check: $(SHARED)
	@sh tests/tools/abi-check $(ABI_BASELINE) $(SHARED) include/unicrm $(ABI_SUPPR); rc=$$?; \
	  if [ $$rc = 77 ]; then echo "abi-check: skipped"; exit 0; fi; exit $$rc
abi-baseline: $(SHARED) build/deps-extra.ok
	@readelf -S $(SHARED) | grep -q '\.debug_info' || { echo "abi-baseline: $(SHARED) lacks -g"; exit 1; }
	abidw --headers-dir include/unicrm --drop-private-types --no-corpus-path --no-comp-dir-path --short-locs \
	  --out-file $(ABI_BASELINE) $(SHARED)

# ---------------------------------------------------------------------------------------------------- valgrind
.PHONY: valgrind
valgrind: check-build
	@UCRM_FLAVOR=$(FLAVOR) UCRM_BUILD_DIR=$(B) UCRM_BIN_DIR=$(BINOUT) UCRM_LIB_DIR=$(LIBOUT) \
	  UCRM_FAKE_BIN=$(FAKE_BIN) UCRM_VALGRIND=1 \
	  UCRM_FAKE_WRAPPER="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99" \
	  sh tests/tools/run-tests $(TEST_BIN)

# ---------------------------------------------------------------------------------------------------- docs
.PHONY: docs
docs: $(B)/tools/gen-confdoc build/deps-test.ok
	$(B)/tools/gen-confdoc > docs/CONFIGURATION.md.tmp && mv docs/CONFIGURATION.md.tmp docs/CONFIGURATION.md
	python3 tests/tools/gen-man.py
$(B)/tools/gen-confdoc: tests/tools/gen-confdoc.c tests/helpers/confdoc.c tests/helpers/confdoc.h $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ tests/tools/gen-confdoc.c tests/helpers/confdoc.c $(STATIC) $(LIB_LIBS)

# ---------------------------------------------------------------------------------------------------- demo, bench
.PHONY: demo bench bench-build
demo: $(FAKE_BIN) $(DEMO_BIN)
	@sh examples/run_demo.sh $(FAKE_BIN) $(DEMO_BIN) $(DEMO_ARGS)

# Benchmark programs: every tests/bench/<name>.c but bench.c has a main() and is linked with bench.c (shared
# helpers), the fake helpers and the static library. `make bench` builds them optimised (CFLAGS, never
# sanitizers), starts the fakes it needs and prints the table of figures (tests/bench/run-bench); QUICK=1 is a
# smoke run of a few seconds. make check builds them too (and runs QUICK=1 in tests/test_bench_smoke.sh).
$(B)/bench/%: $(B)/obj/tests/bench/%.o $(BENCH_LIBOBJ) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(BENCH_LIBOBJ) $(STATIC) $(LIB_LIBS) -lm

build/deps-bench.ok: tests/tools/ensure-deps
	@mkdir -p build
	@sh tests/tools/ensure-deps build test bench
	@touch $@

bench-build: build/deps-test.ok all $(FAKE_BIN) $(BENCH_BIN)

ifneq ($(filter bench,$(MAKECMDGOALS)),)
  ifneq ($(FLAVOR),plain)
    $(error make bench measures the optimised build: run it without SANITIZE)
  endif
endif
bench: build/deps-bench.ok bench-build
	@BENCH_QUICK=$(QUICK) BENCH_COMMAND="make bench$(if $(QUICK), QUICK=$(QUICK))" BENCH_DIR=$(B)/bench \
	  UCRM_FAKE_BIN=$(FAKE_BIN) BENCH_CC="$(CC)" BENCH_CFLAGS="$(CFLAGS)" bash tests/bench/run-bench

# ---------------------------------------------------------------------------------------------------- install
# The .pc files carry the final paths (never DESTDIR). A libdir/includedir under the prefix is written relative
# to ${prefix}, so that `pkg-config --define-prefix` can relocate an installed tree.
PC_REQUIRES := libcurl libcjson libssl libcrypto$(if $(filter src/redis%.c,$(LIB_SRC)), hiredis)
pc_rel = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))
PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(call pc_rel,$(LIBDIR))|g' \
             -e 's|@INCLUDEDIR@|$(call pc_rel,$(INCLUDEDIR))|g' -e 's|@VERSION@|$(VERSION)|g' \
             -e 's|@REQUIRES_PRIVATE@|$(PC_REQUIRES)|g'
PC_FILES := $(B)/pkgconfig/unicrm.pc $(B)/pkgconfig/unicrm-static.pc
# Regenerated on every use (a sed): they depend on PREFIX & co., which make cannot see change.
$(B)/pkgconfig/%.pc: pkgconfig/%.pc.in FORCE
	@mkdir -p $(@D)
	$(PC_SED) $< > $@.tmp && mv $@.tmp $@
.PHONY: pc
pc: $(PC_FILES)

# The same .pc files pointing at this tree (lib/ and include/), for the Go binding's tests and for trying
# downstream builds without installing: PKG_CONFIG_PATH=$(B)/pkgconfig-uninstalled.
$(B)/pkgconfig-uninstalled/%.pc: pkgconfig/%.pc.in FORCE
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(CURDIR)|g' -e 's|@LIBDIR@|$(CURDIR)/$(LIBOUT)|g' -e 's|@INCLUDEDIR@|$(CURDIR)/include|g' \
	    -e 's|@VERSION@|$(VERSION)|g' -e 's|@REQUIRES_PRIVATE@|$(PC_REQUIRES)|g' $< > $@.tmp && mv $@.tmp $@

MAN1 := $(sort $(wildcard docs/man/man1/*.1))
MAN3 := $(sort $(wildcard docs/man/man3/*.3))
INSTALL_BINS := $(CLI_BIN) $(if $(FAKE_SRC),$(FAKE_BIN))

.PHONY: install uninstall
install: all $(PC_FILES) $(if $(FAKE_SRC),$(FAKE_BIN))
	$(INSTALL) -d $(DESTDIR)$(INCLUDEDIR)/unicrm/sys $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
	  $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3
	$(INSTALL) -m 644 include/unicrm/unicrm.h $(DESTDIR)$(INCLUDEDIR)/unicrm/
	$(INSTALL) -m 644 include/unicrm/sys/transport.h $(DESTDIR)$(INCLUDEDIR)/unicrm/sys/
	$(INSTALL) -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/
	ln -sf libunicrm.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libunicrm.so
	$(INSTALL) -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/
	$(INSTALL) -m 644 $(PC_FILES) $(DESTDIR)$(PKGCONFIGDIR)/
	$(INSTALL) -m 755 $(INSTALL_BINS) $(DESTDIR)$(BINDIR)/
	$(if $(MAN1),$(INSTALL) -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/)
	$(if $(MAN3),$(INSTALL) -m 644 $(MAN3) $(DESTDIR)$(MANDIR)/man3/)

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/unicrm/unicrm.h $(DESTDIR)$(INCLUDEDIR)/unicrm/sys/transport.h
	-rmdir $(DESTDIR)$(INCLUDEDIR)/unicrm/sys $(DESTDIR)$(INCLUDEDIR)/unicrm 2>/dev/null
	rm -f $(DESTDIR)$(LIBDIR)/libunicrm.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME) \
	      $(DESTDIR)$(LIBDIR)/libunicrm.so $(DESTDIR)$(LIBDIR)/libunicrm.a \
	      $(DESTDIR)$(PKGCONFIGDIR)/unicrm.pc $(DESTDIR)$(PKGCONFIGDIR)/unicrm-static.pc
	rm -f $(DESTDIR)$(BINDIR)/ucrm $(DESTDIR)$(BINDIR)/unicrm-fake
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1))) \
	      $(addprefix $(DESTDIR)$(MANDIR)/man3/,$(notdir $(MAN3)))

# ---------------------------------------------------------------------------------------------------- misc
.PHONY: clean distclean help FORCE
FORCE:
clean:
	rm -rf build lib/libunicrm.*
distclean: clean

help:
	@sed -n '2,14p' Makefile | sed 's/^# \{0,1\}//'

-include $(shell find $(B)/obj -name "*.d" 2>/dev/null)
