# The xenstore-protocol fuzzer: an unprivileged domU that talks garbage to
# the store over its own ring (issue 12).  Never booted by run.py (no
# store there): the store-fuzz integration scenario creates it with
# `xenia create` in a Linux dom0, on Xen 4.17 and on Xenia, with
# xenia-stored or Xen's C xenstored (docs/security.md).
TEST_IMAGE := xsfuzz
TEST_SUITE := embedded
