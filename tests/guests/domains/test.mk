# The control interface from dom0: builds the embedded child kernel with
# dom0-tools/libxbuild (XBUILD_OBJS, see the Makefile).
TEST_IMAGE := domains
TEST_OBJS  := $(XBUILD_OBJS)

$(OBJ)/domains/main.o: $(BUILD)/child.elf child/child.h $(XBUILD_DEPS)
$(OBJ)/domains/main.o: private CFLAGS += $(XBUILD_CFLAGS) \
    -DCHILD_ELF='"$(BUILD)/child.elf"'
