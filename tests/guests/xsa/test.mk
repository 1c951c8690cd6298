# Hostile checks named after Xen security advisories (issue 12, the
# advisory sweep; docs/security.md "Advisory sweep"), from the initial
# domain.
TEST_IMAGE := xsa
