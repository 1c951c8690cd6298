TEST_IMAGE := crash
TEST_EXPECT := crash
