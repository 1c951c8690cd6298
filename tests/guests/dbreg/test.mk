TEST_IMAGE := dbreg
