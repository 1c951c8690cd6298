/*
 * traps.c: the test kernels' trap table, exception fixups, callbacks and
 * the guard around each test body.
 *
 * Every vector 0-255 has a stub (entry.S).  Vectors 0-31 are installed
 * with DPL 0 except #BP and #OF (DPL 3, as int3/into need); 0x20-0xff are
 * left to the tests.  A delivered event goes, in order, to a per-vector
 * hook, to the exception table (XT_EXTABLE: record it in xt_last_fault,
 * resume at the fixup), to the user-mode killer when it came from guest
 * user mode, else it is unexpected: the running test is aborted with an
 * ERROR through the guard, or the domain is crashed if there is none.
 */
#include "xtpv.h"
#include "smp.h"

struct xt_extable_entry
{
    uint64_t fault, fixup;
};
extern const struct xt_extable_entry __start_xt_extable[];
extern const struct xt_extable_entry __stop_xt_extable[];
extern const uint64_t xt_entry_table[256];


struct xt_fault xt_last_fault;
unsigned long xt_nr_traps[256];
xt_trap_hook_t xt_trap_hooks[256];
xt_trap_hook_t xt_event_hook, xt_syscall_hook, xt_failsafe_hook;

/* Defined in user.c: a fault from user mode nobody handled. */
bool xt_user_fault(struct xt_regs *regs);

static struct trap_info trap_table[257];
const struct trap_info *xt_default_trap_table = trap_table;
static bool traps_ready;

static struct xt_jmpbuf guard;
static bool guard_armed;
static uint8_t guard_mask;

/* Stack for events and traps that arrive in guest user mode. */
static uint8_t kernel_stack[16384] __attribute__((aligned(16)));

unsigned long xt_trap_entry(unsigned int vector)
{
    return xt_entry_table[vector & 255];
}

void xt_trap_table_fill(struct trap_info *ti, unsigned int nr)
{
    unsigned int v;

    for ( v = 0; v < nr && v < 256; v++ )
    {
        ti[v].vector = v;
        ti[v].flags = (v == X86_EXC_BP || v == X86_EXC_OF) ? 3 : 0;
        ti[v].cs = FLAT_KERNEL_CS;
        ti[v].address = xt_entry_table[v];
    }
    ti[v].address = 0;
}

uint8_t *xt_upcall_mask(void)
{
    return &xt_vcpu_info()->evtchn_upcall_mask;
}

long xt_register_callback(unsigned int type, unsigned long addr,
                          unsigned int flags)
{
    struct callback_register cb = {
        .type = type, .flags = flags, .address = addr,
    };

    return HYPERVISOR_callback_op(CALLBACKOP_register, &cb);
}

void xt_traps_init(void)
{
    long rc;

    if ( traps_ready )
        return;
    xt_mm_init();
    xt_events_init();
    xt_trap_table_fill(trap_table, 32);
    rc = HYPERVISOR_set_trap_table(trap_table);
    if ( rc )
        xt_error("set_trap_table: %ld", rc);
    rc = HYPERVISOR_stack_switch(FLAT_KERNEL_SS,
                                 (unsigned long)kernel_stack +
                                 sizeof(kernel_stack));
    if ( rc )
        xt_error("stack_switch: %ld", rc);
    rc = xt_register_callback(CALLBACKTYPE_event,
                              (unsigned long)xt_event_entry, 0);
    if ( rc )
        xt_error("register event callback: %ld", rc);
    rc = xt_register_callback(CALLBACKTYPE_failsafe,
                              (unsigned long)xt_failsafe_entry,
                              CALLBACKF_mask_events);
    if ( rc )
        xt_error("register failsafe callback: %ld", rc);
    rc = xt_register_callback(CALLBACKTYPE_syscall,
                              (unsigned long)xt_syscall_entry,
                              CALLBACKF_mask_events);
    if ( rc )
        xt_error("register syscall callback: %ld", rc);
    traps_ready = true;
}

static const struct xt_extable_entry *extable_find(uint64_t rip)
{
    const struct xt_extable_entry *e;

    /* A fault at the instruction first; then a trap that lands after it. */
    for ( e = __start_xt_extable; e < __stop_xt_extable; e++ )
        if ( e->fault == rip )
            return e;
    for ( e = __start_xt_extable; e < __stop_xt_extable; e++ )
        if ( e->fixup == rip )
            return e;
    return NULL;
}

static void record(struct xt_regs *regs)
{
    xt_last_fault.vector = regs->vector;
    xt_last_fault.error_code = regs->error_code;
    xt_last_fault.rip = regs->rip;
    xt_last_fault.cr2 = regs->vector == X86_EXC_PF ?
        xt_vcpu_info()->arch.cr2 : 0;
    xt_last_fault.cs = regs->cs;
    xt_last_fault.rflags = regs->rflags;
    xt_last_fault.rsp = regs->rsp;
    xt_last_fault.valid = true;
}

static void __attribute__((noreturn)) unexpected(struct xt_regs *regs)
{
    xt_smp_secondary_fault(regs);     /* a secondary VCPU: ends its call */
    printf("xtest: unexpected vector %#lx err %#lx at rip %#lx cs %#lx "
           "rsp %#lx cr2 %#lx\n", regs->vector, regs->error_code, regs->rip,
           regs->cs, regs->rsp, xt_vcpu_info()->arch.cr2);
    if ( guard_armed )
    {
        xt_error("unexpected vector %#lx at %#lx: test aborted",
                 regs->vector, regs->rip);
        xt_longjmp(&guard, 1);
    }
    xt_shutdown(SHUTDOWN_crash);
}

void xt_trap_dispatch(struct xt_regs *regs)
{
    const struct xt_extable_entry *e;
    unsigned int vec = regs->vector;

    if ( vec == XT_VEC_EVENT )
    {
        if ( xt_event_hook && xt_event_hook(regs) )
            return;
        unexpected(regs);
    }
    if ( vec == XT_VEC_SYSCALL )
    {
        if ( xt_syscall_hook && xt_syscall_hook(regs) )
            return;
        if ( xt_user_fault(regs) )
            return;
        unexpected(regs);
    }
    if ( vec == XT_VEC_FAILSAFE )
    {
        printf("xtest: failsafe callback: ds %#lx es %#lx fs %#lx gs %#lx\n",
               xt_failsafe_segs[0], xt_failsafe_segs[1], xt_failsafe_segs[2],
               xt_failsafe_segs[3]);
        if ( xt_failsafe_hook && xt_failsafe_hook(regs) )
            return;
        unexpected(regs);
    }

    xt_nr_traps[vec & 255]++;
    if ( xt_trap_hooks[vec & 255] && xt_trap_hooks[vec & 255](regs) )
        return;
    e = extable_find(regs->rip);
    if ( e )
    {
        record(regs);
        regs->rip = e->fixup;
        return;
    }
    if ( (regs->cs & 3) == 3 && xt_user_fault(regs) )
        return;
    unexpected(regs);
}

void xt_call_guarded(void (*fn)(void))
{
    if ( !traps_ready )
    {
        fn();
        return;
    }
    guard_mask = *xt_upcall_mask();
    if ( xt_setjmp(&guard) == 0 )
    {
        guard_armed = true;
        fn();
    }
    else
        *xt_upcall_mask() = guard_mask;
    guard_armed = false;
}

int xt_probe_read(unsigned long va, uint64_t *val)
{
    uint64_t v = 0;

    xt_fault_clear();
    asm volatile ( "1: mov (%[p]), %[v]; 2:\n\t"
                   XT_EXTABLE(1b, 2b)
                   : [v] "+r" (v) : [p] "r" (va) : "memory" );
    *val = v;
    return xt_fault_vec();
}

int xt_probe_write(unsigned long va, uint64_t val)
{
    xt_fault_clear();
    asm volatile ( "1: mov %[v], (%[p]); 2:\n\t"
                   XT_EXTABLE(1b, 2b)
                   :: [v] "r" (val), [p] "r" (va) : "memory" );
    return xt_fault_vec();
}

int xt_probe_rdmsr(uint32_t msr, uint64_t *val)
{
    uint32_t lo = 0, hi = 0;

    xt_fault_clear();
    asm volatile ( "1: rdmsr; 2:\n\t"
                   XT_EXTABLE(1b, 2b)
                   : "+a" (lo), "+d" (hi) : "c" (msr) : "memory" );
    *val = ((uint64_t)hi << 32) | lo;
    return xt_fault_vec();
}

int xt_probe_wrmsr(uint32_t msr, uint64_t val)
{
    xt_fault_clear();
    asm volatile ( "1: wrmsr; 2:\n\t"
                   XT_EXTABLE(1b, 2b)
                   :: "a" ((uint32_t)val), "d" ((uint32_t)(val >> 32)),
                      "c" (msr) : "memory" );
    return xt_fault_vec();
}
