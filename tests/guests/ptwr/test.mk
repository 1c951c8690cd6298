TEST_IMAGE := ptwr
