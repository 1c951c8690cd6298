# Hostile checks named after Xen security advisories (issue 12, the
# advisory sweep; docs/security.md "Advisory sweep"), from the initial
# domain; the XSA-215 checks build the xsachild kernel as a domU with
# dom0-tools/libxbuild.
TEST_IMAGE := xsa
TEST_OBJS  := $(XBUILD_OBJS)

$(OBJ)/xsa/main.o: $(BUILD)/xsachild.elf $(XBUILD_DEPS)
$(OBJ)/xsa/main.o: private CFLAGS += $(XBUILD_CFLAGS) \
    -DXSACHILD_ELF='"$(BUILD)/xsachild.elf"'
