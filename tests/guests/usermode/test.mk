TEST_IMAGE := usermode
TEST_SUITE := issue3
