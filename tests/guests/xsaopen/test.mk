# Advisory checks Xenia fails today (docs/security.md, "Advisory sweep",
# open rows): SUITE=xsa-open, outside the default run.
TEST_IMAGE := xsaopen
TEST_SUITE := xsa-open
