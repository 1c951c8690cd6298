# The hypercall fuzzer's domU (fuzzer and witness modes): never booted by
# run.py itself (its own suite); the fuzz test embeds fuzzchild.elf and
# builds it as a domU.  gen.c is the random-call generator, partner.c the
# second vCPU's loop (the SMP shape).
TEST_IMAGE := fuzzchild
TEST_SUITE := embedded
TEST_OBJS  := $(OBJ)/fuzzchild/gen.o $(OBJ)/fuzzchild/partner.o

$(OBJ)/fuzzchild/gen.o $(OBJ)/fuzzchild/partner.o: $(OBJ)/fuzzchild/%.o: \
    fuzzchild/%.c fuzzchild/fuzzchild.h fuzzchild/fuzz.h $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(OBJ)/fuzzchild/main.o: fuzzchild/fuzzchild.h fuzzchild/fuzz.h
