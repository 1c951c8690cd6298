TEST_IMAGE := mm
TEST_SUITE := issue3
