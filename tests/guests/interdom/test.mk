# Event channels and grants between the initial domain and a peer domU
# (tests/guests/peer, embedded in ctl.o, built with dom0-tools/libxbuild).
# ctl.o and xbuild.o are shared with tests/guests/interbench.
TEST_IMAGE := interdom
TEST_OBJS  := $(OBJ)/interdom/ctl.o $(OBJ)/interdom/xbuild.o

INTERDOM_XBUILD := $(ROOT)/dom0-tools/libxbuild
INTERDOM_DEPS := $(wildcard lib/*.h) interdom/ctl.h peer/peer.h \
    $(INTERDOM_XBUILD)/xbuild.h

$(OBJ)/interdom/xbuild.o: $(INTERDOM_XBUILD)/xbuild.c \
    $(INTERDOM_XBUILD)/xbuild.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(OBJ)/interdom/ctl.o: interdom/ctl.c $(INTERDOM_DEPS) $(BUILD)/peer.elf
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I$(INTERDOM_XBUILD) -DPEER_ELF='"$(BUILD)/peer.elf"' \
	    -c $< -o $@

$(OBJ)/interdom/main.o: $(INTERDOM_DEPS)
$(OBJ)/interdom/main.o: private CFLAGS += -I$(INTERDOM_XBUILD)
