# The hostile block frontend (issue 11): an unprivileged domU that speaks
# blkif to xenia-blkback and sends malformed requests.  Never booted by
# run.py (it needs a backend in dom0): the pv-block integration scenario
# creates it with `xenia create` and two disks (vbd-attach), on Xen 4.17
# and on Xenia, and turns its RESULT lines into scenario results.
# pv-drivers' overlay copies build/tests/guests/blkhostile.elf into dom0.
TEST_IMAGE := blkhostile
TEST_SUITE := embedded
