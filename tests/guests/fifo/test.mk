# FIFO event channels in the initial domain (VCPUs 0 and 1); see main.c.
TEST_IMAGE := fifo
