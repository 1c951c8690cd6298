# Interdomain figures for make bench (suite bench: never booted by check);
# shares ctl.o (with the embedded peer) and xbuild.o with interdom.
TEST_IMAGE := interbench
TEST_SUITE := bench
TEST_OBJS  := $(OBJ)/interdom/ctl.o $(OBJ)/interdom/xbuild.o

$(OBJ)/interbench/main.o: interdom/ctl.h peer/peer.h \
    $(ROOT)/dom0-tools/libxbuild/xbuild.h
$(OBJ)/interbench/main.o: private CFLAGS += -I$(ROOT)/dom0-tools/libxbuild \
    -Iinterdom
