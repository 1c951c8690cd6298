# The control interface from dom0: builds the embedded child kernel with
# dom0-tools/libxbuild (linked in as an extra object).
TEST_IMAGE := domains
TEST_OBJS  := $(OBJ)/domains/xbuild.o

XBUILD_DIR := $(ROOT)/dom0-tools/libxbuild

$(OBJ)/domains/xbuild.o: $(XBUILD_DIR)/xbuild.c $(XBUILD_DIR)/xbuild.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(OBJ)/domains/main.o: $(BUILD)/child.elf child/child.h $(XBUILD_DIR)/xbuild.h
$(OBJ)/domains/main.o: private CFLAGS += -I$(XBUILD_DIR) \
    -DCHILD_ELF='"$(BUILD)/child.elf"'
