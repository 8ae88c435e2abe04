# SPDX-License-Identifier: GPL-2.0
#
# make help prints the lines below that begin with '## '.
#
## brkwatch: make builds the module against KDIR, the reader and the
## selftests. make check / make demo boot the kernel matrix in QEMU.
##
##   make                     module for the running kernel (KDIR), reader, tests
##   make KERNEL=6.12         the same against one kernel of the matrix
##   make check               setup, compile lane, then every kernel: boot, test
##   make compile-lane        the module, W=1, sparse: every flavour of every series
##   make demo                boot 6.1 and show a malloc(100) three ways
##   make bench               brkwatch against strace, perf, bpftrace, ftrace
##   make deb                 Debian packages brkwatch-dkms and brkwatch, lintian
##   make checkpatch          checkpatch.pl --strict on the module's sources
##   make fuzz                the reader's parser under libFuzzer (FUZZ_SECONDS)
##   make setup               install and prepare everything (root, apt-get)
##   make clean / distclean   build products / also the .cache folder
## KERNEL="NAME..." limits check, compile-lane, demo and bench to those
## kernels (scripts/vm.sh --list shows the names and what they resolve to).
#
# The kernel matrix (KERNEL=NAME) is KERNELS in scripts/lib.sh.
KERNELS := $(shell bash -c '. scripts/lib.sh && echo $$KERNELS')

# KERNEL=NAME: KDIR is that kernel's headers, on the host or in its chroot
# (.cache/chroots/, where the module is then built).
ifdef KERNEL
ifneq ($(words $(KERNEL)),1)
KERNEL_ERROR := make KERNEL=NAME builds the module for one kernel, not '$(KERNEL)'
else ifeq ($(shell bash -c '. scripts/lib.sh && kernel_source "$$1"' - $(KERNEL)),)
KERNEL_ERROR := unknown kernel '$(KERNEL)': use one of $(KERNELS)
endif
KREL_OF_KERNEL := $(firstword $(shell bash -c '. scripts/lib.sh && kernel_headers "$$1"' - $(KERNEL)))
KDIR ?= /lib/modules/$(or $(KREL_OF_KERNEL),missing-headers-for-$(KERNEL))/build
KDIR_ON_HOST := $(shell bash -c '. scripts/lib.sh && kernel_kdir "$$1" "$$2"' - $(KERNEL) $(KREL_OF_KERNEL))
KERNEL_EXEC := bash -c '. scripts/lib.sh && kernel_exec "$$@"' - $(KERNEL)
endif
KDIR ?= /lib/modules/$(shell uname -r)/build
KDIR_ON_HOST ?= $(KDIR)

# What provides KDIR, for the one-line error.
ifdef KERNEL
HEADERS_HINT := run scripts/setup.sh --kernel $(KERNEL)
else
HEADERS_HINT := apt-get install $(patsubst /lib/modules/%/build,linux-headers-%,$(KDIR))
endif

KSFT_DIR := $(CURDIR)/.cache/linux-src/tools/testing/selftests
CHECKPATCH := $(CURDIR)/.cache/linux-src/scripts/checkpatch.pl
FUZZ_SECONDS ?= 30

.PHONY: all module module-kernel userspace selftests linux-src checkpatch fuzz \
	check compile-lane demo bench setup deb clean distclean help

all: module userspace selftests

help:
	@sed -n 's/^## \{0,1\}//p' Makefile

# In-tree build: module/brkwatch.ko, through ./Kbuild (obj-m += module/).
module:
	@test -z "$(KERNEL_ERROR)" || { echo "brkwatch: $(KERNEL_ERROR)" >&2; exit 2; }
	@test -f module/Kbuild || { echo "brkwatch: module/Kbuild is missing: no module sources to build" >&2; exit 2; }
	@test -d "$(KDIR_ON_HOST)" || { echo "brkwatch: no kernel headers in $(KDIR): $(HEADERS_HINT) (or make KERNEL=NAME, NAME one of $(KERNELS), or KDIR=...)" >&2; exit 2; }
	$(KERNEL_EXEC) $(MAKE) -C $(KDIR) M=$(CURDIR) modules

# One kernel's build, apart from the others: .cache/build/KREL/ (or BUILD_DIR)
# holds links to module/'s sources and gets the objects. Used by scripts/vm.sh
# and scripts/compile-lane.sh, where the kernel's headers are (see lib.sh's
# kernel_exec).
BUILD_DIR = $(CURDIR)/.cache/build/$(KREL)
module-kernel:
	@test -n "$(KREL)" || { echo "brkwatch: module-kernel needs KREL=<kernel release>" >&2; exit 2; }
	@test -f module/Kbuild || { echo "brkwatch: module/Kbuild is missing: no module sources to build" >&2; exit 2; }
	@test -d /lib/modules/$(KREL)/build || { echo "brkwatch: no kernel headers in /lib/modules/$(KREL)/build: apt-get install linux-headers-$(KREL) (or run scripts/setup.sh)" >&2; exit 2; }
	@mkdir -p $(BUILD_DIR)
	@cd $(BUILD_DIR) && for f in * .[!.]*; do \
		if [ -L "$$f" ] && { [ ! -e "$$f" ] || [ "$${f%.mod.c}" != "$$f" ]; }; then rm -f "$$f"; fi; \
	done; \
	for f in $(CURDIR)/module/Kbuild $(CURDIR)/module/*.[ch]; do \
		case $$f in *.mod.c) continue ;; esac; \
		if [ -e "$$f" ] && [ ! -L "$${f##*/}" ]; then ln -sf "$$f" .; fi; \
	done
	$(MAKE) -C /lib/modules/$(KREL)/build M=$(BUILD_DIR) modules

# The reader and its unit tests belong to userspace/ (its own Makefile).
userspace:
	@if [ -f userspace/Makefile ]; then \
		$(MAKE) -C userspace; \
	else \
		echo "brkwatch: userspace/Makefile is missing: reader not built" >&2; \
	fi

linux-src:
	@scripts/setup.sh --source --quiet

selftests: linux-src
	$(MAKE) -C selftests KSFT_DIR=$(KSFT_DIR)

# module/compat.h is the one place that compares kernel versions: only
# there is checkpatch's LINUX_VERSION_CODE warning (meant for code merged
# into one kernel version, and its CONSTANT_COMPARISON on that comparison)
# silenced.
CHECKPATCH_FLAGS := --strict --no-tree --no-summary --terse --show-types
checkpatch: linux-src
	@set -- $(filter-out module/compat.h %.mod.c,$(wildcard module/*.c module/*.h scripts/bench/floor/*.c)); \
	if [ $$# = 0 ]; then echo "brkwatch: no module sources to check" >&2; exit 1; fi; \
	perl $(CHECKPATCH) $(CHECKPATCH_FLAGS) -f "$$@" && \
	perl $(CHECKPATCH) $(CHECKPATCH_FLAGS) --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f module/compat.h && \
	echo "checkpatch.pl --strict: $$(($$# + 1)) files, no errors, warnings or checks"

fuzz:
	@if [ -f userspace/Makefile ]; then \
		$(MAKE) -C userspace fuzz FUZZ_SECONDS=$(FUZZ_SECONDS); \
	else \
		echo "brkwatch: userspace/Makefile is missing: no fuzz target" >&2; exit 1; \
	fi

setup:
	@scripts/setup.sh

# .cache/deb/: brkwatch-dkms (module/ and dkms.conf) and brkwatch (the reader).
deb:
	@scripts/deb.sh

check:
	@scripts/check.sh $(foreach k,$(KERNEL),--kernel $(k))

compile-lane:
	@scripts/compile-lane.sh $(foreach k,$(KERNEL),--kernel $(k))

demo:
	@scripts/demo.sh $(if $(KERNEL),--kernel $(firstword $(KERNEL)))

# KERNEL="6.1 6.12" for several kernels (default 6.1), JSON=1 for JSON.
bench:
	@scripts/bench.sh $(foreach k,$(or $(KERNEL),6.1),--kernel $(k)) $(if $(JSON),--json) $(BENCH_ARGS)

clean:
	rm -rf .cache/build .cache/bin .cache/bench
	rm -f module/*.o module/*.ko module/*.mod module/*.mod.c module/.*.cmd \
		module/modules.order module/Module.symvers module/*.dwo \
		modules.order Module.symvers .*.cmd
	rm -rf module/.tmp_versions .tmp_versions
	@if [ -f userspace/Makefile ]; then $(MAKE) -C userspace clean; fi
	$(MAKE) -C selftests clean

distclean: clean
	rm -rf .cache
