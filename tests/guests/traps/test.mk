TEST_IMAGE := traps
