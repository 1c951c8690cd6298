# The unprivileged child of the hvsec image (never booted by run.py
# itself: its own suite): it tries to link page tables into a cycle and a
# long chain, then powers off, and hvsec destroys it.
TEST_IMAGE := hvsecchild
TEST_SUITE := embedded
