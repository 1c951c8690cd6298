TEST_IMAGE := ptwr
TEST_SUITE := issue3
