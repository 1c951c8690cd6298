# Hypercall fuzzing from an unprivileged domU: builds the embedded
# fuzzchild kernel twice (fuzzer and witness) with dom0-tools/libxbuild.
# Options come from the command line (fuzz_seed=, fuzz_calls=, ...; see
# main.c); run.py appends $GUEST_ARGS, fuzz.sh drives long runs.
TEST_IMAGE := fuzz
TEST_OBJS  := $(OBJ)/fuzz/xbuild.o

FUZZ_XBUILD := $(ROOT)/dom0-tools/libxbuild

$(OBJ)/fuzz/xbuild.o: $(FUZZ_XBUILD)/xbuild.c $(FUZZ_XBUILD)/xbuild.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(OBJ)/fuzz/main.o: $(BUILD)/fuzzchild.elf fuzzchild/fuzz.h \
    $(FUZZ_XBUILD)/xbuild.h
$(OBJ)/fuzz/main.o: private CFLAGS += -I$(FUZZ_XBUILD) \
    -DFUZZCHILD_ELF='"$(BUILD)/fuzzchild.elf"'
