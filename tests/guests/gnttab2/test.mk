TEST_IMAGE := gnttab2
