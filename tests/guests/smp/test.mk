TEST_IMAGE := smp
