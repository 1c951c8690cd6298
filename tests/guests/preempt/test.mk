# Issue 12, items 3 and 8: long batched hypercalls are preemptible
# (continuations: mmu_update, mmuext_op, multicall, grant-table batches),
# nested multicalls are refused, and a multicall ends at an iret.
TEST_IMAGE := preempt
