TEST_IMAGE := main
