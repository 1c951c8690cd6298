# The unprivileged child of the xsa image (never booted by run.py itself:
# its own suite): it makes the hypervisor write a bounce frame onto a
# stack inside the hypervisor's range (XSA-215 class) and must be crashed.
TEST_IMAGE := xsachild
TEST_SUITE := embedded
