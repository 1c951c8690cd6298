# Interdomain figures for make bench (suite bench: never booted by check);
# shares ctl.o (with the embedded peer) with interdom.
TEST_IMAGE := interbench
TEST_SUITE := bench
TEST_OBJS  := $(OBJ)/interdom/ctl.o $(XBUILD_OBJS)

$(OBJ)/interbench/main.o: interdom/ctl.h peer/peer.h $(XBUILD_DEPS)
$(OBJ)/interbench/main.o: private CFLAGS += $(XBUILD_CFLAGS) -Iinterdom
