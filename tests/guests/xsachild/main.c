/*
 * xsachild: built as a domU by the xsa image (the XSA-215 class: a
 * hypervisor that writes an exception's bounce frame where the guest's
 * stack pointer says, without checking it is guest memory).  It installs
 * a full trap table, shows that an int3 is delivered normally, then:
 *
 *   mode=kstack  sets its kernel rsp inside the hypervisor's range and
 *                executes int3: the frame for it cannot be written;
 *   mode=ustack  names a kernel stack inside the hypervisor's range with
 *                stack_switch and executes ud2 in user mode: the switch
 *                to that stack cannot be made.
 *
 * Both hypervisors must crash the domain (SHUTDOWN_crash) and go on.  If
 * the child is still running after the attack it shuts down with
 * SHUTDOWN_reboot, which the parent reports as a failure.
 *
 *   mode=iretnc     returns to user mode through HYPERVISOR_iret at a
 *   mode=iretnc_sc  non-canonical rip (iretnc_sc: with VGCF_in_syscall,
 *                   Xen's SYSRET path; XSA-7/8 class).  The hypervisor
 *                   must not fault on its own return: the child learns
 *                   the outcome and says it with its shutdown reason:
 *                   failsafe callback: poweroff; #GP in the child:
 *                   reboot; any other fault: watchdog; a crash by the
 *                   hypervisor: crash.
 */
#include "xtpv.h"

/*
 * Inside the hypervisor's range: its direct map of physical 0xb9000, the
 * end of the VGA text buffer (off screen), which the parent maps as I/O
 * memory to see whether a frame was written there.
 */
#define HV_STACK 0xffff8300000b9000UL

static const char *mode(void)
{
    const char *m = strstr((const char *)xt_start_info->cmd_line, "mode=");

    return m ? m + 5 : "";
}

XT_USER_TEXT static long user_ud2(long arg)
{
    (void)arg;
    asm volatile ( "ud2" ::: "memory" );
    return 0;
}

static bool on_failsafe(struct xt_regs *r)
{
    (void)r;
    xt_shutdown(SHUTDOWN_poweroff);
}

static bool on_gp(struct xt_regs *r)
{
    (void)r;
    xt_shutdown(SHUTDOWN_reboot);
}

static bool on_other(struct xt_regs *r)
{
    (void)r;
    xt_shutdown(SHUTDOWN_watchdog);
}

static void __attribute__((noreturn)) iret_noncanonical(bool in_syscall)
{
    struct xt_regs r;
    unsigned int v;

    if ( xt_user_init() )
        xt_shutdown(SHUTDOWN_watchdog);
    xt_user_frame(&r, user_ud2, 0, 0);
    r.rip = 0x0000800000000000UL;
    xt_failsafe_hook = on_failsafe;
    for ( v = 0; v < 32; v++ )
        xt_trap_hooks[v] = v == X86_EXC_GP ? on_gp : on_other;
    xt_iret_to(&r, in_syscall ? VGCF_in_syscall : 0);
}

XTEST(xsachild, 1)
{
    const char *m = mode();
    int vec;

    xt_traps_init();
    xt_fault_clear();
    asm volatile ( "1: int3; 2:\n\t" XT_EXTABLE(1b, 2b) ::: "memory" );
    vec = xt_fault_vec();
    xt_check("int3_delivered", vec == X86_EXC_BP, "vector %d", vec);
    if ( vec != X86_EXC_BP )
        xt_shutdown(SHUTDOWN_reboot);

    if ( !strncmp(m, "kstack", 6) )
        asm volatile ( "mov %%rsp, %%rbx\n\t"
                       "mov %0, %%rsp\n\t"
                       "int3\n\t"
                       "mov %%rbx, %%rsp"
                       :: "r" (HV_STACK) : "rbx", "memory" );
    else if ( !strncmp(m, "ustack", 6) )
    {
        if ( xt_user_init() ||
             HYPERVISOR_stack_switch(FLAT_KERNEL_SS, HV_STACK) )
            xt_shutdown(SHUTDOWN_reboot);
        xt_run_user(user_ud2, 0);
    }
    else if ( !strncmp(m, "iretnc_sc", 9) )
        iret_noncanonical(true);
    else if ( !strncmp(m, "iretnc", 6) )
        iret_noncanonical(false);
    else
        return;                 /* booted on its own: nothing to attack */
    xt_shutdown(SHUTDOWN_reboot);
}
