/*
 * usermode: the test kernel runs user code as a real OS does.
 *
 * A user L4 (MMUEXT_NEW_USER_BASEPTR) maps only the user pages; entry is
 * the iret hypercall with CS RPL 3.  Checks: system calls through the
 * syscall callback and both iret returns (with VGCF_in_syscall rcx/r11
 * become rip/rflags as after SYSRET; without, the frame's values), page
 * faults the kernel resolves and the user retries, a user access to a
 * kernel-only mapping, 'int n' from user mode per trap-table DPL,
 * privileged instructions from user mode, the kernel/user GS swap, and
 * two user tasks preempted by a one-shot VIRQ_TIMER.  Expected values
 * are Xen 4.17's (xen/arch/x86/x86_64/entry.S, pv/iret.c, pv/traps.c).
 */
#include "xtpv.h"

#define SYS_add    1
#define SYS_regs   2

/* ---- user side: only code and data in the xtuser sections -------- */

XT_USER_DATA static volatile unsigned long user_stop;
XT_USER_DATA static volatile unsigned long user_count[2];
XT_USER_DATA static uint64_t user_gs_area[2] = { 0x5553455247534753UL };

XT_USER_TEXT static long u_ret42(long arg)
{
    return arg + 41;
}

XT_USER_TEXT static long u_add(long arg)
{
    long ret, a = arg, b = 4;

    asm volatile ( "syscall" : "=a" (ret), "+D" (a), "+S" (b)
                   : "0" ((long)SYS_add) : "rcx", "r11", "memory" );
    return ret;
}

/* rcx/r11 as seen after the syscall, and the return rip, in u_out[]. */
XT_USER_DATA static unsigned long u_out[3];

XT_USER_TEXT static long u_regs(long arg)
{
    asm volatile ( "lea 1f(%%rip), %%rdx\n\t"
                   "syscall\n\t"
                   "1: mov %%rcx, %0\n\t"
                   "mov %%r11, %1\n\t"
                   "mov %%rdx, %2"
                   : "=m" (u_out[0]), "=m" (u_out[1]), "=m" (u_out[2])
                   : "a" ((long)SYS_regs)
                   : "rcx", "rdx", "r11", "rdi", "rsi", "memory" );
    return arg;
}

XT_USER_TEXT static long u_touch(long va)
{
    *(volatile unsigned long *)va = 0x1234;
    return *(volatile unsigned long *)va;
}

XT_USER_TEXT static long u_read(long va)
{
    return *(volatile unsigned long *)va;
}

XT_USER_TEXT static long u_int40(long arg)
{
    asm volatile ( "1: int $0x40; 2:\n\t" XT_EXTABLE(1b, 2b) ::: "memory" );
    return arg;
}

XT_USER_TEXT static long u_int42(long arg)
{
    asm volatile ( ".globl xt_u_int42\n\t"
                   "xt_u_int42: int $0x42\n\t"
                   "xt_u_int42_done:\n\t"
                   XT_EXTABLE(xt_u_int42, xt_u_int42_done) ::: "memory" );
    return arg;
}
extern char xt_u_int42[];

XT_USER_TEXT static long u_hlt(long arg)
{
    asm volatile ( "hlt" ::: "memory" );
    return arg;
}

XT_USER_TEXT static long u_cli(long arg)
{
    asm volatile ( "cli" ::: "memory" );
    return arg;
}

XT_USER_TEXT static long u_gs(long arg)
{
    unsigned long v;

    (void)arg;
    asm volatile ( "mov %%gs:0, %0" : "=r" (v) :: "memory" );
    return v;
}

XT_USER_TEXT static long u_spin(long id)
{
    while ( !user_stop )
        user_count[id]++;
    return user_count[id];
}

/* ---- kernel side --------------------------------------------------- */

static struct xt_regs sys_frame;
static uint8_t sys_mask;
static uint64_t kernel_secret = 0x4b45524e;

static long sys_handler(struct xt_regs *regs)
{
    sys_frame = *regs;
    sys_mask = *xt_upcall_mask();
    switch ( regs->rax )
    {
    case SYS_add:
        return regs->rdi + regs->rsi;
    case SYS_regs:
        regs->rcx = 0x1111;
        regs->r11 = 0x2202;
        return 0;
    }
    return -XEN_ENOSYS;
}

static uint64_t pf_err, pf_cr2;
static unsigned int pf_count;

static bool heap_fault(struct xt_regs *regs)
{
    uint64_t cr2 = xt_vcpu_info()->arch.cr2;
    void *page;

    if ( (regs->cs & 3) != 3 || cr2 < XT_USER_HEAP ||
         cr2 >= XT_USER_HEAP + (2UL << 20) )
        return false;
    pf_err = regs->error_code;
    pf_cr2 = cr2;
    pf_count++;
    page = xt_alloc_page();
    return xt_set_pte(cr2 & ~0xfffUL, (xt_virt_to_mfn(page) << 12) |
                      _PAGE_PRESENT | _PAGE_RW | _PAGE_USER |
                      _PAGE_ACCESSED | _PAGE_DIRTY, UVMF_INVLPG) == 0;
}

static void basic_checks(void)
{
    unsigned long out[3];
    long rc;

    rc = xt_user_init();
    xt_check_rc("user_l4_installed", rc, 0);
    xt_check_rc("user_exit_value", xt_run_user(u_ret42, 1), 42);

    xt_sys_handler = sys_handler;
    rc = xt_run_user(u_add, 3);
    xt_check_rc("syscall_from_user", rc, 7);
    xt_check("syscall_frame_user_cs", (sys_frame.cs & 0xffff) ==
             FLAT_USER_CS, "cs %#lx", sys_frame.cs);
    xt_check("syscall_saved_mask_0", ((sys_frame.cs >> 32) & 0xff) == 0 &&
             (sys_frame.rflags & X86_EFLAGS_IF), "cs %#lx rflags %#lx",
             sys_frame.cs, sys_frame.rflags);
    xt_check("syscall_callback_masks", sys_mask == 1, "mask %u", sys_mask);
    xt_check("syscall_on_kernel_stack", sys_frame.rsp >= XT_VIRT_BASE &&
             sys_frame.rsp < XT_VIRT_BASE + (1UL << 30), "user rsp %#lx",
             sys_frame.rsp);

    xt_sysret_flags = 0;
    xt_run_user(u_regs, 0);
    memcpy(out, u_out, sizeof(out));
    xt_check("iret_restores_rcx_r11", out[0] == 0x1111 && out[1] == 0x2202,
             "rcx %#lx r11 %#lx", out[0], out[1]);
    xt_sysret_flags = VGCF_in_syscall;
    xt_run_user(u_regs, 0);
    memcpy(out, u_out, sizeof(out));
    xt_check("iret_in_syscall_rcx_is_rip", out[0] == out[2],
             "rcx %#lx rip %#lx", out[0], out[2]);
    xt_check("iret_in_syscall_r11_is_rflags", (out[1] & X86_EFLAGS_IF) &&
             (out[1] & 2) && out[1] != 0x2202, "r11 %#lx", out[1]);
    xt_sysret_flags = 0;
}

static void fault_checks(void)
{
    unsigned long va = XT_USER_HEAP + 0x3010;
    long rc;

    xt_trap_hooks[X86_EXC_PF] = heap_fault;
    rc = xt_run_user(u_touch, va);
    xt_check("user_pf_resolved", rc == 0x1234 && pf_count == 1, "rc %#lx "
             "faults %u", rc, pf_count);
    xt_check("user_pf_error_code", pf_err == (PFEC_user | PFEC_write),
             "err %#lx", pf_err);
    xt_check("user_pf_cr2", pf_cr2 == va, "cr2 %#lx", pf_cr2);
    xt_check("kernel_sees_user_page", *(volatile unsigned long *)va == 0x1234,
             NULL);
    xt_trap_hooks[X86_EXC_PF] = NULL;

    rc = xt_run_user(u_read, (long)&kernel_secret);
    xt_check("user_kernel_only_pf", rc == (XT_USER_KILLED | X86_EXC_PF) &&
             xt_last_fault.error_code == PFEC_user &&
             xt_last_fault.cr2 == (unsigned long)&kernel_secret,
             "rc %#lx err %#lx cr2 %#lx", rc, xt_last_fault.error_code,
             xt_last_fault.cr2);
    rc = xt_run_user(u_read, (long)XT_USER_HEAP + 0x100000);
    xt_check("user_unmapped_pf", rc == (XT_USER_KILLED | X86_EXC_PF) &&
             xt_last_fault.error_code == PFEC_user, "rc %#lx err %#lx", rc,
             xt_last_fault.error_code);
    rc = xt_run_user(u_touch, (long)MACH2PHYS_VIRT_START);
    xt_check("user_write_m2p_pf", rc == (XT_USER_KILLED | X86_EXC_PF) &&
             (xt_last_fault.error_code & (PFEC_user | PFEC_write)) ==
             (PFEC_user | PFEC_write), "rc %#lx err %#lx", rc,
             xt_last_fault.error_code);

    rc = xt_run_user(u_hlt, 0);
    xt_check("user_hlt_gp", rc == (XT_USER_KILLED | X86_EXC_GP), "rc %#lx",
             rc);
    {
        struct { uint32_t iopl; } io = { 1 };

        HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, &io);
        rc = xt_run_user(u_cli, 0);
        xt_check("user_cli_iopl1_gp", rc == (XT_USER_KILLED | X86_EXC_GP),
                 "rc %#lx", rc);
        io.iopl = 0;
        HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, &io);
    }
}

static void set_trap(unsigned int vec, unsigned int flags)
{
    struct trap_info ti[2] = {
        { .vector = vec, .flags = flags, .cs = FLAT_KERNEL_CS,
          .address = xt_trap_entry(vec) },
        { 0 },
    };

    HYPERVISOR_set_trap_table(ti);
}

static void softint_checks(void)
{
    uint64_t ec;
    long rc;

    /* Vectors n and 2n alike: see traps/main.c on QEMU's TCG error code. */
    set_trap(0x40, 3);
    set_trap(0x80, 3);
    set_trap(0x42, 1);
    set_trap(0x84, 1);
    xt_fault_clear();
    rc = xt_run_user(u_int40, 5);
    xt_check("user_int_dpl3", rc == 5 && (xt_last_fault.vector == 0x40 ||
             xt_last_fault.vector == 0x80) && (xt_last_fault.cs & 3) == 3,
             "rc %ld vec %#x cs %#lx", rc, xt_last_fault.vector,
             xt_last_fault.cs);
    xt_fault_clear();
    rc = xt_run_user(u_int42, 5);
    ec = xt_last_fault.error_code;
    xt_check("user_int_dpl1_gp", rc == 5 && xt_last_fault.vector ==
             X86_EXC_GP && (ec == 0x42 * 8 + 2 || ec == 0x42 * 16 + 2) &&
             xt_last_fault.rip == (unsigned long)xt_u_int42,
             "rc %ld vec %u err %#lx", rc, xt_last_fault.vector, ec);
}

static uint64_t kernel_gs_area[2] = { 0x4b45524e454c4753UL };

static uint64_t gs_probe(void)
{
    uint64_t v;

    asm volatile ( "mov %%gs:0, %0" : "=r" (v) :: "memory" );
    return v;
}

static void gs_checks(void)
{
    long rc;

    HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL,
                                (unsigned long)kernel_gs_area);
    HYPERVISOR_set_segment_base(SEGBASE_GS_USER,
                                (unsigned long)user_gs_area);
    rc = xt_run_user(u_gs, 0);
    xt_check("user_sees_user_gs", (uint64_t)rc == user_gs_area[0],
             "%#lx", rc);
    xt_check("kernel_gs_after_user", gs_probe() == kernel_gs_area[0],
             "%#lx", gs_probe());
}

/* ---- preemption ------------------------------------------------------ */

static struct xt_regs task[2];
static unsigned int cur_task, ticks, user_ticks, switches;

static void arm_timer(uint64_t delta_ns)
{
    struct vcpu_set_singleshot_timer t = {
        .timeout_abs_ns = xt_system_time() + delta_ns,
    };

    HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t);
}

static void timer_tick(unsigned int port, struct xt_regs *regs)
{
    (void)port;
    ticks++;
    if ( (regs->cs & 3) == 3 )
    {
        user_ticks++;
        task[cur_task] = *regs;
        cur_task ^= 1;
        *regs = task[cur_task];
        switches++;
    }
    if ( ticks >= 8 )
        user_stop = 1;
    else
        arm_timer(2000000);
}

static void preempt_checks(void)
{
    struct vcpu_set_singleshot_timer past = { .timeout_abs_ns = 1,
        .flags = VCPU_SSHOTTMR_future };
    int port;
    long rc;

    xt_check_rc("stop_periodic_timer",
                HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL), 0);
    port = xt_bind_virq(VIRQ_TIMER, timer_tick);
    xt_check("bind_virq_timer", port > 0, "port %d", port);
    /*
     * Xen 4.17 ignores VCPU_SSHOTTMR_future: a deadline in the past
     * fires at once and the call succeeds (common/domain.c).
     */
    xt_check_rc("singleshot_in_past_fires",
                HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &past), 0);
    xt_check("singleshot_past_pending", port > 0 &&
             (xt_shared_info->evtchn_pending[port / 64] &
              (1UL << (port % 64))), NULL);
    if ( port > 0 )
        __atomic_fetch_and(&xt_shared_info->evtchn_pending[port / 64],
                           ~(1UL << (port % 64)), __ATOMIC_SEQ_CST);
    /* Consume it all, selector included, or no later upcall is raised. */
    xt_vcpu_info()->evtchn_pending_sel = 0;
    xt_vcpu_info()->evtchn_upcall_pending = 0;

    xt_user_frame(&task[0], u_spin, 0, 0);
    xt_user_frame(&task[1], u_spin, 1, 1);
    cur_task = 0;
    arm_timer(2000000);
    rc = xt_run_user_frame(&task[0]);
    HYPERVISOR_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL);
    xt_check("user_tasks_ended", rc > 0 && ticks >= 8, "rc %ld ticks %u",
             rc, ticks);
    xt_check("timer_preempted_user", user_ticks >= 2 && switches >= 2,
             "user ticks %u switches %u", user_ticks, switches);
    xt_check("both_tasks_ran", user_count[0] > 0 && user_count[1] > 0,
             "counts %lu %lu", user_count[0], user_count[1]);
    if ( port > 0 )
        xt_unbind(port);
}

XTEST(usermode, 30)
{
    xt_traps_init();
    basic_checks();         /* 10 */
    fault_checks();         /*  9 */
    softint_checks();       /*  2 */
    gs_checks();            /*  2 */
    preempt_checks();       /*  7 */
}
