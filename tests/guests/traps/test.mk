TEST_IMAGE := traps
TEST_SUITE := issue3
