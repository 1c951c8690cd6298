/*
 * dbreg: a guest's debug registers against the hypervisor (issue 12,
 * item 1), as Xen 4.17 behaves: DR0-3/DR7 stay loaded while the
 * hypervisor runs, so a data breakpoint on a buffer a hypercall copies
 * fires in hypervisor context; Xen takes #DB on an IST stack, ignores a
 * watchpoint hit in its own context (the guest gets no #DB and its DR6
 * does not change) and the hypercall completes. A hit in the guest is
 * delivered with B0 in the DR6 the guest reads. `mov ss` from a watched
 * selector followed by `syscall` (XSA-260) must not take the host down.
 * Own image: a hypervisor that panics ends the boot.
 */
#include "xtpv.h"
#include <public/version.h>

#define DR6_DEFAULT     0xffff0ff0UL
#define DR7_DEFAULT     0x400UL
#define DR7_L0          0x1UL
#define DR7_RW0_W       (1UL << 16)
#define DR7_RW0_RW      (3UL << 16)
#define DR7_LEN0_8      (2UL << 18)

static volatile unsigned int nr_db;
static volatile long db_dr6;
static volatile unsigned long db_rip;

static bool db_hook(struct xt_regs *regs)
{
    nr_db++;
    db_rip = regs->rip;
    regs->rflags &= ~0x100UL;                   /* TF: one step only */
    db_dr6 = HYPERVISOR_get_debugreg(6);
    return true;
}

static volatile uint64_t watch_var __attribute__((aligned(8)));
/* 41 bytes: the last one is the first of the 8-byte window at buf + 40. */
static char buf[64] __attribute__((aligned(64))) =
    "dbreg: the hypervisor reads this buffer.\n";
static char vbuf[64] __attribute__((aligned(64)));
static struct evtchn_send send_arg __attribute__((aligned(8)));
static uint16_t ss_sel __attribute__((aligned(8))) = FLAT_KERNEL_SS;

static void watch(unsigned long addr, unsigned long rw)
{
    HYPERVISOR_set_debugreg(7, DR7_DEFAULT);
    HYPERVISOR_set_debugreg(6, DR6_DEFAULT);
    HYPERVISOR_set_debugreg(0, addr);
    HYPERVISOR_set_debugreg(7, DR7_DEFAULT | DR7_L0 | rw | DR7_LEN0_8);
}

static void unwatch(void)
{
    HYPERVISOR_set_debugreg(7, DR7_DEFAULT);
    HYPERVISOR_set_debugreg(0, 0);
    HYPERVISOR_set_debugreg(6, DR6_DEFAULT);
}

static long movss_syscall(unsigned long op, unsigned long a1)
{
    long rax = op;

    asm volatile ( "mov %[sel], %%ss\n\t"
                   "syscall"
                   : "+a" (rax), "+D" (a1)
                   : [sel] "m" (ss_sel)
                   : "rcx", "r11", "rsi", "rdx", "r10", "r8", "r9",
                     "memory" );
    return rax;
}

static void initial_checks(void)
{
    long v6 = HYPERVISOR_get_debugreg(6), v7 = HYPERVISOR_get_debugreg(7);

    xt_check("initial_dr6", (unsigned long)v6 == DR6_DEFAULT, "%#lx", v6);
    xt_check("initial_dr7", (unsigned long)v7 == DR7_DEFAULT, "%#lx", v7);
}

static void guest_hit_checks(const char *name)
{
    char n[48];
    unsigned int before = nr_db;

    db_dr6 = 0;
    barrier();
    watch_var++;
    barrier();
    snprintf(n, sizeof(n), "%s_delivered", name);
    xt_check(n, nr_db == before + 1, "#DB %u", nr_db - before);
    snprintf(n, sizeof(n), "%s_dr6_b0", name);
    xt_check(n, (unsigned long)db_dr6 == (DR6_DEFAULT | 1), "dr6 %#lx",
             db_dr6);
    HYPERVISOR_set_debugreg(6, DR6_DEFAULT);
}

static void hv_checks(void)
{
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF,
                                       .remote_dom = DOMID_SELF };
    unsigned int before, len = strlen(buf);
    long rc, v6;

    /*
     * The hypervisor reads a watched buffer: at the head of the copy, and
     * at its very last byte (the #DB then points past the copy).
     */
    watch((unsigned long)buf, DR7_RW0_RW);
    before = nr_db;
    rc = HYPERVISOR_console_io(CONSOLEIO_write, len, buf);
    v6 = HYPERVISOR_get_debugreg(6);
    xt_check("hv_read_head_ignored", rc == 0 && nr_db == before &&
             (unsigned long)v6 == DR6_DEFAULT, "rc %ld #DB %u dr6 %#lx", rc,
             nr_db - before, v6);
    watch((unsigned long)buf + 40, DR7_RW0_RW);
    before = nr_db;
    rc = HYPERVISOR_console_io(CONSOLEIO_write, len, buf);
    v6 = HYPERVISOR_get_debugreg(6);
    xt_check("hv_read_tail_ignored", rc == 0 && nr_db == before &&
             (unsigned long)v6 == DR6_DEFAULT, "rc %ld #DB %u dr6 %#lx", rc,
             nr_db - before, v6);

    /* The hypervisor writes a watched buffer. */
    watch((unsigned long)vbuf, DR7_RW0_W);
    before = nr_db;
    rc = HYPERVISOR_xen_version(XENVER_extraversion, vbuf);
    v6 = HYPERVISOR_get_debugreg(6);
    xt_check("hv_write_ignored", rc == 0 && vbuf[0] && nr_db == before &&
             (unsigned long)v6 == DR6_DEFAULT, "rc %ld #DB %u dr6 %#lx", rc,
             nr_db - before, v6);

    /* EVTCHNOP_send's argument watched (the example). */
    rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au);
    send_arg.port = au.port;
    watch((unsigned long)&send_arg, DR7_RW0_RW);
    before = nr_db;
    if ( !rc )
        rc = HYPERVISOR_event_channel_op(EVTCHNOP_send, &send_arg);
    v6 = HYPERVISOR_get_debugreg(6);
    xt_check("hv_evtchn_send_ignored", rc == 0 && nr_db == before &&
             (unsigned long)v6 == DR6_DEFAULT, "rc %ld #DB %u dr6 %#lx", rc,
             nr_db - before, v6);

    /* Still armed for the guest afterwards. */
    watch((unsigned long)&watch_var, DR7_RW0_W);
    guest_hit_checks("after_hv");
    unwatch();
}

/* Status bits stay set until the guest writes DR6; a single step sets BS. */
static volatile uint64_t watch_var2 __attribute__((aligned(8)));

static void dr6_checks(void)
{
    unsigned int before;

    HYPERVISOR_set_debugreg(7, DR7_DEFAULT);
    HYPERVISOR_set_debugreg(6, DR6_DEFAULT);
    HYPERVISOR_set_debugreg(0, (unsigned long)&watch_var);
    HYPERVISOR_set_debugreg(1, (unsigned long)&watch_var2);
    HYPERVISOR_set_debugreg(7, DR7_DEFAULT | DR7_L0 | DR7_RW0_W |
                            DR7_LEN0_8 | (DR7_L0 << 2) | (DR7_RW0_W << 4) |
                            (DR7_LEN0_8 << 4));
    before = nr_db;
    watch_var++;
    barrier();
    watch_var2++;
    barrier();
    xt_check("dr6_sticky", nr_db - before == 2 &&
             (unsigned long)db_dr6 == (DR6_DEFAULT | 3), "#DB %u dr6 %#lx",
             nr_db - before, db_dr6);
    HYPERVISOR_set_debugreg(1, 0);
    unwatch();

    before = nr_db;
    db_dr6 = 0;
    asm volatile ( "pushf; orq $0x100, (%%rsp); popf; nop; nop"
                   ::: "memory", "cc" );
    xt_check("single_step_dr6_bs", nr_db - before == 1 &&
             (unsigned long)db_dr6 == (DR6_DEFAULT | (1UL << 14)),
             "#DB %u dr6 %#lx", nr_db - before, db_dr6);
    HYPERVISOR_set_debugreg(6, DR6_DEFAULT);
}

static void movss_checks(void)
{
    long want = HYPERVISOR_xen_version(XENVER_version, NULL), rc, v6;
    unsigned int before;

    watch((unsigned long)&ss_sel, DR7_RW0_RW);
    before = nr_db;
    db_rip = 0;
    rc = movss_syscall(__HYPERVISOR_xen_version, XENVER_version);
    v6 = HYPERVISOR_get_debugreg(6);
    unwatch();
    xt_check("movss_syscall_survives", rc == want, "rc %#lx want %#lx", rc,
             want);
    xt_check("movss_syscall_db", nr_db - before == 1 &&
             (unsigned long)v6 == (DR6_DEFAULT | 1),
             "#DB %u rip %#lx dr6 %#lx", nr_db - before, db_rip, v6);
}

XTEST(dbreg, 16)
{
    xt_traps_init();
    xt_trap_hooks[X86_EXC_DB] = db_hook;
    initial_checks();                   /* 2 */
    watch((unsigned long)&watch_var, DR7_RW0_W);
    guest_hit_checks("guest");          /* 2 */
    unwatch();
    hv_checks();                        /* 6 */
    dr6_checks();                       /* 2 */
    movss_checks();                     /* 2 */
    xt_check("dr6_after", (unsigned long)HYPERVISOR_get_debugreg(6) ==
             DR6_DEFAULT, "%#lx", HYPERVISOR_get_debugreg(6));
    xt_check("dr7_after", (unsigned long)HYPERVISOR_get_debugreg(7) ==
             DR7_DEFAULT, "%#lx", HYPERVISOR_get_debugreg(7));
}
