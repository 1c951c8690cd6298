# Hypercall fuzzing from an unprivileged domU: builds the embedded
# fuzzchild kernel twice (fuzzer and witness) with dom0-tools/libxbuild.
# Options come from the command line (fuzz_seed=, fuzz_calls=, ...; see
# main.c); run.py appends $GUEST_ARGS, fuzz.sh drives long runs.
TEST_IMAGE := fuzz
TEST_OBJS  := $(XBUILD_OBJS)

$(OBJ)/fuzz/main.o: $(BUILD)/fuzzchild.elf fuzzchild/fuzz.h \
    $(XBUILD_DEPS)
$(OBJ)/fuzz/main.o: private CFLAGS += $(XBUILD_CFLAGS) \
    -DFUZZCHILD_ELF='"$(BUILD)/fuzzchild.elf"'
