# The unprivileged child kernel: never booted by run.py itself (its own
# suite); the domains test embeds child.elf and builds it as a domU.
TEST_IMAGE := child
TEST_SUITE := embedded
