/*
 * Host harness for hypervisor unit tests: the real hypervisor sources in
 * hypervisor/common/ are compiled against the host C library, with this
 * file standing in for the hypervisor's printk and the few helpers libc
 * lacks. Tests see what printk printed through harness_log.
 */
#ifndef XENIA_UNIT_HARNESS_H
#define XENIA_UNIT_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

extern char harness_log[4096];
void harness_log_reset(void);

#endif
