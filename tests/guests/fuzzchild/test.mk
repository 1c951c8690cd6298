# The hypercall fuzzer's domU (fuzzer and witness modes): never booted by
# run.py itself (its own suite); the fuzz test embeds fuzzchild.elf and
# builds it as a domU.  gen.c is the random-call generator.
TEST_IMAGE := fuzzchild
TEST_SUITE := embedded
TEST_OBJS  := $(OBJ)/fuzzchild/gen.o

$(OBJ)/fuzzchild/gen.o: fuzzchild/gen.c fuzzchild/fuzzchild.h \
    fuzzchild/fuzz.h $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(OBJ)/fuzzchild/main.o: fuzzchild/fuzzchild.h fuzzchild/fuzz.h
