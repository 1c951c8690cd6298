# The create/destroy soak's guest (issue 12, reliability figures): a tiny
# domU that the cycles integration scenario creates and destroys with the
# xenia CLI a thousand times.  Never booted by run.py (no console ring
# there).
TEST_IMAGE := cycler
TEST_SUITE := embedded
