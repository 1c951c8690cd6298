# The control operations xl create needs beyond the builder's (cpupool,
# NUMA and CPU topology, TSC mode, affinities, the grant-table resource
# and its setup_table fallback), driven from the initial domain on a bare
# domain.  Their refusal to an unprivileged domain is checked by the child
# (domains image).
TEST_IMAGE := ctlops
TEST_OBJS  := $(XBUILD_OBJS)

$(OBJ)/ctlops/main.o: $(XBUILD_DEPS)
$(OBJ)/ctlops/main.o: private CFLAGS += $(XBUILD_CFLAGS)
