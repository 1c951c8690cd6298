TEST_IMAGE := emul
