# Version-2 and transitive grants between the initial domain and a peer
# domU (tests/guests/peer, embedded in ctl.o; shares ctl.o with interdom).
TEST_IMAGE := gnttrans
TEST_OBJS  := $(OBJ)/interdom/ctl.o $(XBUILD_OBJS)

$(OBJ)/gnttrans/main.o: interdom/ctl.h peer/peer.h $(XBUILD_DEPS)
$(OBJ)/gnttrans/main.o: private CFLAGS += $(XBUILD_CFLAGS) -Iinterdom
