# warrant: models generate, checks decide.
#
#   make            build build/warrant, build/libwarrant.a, build/libwarrant.so
#   make test       unit tests, golden cases and end-to-end CLI tests
#   make demo       install missing Debian packages (as root), build, run the local-model demo offline
#                   (DEMO=scripted: the scripted-model demo)
#   make check      sanitizer build + tests, and static analysis
#   make bench      benchmarks (bench/run.sh; BENCH=core|ledger|sources|schema|providers|sandbox|web|spans|tools|grammar|jobs|local|promptfoo for one)
#   make fuzz       libFuzzer target for the workflow loader (clang)
#
# WERROR=1 turns warnings into errors (CI sets it). SAN=1 builds with ASan+UBSan.

CC      ?= cc
BUILD   ?= build
PKGS    := libfyaml jansson sqlite3 libcrypto libpcre2-8 libcurl libseccomp libpq
# Only the warrant binary uses these (warrant serve), loaded when it starts
# (src/web/mhd_lib.c); libwarrant does not. Their headers are needed here.
CLI_PKGS:= libmicrohttpd
VERSION := 0.1.0

WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wno-unused-parameter
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c17 -D_GNU_SOURCE $(WARN) -fPIC -fvisibility=hidden \
           -Iinclude -Isrc -I$(BUILD)/gen -DWR_VERSION='"$(VERSION)"' \
           $(shell pkg-config --cflags $(PKGS) $(CLI_PKGS))
# libcurl is loaded when the first HTTP client is made (src/model/curl_lib.c),
# not linked: its thirty libraries would slow every command's start-up.
# libpq likewise, when the first PostgreSQL store is opened (src/store/db_pg.c).
LINK_PKGS := $(filter-out libcurl libpq,$(PKGS))
LDLIBS  += $(shell pkg-config --libs $(LINK_PKGS)) -lpthread -lm

ifeq ($(WERROR),1)
CFLAGS  += -Werror
endif
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRC  := $(sort $(shell find src -name '*.c' -not -path 'src/cli/*' -not -path 'src/web/*'))
CLI_SRC  := $(sort $(wildcard src/cli/*.c src/web/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/*.c))
BENCH_SRC:= $(sort $(wildcard bench/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/obj/%.o)

.PHONY: all test demo check bench fuzz deps clean install compile_commands.json
all: $(BUILD)/warrant $(BUILD)/libwarrant.a $(BUILD)/libwarrant.so $(BUILD)/warrant.pc

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	@$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# The shipped price table is compiled in (src/model/prices.c); a user's own
# file replaces it at run time.
$(BUILD)/gen/prices_data.h: data/prices.yaml
	@mkdir -p $(dir $@)
	{ echo 'static const char prices_builtin[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/.*/"&\\n"/' $<; echo ';'; } > $@
$(BUILD)/obj/src/model/prices.o: $(BUILD)/gen/prices_data.h

# The local engine's loops (norms, attention, activations) want the
# vectorizer's full effort, which -O2 does not give them.
$(BUILD)/obj/src/local/%.o: CFLAGS += -O3

$(BUILD)/libwarrant.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/libwarrant.so: $(LIB_OBJ)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The CLI (src/cli, and the review desk's web server in src/web) links the
# static library and reaches it only through include/warrant.h.
$(BUILD)/warrant: $(CLI_OBJ) $(BUILD)/libwarrant.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libwarrant.a $(LDLIBS)

$(BUILD)/warrant.pc: warrant.pc.in
	sed -e 's|@VERSION@|$(VERSION)|' -e 's|@PREFIX@|$(PREFIX)|' -e 's|@PKGS@|$(LINK_PKGS)|' $< > $@

# Unit tests see the internal headers: they test modules, not only the API.
$(BUILD)/unit: $(TEST_OBJ) $(BUILD)/libwarrant.a
	$(CC) $(LDFLAGS) -o $@ $(TEST_OBJ) $(BUILD)/libwarrant.a $(LDLIBS)

# Test programs: a mock LLM server speaking the providers' wire protocols on
# 127.0.0.1, and a command-line model caller built on the library.
$(BUILD)/mockllm: tests/servers/mockllm.c
	$(CC) -O2 -std=c17 -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror) -o $@ $<

$(BUILD)/probe: tests/servers/probe.c $(BUILD)/libwarrant.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libwarrant.a $(LDLIBS)

# An attacker for the sandbox tests: tries each way out (tests/e2e/sandbox.sh).
# Plain flags: it must run under rlimits, where sanitizers would not.
$(BUILD)/sbx_escape: tests/sandbox/escape.c
	$(CC) -O2 -std=gnu17 -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror) -o $@ $<

# The local engine against PyTorch's logits (tests/e2e/local_ref.sh).
$(BUILD)/lcheck: tests/local/lcheck.c $(BUILD)/libwarrant.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libwarrant.a $(LDLIBS)

test: all $(BUILD)/unit $(BUILD)/mockllm $(BUILD)/probe $(BUILD)/sbx_escape $(BUILD)/lcheck
	@tests/run.sh $(BUILD)

deps:
	@scripts/deps.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@examples/demo.sh $(BUILD)

check:
	$(MAKE) BUILD=build-san SAN=1 WERROR=1 test
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	  --suppress=missingIncludeSystem --inline-suppr -Iinclude -Isrc src

bench: all
	@$(MAKE) --no-print-directory $(BUILD)/bench_steps $(BUILD)/bench_startup $(BUILD)/bench_ledger \
	  $(BUILD)/bench_sources $(BUILD)/bench_sandbox $(BUILD)/bench_spans \
	  $(BUILD)/bench_tools $(BUILD)/bench_grammar $(BUILD)/bench_constrain \
	  $(BUILD)/bench_jobs \
	  $(BUILD)/bench_local
	@bench/run.sh $(BUILD)

$(BUILD)/bench_%: bench/bench_%.c $(BUILD)/libwarrant.a
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libwarrant.a $(LDLIBS)

fuzz: $(BUILD)/gen/prices_data.h
	@mkdir -p $(BUILD)
	clang $(filter-out -fvisibility=hidden,$(CFLAGS)) -fsanitize=fuzzer,address,undefined \
	  -o $(BUILD)/fuzz_spec tests/fuzz/fuzz_spec.c $(LIB_SRC) $(LDLIBS)
	@echo "run: $(BUILD)/fuzz_spec -max_total_time=60 tests/cases/spec"

PREFIX ?= /usr/local
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m755 $(BUILD)/warrant $(DESTDIR)$(PREFIX)/bin/
	install -m644 $(BUILD)/libwarrant.a $(BUILD)/libwarrant.so $(DESTDIR)$(PREFIX)/lib/
	install -m644 include/warrant.h $(DESTDIR)$(PREFIX)/include/
	install -m644 $(BUILD)/warrant.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/

compile_commands.json:
	bear -- $(MAKE) -B all $(BUILD)/unit

clean:
	rm -rf $(BUILD) build-san

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
