# Hostile-guest checks of issue 12 (items 2, 4, 5), driven from the
# initial domain: event channels of a dying domain, dom0 mapping the
# hypervisor's own frames as I/O memory, linear page tables. Builds the
# embedded child kernel with dom0-tools/libxbuild.
TEST_IMAGE := hvsec
TEST_OBJS  := $(XBUILD_OBJS)

$(OBJ)/hvsec/main.o: $(BUILD)/child.elf $(BUILD)/hvsecchild.elf child/child.h \
    $(XBUILD_DEPS)
$(OBJ)/hvsec/main.o: private CFLAGS += $(XBUILD_CFLAGS) \
    -DCHILD_ELF='"$(BUILD)/child.elf"' \
    -DHVSECCHILD_ELF='"$(BUILD)/hvsecchild.elf"'
