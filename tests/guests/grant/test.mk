TEST_IMAGE := grant
