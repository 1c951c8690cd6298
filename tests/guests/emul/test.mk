TEST_IMAGE := emul
TEST_SUITE := issue3
