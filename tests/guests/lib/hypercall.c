/*
 * hypercall.c: the two hypercall gates of the test kernels.
 */
#include "xtest.h"

enum xt_hc_mode xt_hc_mode = XT_HC_PAGE;

/* Through the hypercall page: stub 'nr' sits at hypercall_page + nr * 32. */
long xt_hypercall_via_page(unsigned int nr, unsigned long a1,
                           unsigned long a2, unsigned long a3,
                           unsigned long a4, unsigned long a5)
{
    register unsigned long r10 asm("r10") = a4;
    register unsigned long r8 asm("r8") = a5;
    void *stub = hypercall_page + (unsigned long)nr * 32;
    long ret;

    asm volatile ( "call *%[stub]"
                   : "=a" (ret), "+D" (a1), "+S" (a2), "+d" (a3),
                     "+r" (r10), "+r" (r8)
                   : [stub] "r" (stub)
                   : "rcx", "r9", "r11", "memory" );
    return ret;
}

/* Directly: 'syscall' from guest kernel mode is the hypercall gate. */
long xt_hypercall_via_syscall(unsigned int nr, unsigned long a1,
                              unsigned long a2, unsigned long a3,
                              unsigned long a4, unsigned long a5)
{
    register unsigned long r10 asm("r10") = a4;
    register unsigned long r8 asm("r8") = a5;
    long ret;

    asm volatile ( "syscall"
                   : "=a" (ret), "+D" (a1), "+S" (a2), "+d" (a3),
                     "+r" (r10), "+r" (r8)
                   : "0" ((unsigned long)nr)
                   : "rcx", "r9", "r11", "memory" );
    return ret;
}
