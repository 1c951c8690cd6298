# Top-level build. Each component has its own Makefile with 'all' and
# 'check' (and optionally 'bench'); this file only sequences them.
# 'check' targets write build/results/<suite>.tsv; scripts/summary.sh
# turns those into the final 'N passed, N failed, N skipped' line.

COMPONENTS := hypervisor tests/guests xenstore-like guest-kernel-patches \
              dom0-tools pv-drivers
CHECKS     := tests/unit tests/guests xenstore-like guest-kernel-patches \
              tests/integration dom0-tools pv-drivers
BENCHES    := tests/guests xenstore-like tests/integration \
              tests/integration/dom0-bench

have = $(wildcard $(1)/Makefile)

.PHONY: all setup run check soak bench fuzz clean $(COMPONENTS)

all: setup
	@set -e; for d in $(COMPONENTS); do \
	    if [ -f $$d/Makefile ]; then $(MAKE) --no-print-directory -C $$d all; fi; \
	done

setup:
	@scripts/setup.sh

run: all
	@scripts/run.sh

check: all
	@rm -rf build/results && mkdir -p build/results
	@for d in $(CHECKS); do \
	    if [ -f $$d/Makefile ]; then \
	        $(MAKE) --no-print-directory -C $$d check || \
	            printf 'FAIL\t%s\tcheck target exited non-zero\n' "$$d" \
	                >> build/results/make-errors.tsv; \
	    fi; \
	done
	@scripts/summary.sh

# dom0-boot in the extra configurations (tests/integration soak: -cpu phenom
# at -m 512 and -m 4096, Xen's xenstored on Xenia); results in
# build/results-soak/, counted by scripts/summary.sh.
soak: all
	@rm -rf build/results-soak && mkdir -p build/results-soak
	@$(MAKE) --no-print-directory -C tests/integration soak \
	    SOAK_RESULTS=$(CURDIR)/build/results-soak || \
	    printf 'FAIL\t%s\tsoak target exited non-zero\n' tests/integration \
	        >> build/results-soak/make-errors.tsv
	@scripts/summary.sh build/results-soak

bench: all
	@rm -rf build/bench && mkdir -p build/bench
	@for d in $(BENCHES); do \
	    if [ -f $$d/Makefile ] && grep -q '^bench:' $$d/Makefile; then \
	        $(MAKE) --no-print-directory -C $$d bench || exit 1; \
	    fi; \
	done
	@scripts/bench-report.sh

# A long hypercall fuzz run: make fuzz [DURATION=600] [HV=xenia|xen]
# [SEED=0x...] [CPU=qemu64] [CALLS=20000] [RISK=0] [SHAPES=31] [ARGS=...];
# see tests/guests/fuzz/fuzz.sh (every shape on by default on Xenia).
# Results in build/fuzz/results.tsv.
fuzz: all
	@DURATION="$(DURATION)" HV="$(HV)" SEED="$(SEED)" CPU="$(CPU)" \
	    CALLS="$(CALLS)" RISK="$(RISK)" SHAPES="$(SHAPES)" ARGS="$(ARGS)" \
	    tests/guests/fuzz/fuzz.sh

clean:
	rm -rf build
