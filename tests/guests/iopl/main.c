/*
 * iopl: emulated port I/O against hostile operands (issue 12, items 3, 6
 * and 7), as Xen 4.17 behaves:
 * - a string I/O instruction whose memory operand is non-canonical raises
 *   #SS(0) when its segment is SS and #GP(0) otherwise (hardware does the
 *   same for an rsp/rbp based operand);
 * - VMASST_TYPE_architectural_iopl: the guest kernel counts as CPL 0 (cli,
 *   sti, in, out never fault from it), the iret hypercall loads the virtual
 *   IOPL from its frame and bounce frames report it; without the assist the
 *   kernel counts as CPL 1 (needs IOPL >= 1);
 * - `rep outs` with a huge count is emulated a bounded number of
 *   iterations per entry: a timer event lands on the rep instruction with
 *   rcx partly counted down, and the instruction still completes.
 */
#include "xtpv.h"

#define NONCANON    0x0000800000000000UL
#define UNMAPPED    0x0000100000000000UL
#define IOPL_MASK   0x3000UL
#define VMASST_ARCH_IOPL 4

static int set_iopl(unsigned int iopl)
{
    struct { uint32_t iopl; } arg = { iopl };

    return HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, &arg);
}

/* ---- item 6: #SS versus #GP ---- */

static int outs_ss_probe(unsigned long src, unsigned long count, bool rep)
{
    xt_fault_clear();
    if ( rep )
        asm volatile ( "1: .byte 0xf3, 0x36, 0x6e; 2:\n\t" XT_EXTABLE(1b, 2b)
                       : "+S" (src), "+c" (count) : "d" (0x80) : "memory" );
    else
        asm volatile ( "1: .byte 0x36, 0x6e; 2:\n\t" XT_EXTABLE(1b, 2b)
                       : "+S" (src) : "d" (0x80) : "memory" );
    return xt_fault_vec();
}

static int outs_ds_probe(unsigned long src)
{
    xt_fault_clear();
    asm volatile ( "1: outsb; 2:\n\t" XT_EXTABLE(1b, 2b)
                   : "+S" (src) : "d" (0x80) : "memory" );
    return xt_fault_vec();
}

static int ins_probe(unsigned long dst)
{
    xt_fault_clear();
    asm volatile ( "1: insb; 2:\n\t" XT_EXTABLE(1b, 2b)
                   : "+D" (dst) : "d" (0x80) : "memory" );
    return xt_fault_vec();
}

static int rbp_read_probe(unsigned long addr)
{
    unsigned long v = 0;

    xt_fault_clear();
    asm volatile ( "push %%rbp; mov %1, %%rbp\n\t"
                   "1: mov (%%rbp), %0; 2:\n\t"
                   "pop %%rbp\n\t" XT_EXTABLE(1b, 2b)
                   : "+r" (v) : "r" (addr) : "memory" );
    return xt_fault_vec();
}

static void ss_checks(void)
{
    int vec;

    set_iopl(1);
    vec = outs_ss_probe(NONCANON, 0, false);
    xt_check("outs_ss_noncanon_gp", vec == X86_EXC_GP &&
             xt_last_fault.error_code == 0, "vec %d ec %#lx", vec,
             xt_last_fault.error_code);
    vec = outs_ss_probe(NONCANON, 4, true);
    xt_check("rep_outs_ss_noncanon_gp", vec == X86_EXC_GP &&
             xt_last_fault.error_code == 0, "vec %d ec %#lx", vec,
             xt_last_fault.error_code);
    vec = outs_ds_probe(NONCANON);
    xt_check("outs_ds_noncanon_gp", vec == X86_EXC_GP &&
             xt_last_fault.error_code == 0, "vec %d ec %#lx", vec,
             xt_last_fault.error_code);
    vec = ins_probe(NONCANON);
    xt_check("ins_es_noncanon_gp", vec == X86_EXC_GP &&
             xt_last_fault.error_code == 0, "vec %d ec %#lx", vec,
             xt_last_fault.error_code);
    vec = rbp_read_probe(NONCANON);
    xt_check("hw_rbp_noncanon_gp_tcg", vec == X86_EXC_GP &&
             xt_last_fault.error_code == 0, "vec %d ec %#lx", vec,
             xt_last_fault.error_code);
    vec = outs_ds_probe(UNMAPPED + 0x10);
    xt_check("outs_unmapped_pf", vec == X86_EXC_PF &&
             xt_last_fault.error_code == 0 &&
             xt_last_fault.cr2 == UNMAPPED + 0x10, "vec %d ec %#lx cr2 %#lx",
             vec, xt_last_fault.error_code, xt_last_fault.cr2);
    vec = ins_probe(UNMAPPED + 0x20);
    xt_check("ins_unmapped_pf", vec == X86_EXC_PF &&
             xt_last_fault.error_code == 2 &&
             xt_last_fault.cr2 == UNMAPPED + 0x20, "vec %d ec %#lx cr2 %#lx",
             vec, xt_last_fault.error_code, xt_last_fault.cr2);
    set_iopl(0);
}

/* ---- item 7: VMASST_TYPE_architectural_iopl ---- */

static int cli_probe(void)
{
    xt_fault_clear();
    asm volatile ( "1: cli; 2:\n\t" XT_EXTABLE(1b, 2b) ::: "memory" );
    return xt_fault_vec();
}

static int sti_probe(void)
{
    xt_fault_clear();
    asm volatile ( "1: sti; 2:\n\t" XT_EXTABLE(1b, 2b) ::: "memory" );
    return xt_fault_vec();
}

static int in_probe(void)
{
    uint8_t v = 0;

    xt_fault_clear();
    asm volatile ( "1: inb $0x80, %%al; 2:\n\t" XT_EXTABLE(1b, 2b)
                   : "+a" (v) :: "memory" );
    return xt_fault_vec();
}

static int out_probe(void)
{
    xt_fault_clear();
    asm volatile ( "1: outb %%al, $0x80; 2:\n\t" XT_EXTABLE(1b, 2b)
                   :: "a" (0) : "memory" );
    return xt_fault_vec();
}

/* The iret hypercall with IOPL 'iret_iopl' in its frame: a ud2 hook. */
static unsigned long iret_iopl;

static bool ud_set_iopl(struct xt_regs *regs)
{
    regs->rflags = (regs->rflags & ~IOPL_MASK) | (iret_iopl << 12);
    regs->rip += 2;
    return true;
}

static void iret_with_iopl(unsigned int iopl)
{
    iret_iopl = iopl;
    xt_trap_hooks[X86_EXC_UD] = ud_set_iopl;
    asm volatile ( "ud2" ::: "memory" );
    xt_trap_hooks[X86_EXC_UD] = NULL;
}

/* IOPL in the frame of a #PF bounce. */
static unsigned int bounce_iopl(void)
{
    uint64_t dummy;

    xt_probe_read(UNMAPPED, &dummy);
    return (xt_last_fault.rflags & IOPL_MASK) >> 12;
}

static void iopl_matrix(bool arch)
{
    static const unsigned int levels[] = { 0, 1, 3 };
    char name[48];
    unsigned int i;

    for ( i = 0; i < ARRAY_SIZE(levels); i++ )
    {
        unsigned int l = levels[i];
        int want = (!arch && l == 0) ? X86_EXC_GP : -1;
        int vc, vs, vi, vo;

        if ( arch )
            iret_with_iopl(l);
        else
            set_iopl(l);
        vc = cli_probe();
        vs = sti_probe();
        vi = in_probe();
        vo = out_probe();
        snprintf(name, sizeof(name), "%s_kernel_iopl%u", arch ? "arch" :
                 "legacy", l);
        xt_check(name, vc == want && vs == want && vi == want && vo == want,
                 "want %d: cli %d sti %d in %d out %d", want, vc, vs, vi, vo);
    }
}

static void arch_iopl_checks(void)
{
    unsigned int b;
    long rc;

    set_iopl(0);
    iopl_matrix(false);                                     /* 3 */
    set_iopl(3);
    b = bounce_iopl();
    xt_check("legacy_bounce_iopl", b == 0, "iopl %u", b);
    set_iopl(0);

    rc = HYPERVISOR_vm_assist(VMASST_CMD_enable, VMASST_ARCH_IOPL);
    xt_check_rc("vm_assist_arch_iopl", rc, 0);
    iopl_matrix(true);                                      /* 3 */
    iret_with_iopl(2);
    b = bounce_iopl();
    xt_check("arch_iret_sets_iopl", b == 2, "iopl %u", b);
    set_iopl(1);
    b = bounce_iopl();
    xt_check("arch_set_iopl_reported", b == 1, "iopl %u", b);
    iret_with_iopl(0);
    b = bounce_iopl();
    xt_check("arch_iret_clears_iopl", b == 0, "iopl %u", b);
    HYPERVISOR_vm_assist(VMASST_CMD_disable, VMASST_ARCH_IOPL);
    xt_check("legacy_again_iopl0_gp", in_probe() == X86_EXC_GP, NULL);
    set_iopl(0);
}

/* ---- item 3: rep outs is bounded per entry ---- */

extern char rep_outs_insn[];

static volatile unsigned long tick_rip, tick_rcx;
static volatile unsigned int ticks;

static void timer_tick(unsigned int port, struct xt_regs *regs)
{
    (void)port;
    if ( regs->rip == (unsigned long)rep_outs_insn && !ticks++ )
    {
        tick_rip = regs->rip;
        tick_rcx = regs->rcx;
    }
}

extern char rep_outs_insn[];

static void rep_checks(void)
{
    unsigned long src = XT_VIRT_BASE + (1UL << 20), count, rcx, rsi;
    uint64_t t0;
    int port, vec;

    count = xt_initial_mapping_end() - src;
    if ( count > (512UL << 10) )
        count = 512UL << 10;
    set_iopl(1);
    port = xt_bind_virq(VIRQ_TIMER, timer_tick);
    ticks = 0;
    xt_events_enable();
    HYPERVISOR_set_timer_op(xt_system_time() + 1000000);
    rcx = count;
    rsi = src;
    xt_fault_clear();
    t0 = xt_system_time();
    asm volatile ( ".globl rep_outs_insn\n"
                   "rep_outs_insn:\n\t"
                   "1: rep outsb; 2:\n\t" XT_EXTABLE(1b, 2b)
                   : "+S" (rsi), "+c" (rcx) : "d" (0x80) : "memory" );
    vec = xt_fault_vec();
    t0 = xt_system_time() - t0;
    xt_events_disable();
    if ( port >= 0 )
        xt_unbind(port);
    set_iopl(0);
    xt_check("rep_outs_completes", vec == -1 && rcx == 0 &&
             rsi == src + count, "vec %d rcx %#lx rsi %#lx count %#lx",
             vec, rcx, rsi, count);
    xt_check("rep_outs_preemptible", ticks > 0 &&
             tick_rip == (unsigned long)rep_outs_insn && tick_rcx > 0 &&
             tick_rcx < count, "ticks %u rip %#lx (insn %p) rcx %#lx of %#lx"
             " in %lu us", ticks, tick_rip, rep_outs_insn, tick_rcx, count,
             (unsigned long)(t0 / 1000));
}

XTEST(iopl, 21)
{
    xt_traps_init();
    xt_events_init();
    ss_checks();            /* 7 */
    arch_iopl_checks();     /* 12 */
    rep_checks();           /* 2 */
}
