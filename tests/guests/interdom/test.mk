# Event channels and grants between the initial domain and a peer domU
# (tests/guests/peer, embedded in ctl.o, built with dom0-tools/libxbuild).
# ctl.o is shared with tests/guests/interbench.
TEST_IMAGE := interdom
TEST_OBJS  := $(OBJ)/interdom/ctl.o $(XBUILD_OBJS)

INTERDOM_DEPS := $(wildcard lib/*.h) interdom/ctl.h peer/peer.h \
    $(XBUILD_DEPS)

$(OBJ)/interdom/ctl.o: interdom/ctl.c $(INTERDOM_DEPS) $(BUILD)/peer.elf
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(XBUILD_CFLAGS) -DPEER_ELF='"$(BUILD)/peer.elf"' \
	    -c $< -o $@

$(OBJ)/interdom/main.o: $(INTERDOM_DEPS)
$(OBJ)/interdom/main.o: private CFLAGS += $(XBUILD_CFLAGS)
