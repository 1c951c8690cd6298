TEST_IMAGE := usermode
