# Makefile: builds pocbake, its tests, fuzzers, and the demo.
VERSION := 0.1.0
PREFIX ?= /usr/local
# each TAP script's wall time in the log (the run still ends with prove's summary)
PROVE_FLAGS ?= --timer
CC ?= cc
PKGS := yaml-0.1 libarchive zlib libzstd libcrypto jansson libcurl libguestfs

ifdef SANITIZE
O ?= build-san
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
else
O ?= build
endif

# Asked of pkg-config when a recipe first needs them, not when make reads this file:
# "make deps all" on a bare machine installs pkg-config and the -dev packages first.
PKG_CFLAGS = $(eval PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null))$(PKG_CFLAGS)
# libguestfs is loaded with dlopen on first use (builder/guest/gfs.c): not linked
PKG_LIBS = $(eval PKG_LIBS := $(shell pkg-config --libs $(filter-out libguestfs,$(PKGS)) 2>/dev/null))$(PKG_LIBS)

WARN := -Wall -Wextra -Wno-unused-parameter
ifdef DEVELOPER
WARN += -Werror -Wformat=2 -Wshadow -Wpointer-arith -Wstrict-prototypes \
        -Wmissing-prototypes -Wvla \
        -Wundef -Wcast-align
endif

CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(CFLAGS) $(WARN) $(SAN_FLAGS) $(PKG_CFLAGS) -D_GNU_SOURCE \
        -DPOCBAKE_VERSION='"$(VERSION)"' -DPOCBAKE_DATADIR='"$(PREFIX)/share/pocbake"' \
        -Ibuilder -MMD -MP
ALL_LDFLAGS := $(LDFLAGS) $(SAN_FLAGS)
LIBS = $(PKG_LIBS) -lpthread -ldl
ifdef SANITIZE
# Sanitizer builds link libguestfs at start-up: ASan resolves the real functions behind
# its interceptors when it starts, and those of libraries that arrive later by dlopen
# (libguestfs's own dependencies) would stay unresolved, a call through NULL.
LIBS += -Wl,--no-as-needed $(shell pkg-config --libs libguestfs 2>/dev/null) -Wl,--as-needed
endif

LIB_SRCS := $(filter-out builder/cli/main.c,$(shell find builder -name '*.c' | LC_ALL=C sort))
LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o)
UNIT_SRCS := $(wildcard test/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:test/unit/%.c=$(O)/test/%)
FUZZ_SRCS := $(wildcard test/fuzz/fuzz_*.c)

all: $(O)/pocbake

# The flags above come from pkg-config: without it and the -dev packages they are
# empty and every compile would fail. Say so once instead (make demo and make check
# install them first: see "deps" below).
pkgs:
	@pkg-config --exists $(PKGS) 2>/dev/null || { \
		echo "pocbake: pkg-config cannot find $(PKGS): run 'make deps' (as root) first, or use 'make demo' / 'make check', which do" >&2; \
		exit 1; }

$(O)/%.o: %.c | pkgs
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The commit pocbake version names: the file is rewritten only when it changes,
# so only cmd_version.o is rebuilt after a commit.
$(O)/commit.h: FORCE
	@mkdir -p $(O); c=$$(git -C $(CURDIR) rev-parse --short=12 HEAD 2>/dev/null || echo unknown); \
	if [ "$$c" != unknown ] && ! git -C $(CURDIR) diff --quiet HEAD -- 2>/dev/null; then c="$$c+changes"; fi; \
	printf '#define POCBAKE_COMMIT "%s"\n' "$$c" >$@.tmp; \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(O)/builder/cli/cmd_version.o: $(O)/commit.h
$(O)/builder/cli/cmd_version.o: ALL_CFLAGS += -include $(O)/commit.h
FORCE:

$(O)/libpocbake.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(O)/pocbake: $(O)/builder/cli/main.o $(O)/libpocbake.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(O)/test/%: test/unit/%.c $(O)/libpocbake.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -Itest/unit -o $@ $< $(O)/libpocbake.a $(LIBS) -lcmocka

deps:
	scripts/deps

# Includes point one way, private headers stay private, no include or call cycle
# (scripts/layers says which rule; it reads the objects for the call graph).
layers: all
	scripts/layers $(CURDIR) $(O)

# check, check-roles, check-host, check-up, check-fresh, demo and bench install the packages first (scripts/deps),
# then run a second make: the compiler flags come from pkg-config, which only
# answers once the -dev packages are there, and make computes them as it starts.
check check-roles check-host check-up check-fresh demo bench: deps
	@$(MAKE) --no-print-directory $@-run

# The unit tests first, then the TAP scripts: the run ends with prove's summary.
check-run: all layers $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done
	POCBAKE=$(CURDIR)/$(O)/pocbake TOP=$(CURDIR) OBJDIR=$(CURDIR)/$(O) prove $(PROVE_FLAGS) test/t/t[0-9]*.sh

# The full profile: real Debian roots from the mirror (slow; not part of check).
check-roles-run: all
	POCBAKE=$(CURDIR)/$(O)/pocbake TOP=$(CURDIR) scripts/check-roles

# The full host with one role VM nested in it, over a reboot (slower still; not part of check).
check-host-run: all
	POCBAKE=$(CURDIR)/$(O)/pocbake TOP=$(CURDIR) scripts/check-host

# The whole full-profile appliance brought up by pocbake up (slow; not part of check).
check-up-run: all
	POCBAKE=$(CURDIR)/$(O)/pocbake TOP=$(CURDIR) scripts/check-up

# The README's two commands in a bare Debian 12 root from the mirror (slow; not part of check).
check-fresh-run:
	TOP=$(CURDIR) scripts/check-fresh

demo-run: all
	POCBAKE=$(CURDIR)/$(O)/pocbake scripts/demo

bench-run: all
	POCBAKE=$(CURDIR)/$(O)/pocbake bench/run

FUZZ_CFLAGS = -std=gnu11 -O1 -g -fsanitize=fuzzer-no-link,address,undefined $(PKG_CFLAGS) \
        -D_GNU_SOURCE -DPOCBAKE_VERSION='"$(VERSION)"' -DPOCBAKE_DATADIR='"$(PREFIX)/share/pocbake"' -Ibuilder
FUZZ_OBJS := $(LIB_SRCS:%.c=build-fuzz/%.o)
build-fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -c -o $@ $<
build-fuzz/fuzz_%: test/fuzz/fuzz_%.c $(FUZZ_OBJS)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)
fuzz: $(FUZZ_SRCS:test/fuzz/%.c=build-fuzz/%)
.SECONDARY: $(FUZZ_OBJS)

style:
	clang-format --dry-run --Werror $$(find builder test/unit test/fuzz -name '*.[ch]')

# The binary finds share/pocbake beside its bin/ whatever PREFIX it was built for.
install: $(O)/pocbake
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/pocbake \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions
	install -m 0755 $(O)/pocbake $(DESTDIR)$(PREFIX)/bin/pocbake
	rm -rf $(DESTDIR)$(PREFIX)/share/pocbake/firmware $(DESTDIR)$(PREFIX)/share/pocbake/recipes
	cp -r firmware recipes $(DESTDIR)$(PREFIX)/share/pocbake/
	install -m 0644 doc/pocbake.1 $(DESTDIR)$(PREFIX)/share/man/man1/pocbake.1
	install -m 0644 doc/pocbake-recipe.5 $(DESTDIR)$(PREFIX)/share/man/man5/pocbake-recipe.5
	install -m 0644 doc/pocbake.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/pocbake
	install -m 0644 doc/_pocbake $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_pocbake

clean:
	rm -rf build build-san build-fuzz

.PHONY: FORCE all pkgs deps layers check check-roles check-host check-up check-fresh demo bench fuzz style install clean \
        check-run check-roles-run check-host-run check-up-run check-fresh-run demo-run bench-run
-include $(LIB_OBJS:.o=.d) $(O)/builder/cli/main.d
