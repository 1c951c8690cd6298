TEST_IMAGE := bench
TEST_SUITE := bench
