# The unprivileged peer kernel: never booted by run.py itself (its own
# suite); interdom and interbench embed peer.elf and build it as a domU.
TEST_IMAGE := peer
TEST_SUITE := embedded
