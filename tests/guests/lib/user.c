/*
 * user.c: guest user mode for the test kernels.
 *
 * The user L4 maps only what user code may touch: the .text.xtuser /
 * .data.xtuser pages (at their link addresses, through its own L3/L2/L1
 * for the top 2 GiB), the user stacks, and L4 slot 0 (XT_USER_HEAP),
 * whose L3 the kernel L4 shares so that the kernel sees user memory as
 * Linux's does.  Everything else of the kernel is absent from it: a user
 * access there faults.
 *
 * xt_run_user() enters user mode through the iret hypercall (CS RPL 3);
 * the user's exit system call, or a fault nobody handles, comes back to
 * it through a longjmp from the kernel stack given to stack_switch.
 */
#include "xtpv.h"

extern char _xtuser_start[], _xtuser_end[];
extern char xt_user_trampoline[];

uint64_t xt_user_l4_mfn;
xt_sys_handler_t xt_sys_handler;
unsigned long xt_sysret_flags;

#define USER_STACK_PAGES 4
#define PTE_USER_RW (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | \
                     _PAGE_ACCESSED | _PAGE_DIRTY)

static uint64_t *user_l4, *user_l3_hi, *user_l2_hi, *heap_l3, *heap_l2,
    *heap_l1;
static uint64_t *user_l1s[512];
static void *tables[64];
static unsigned int nr_tables;
static unsigned long user_stack_top;

static bool user_active;
static struct xt_jmpbuf user_jb;
static long user_ret;
static uint8_t user_saved_mask;

static void *new_table(void)
{
    void *t = xt_alloc_page();

    tables[nr_tables++] = t;
    return t;
}

static uint64_t table_entry(void *t)
{
    return (xt_virt_to_mfn(t) << 12) | PTE_USER_RW;
}

/* Map one page of ours at its own VA in the (still writable) user tables. */
static void user_map_own(unsigned long va)
{
    unsigned int l2 = L2_IDX(va);

    if ( L4_IDX(va) != 511 || L3_IDX(va) != 510 )
    {
        xt_error("user page %#lx outside the top 1 GiB", va);
        return;
    }
    if ( !user_l1s[l2] )
    {
        user_l1s[l2] = new_table();
        user_l2_hi[l2] = table_entry(user_l1s[l2]);
    }
    user_l1s[l2][L1_IDX(va)] = (xt_virt_to_mfn((void *)va) << 12) |
        PTE_USER_RW;
}

long xt_user_init(void)
{
    unsigned long va;
    unsigned int i;
    long rc;

    if ( xt_user_l4_mfn )
        return 0;
    xt_traps_init();

    user_l4 = new_table();
    user_l3_hi = new_table();
    user_l2_hi = new_table();
    heap_l3 = new_table();
    user_l4[511] = table_entry(user_l3_hi);
    user_l3_hi[510] = table_entry(user_l2_hi);
    user_l4[0] = table_entry(heap_l3);
    heap_l2 = new_table();
    heap_l1 = new_table();
    heap_l3[L3_IDX(XT_USER_HEAP)] = table_entry(heap_l2);
    heap_l2[L2_IDX(XT_USER_HEAP)] = table_entry(heap_l1);

    for ( va = (unsigned long)_xtuser_start; va < (unsigned long)_xtuser_end;
          va += PAGE_SIZE )
        user_map_own(va);
    for ( i = 0; i < USER_STACK_PAGES * 2; i++ )
    {
        va = (unsigned long)xt_alloc_page();
        user_map_own(va);
        if ( i == USER_STACK_PAGES - 1 || i == 2 * USER_STACK_PAGES - 1 )
            user_stack_top = va + PAGE_SIZE;
    }

    for ( i = 0; i < nr_tables; i++ )
    {
        rc = xt_make_ro(tables[i]);
        if ( rc )
            return rc;
    }
    rc = xt_mmuext1(MMUEXT_PIN_L4_TABLE, xt_virt_to_mfn(user_l4), 0);
    if ( rc )
        return rc;
    /* The kernel shares the user heap's L3. */
    rc = xt_mmu_update1(xt_pt_entry_maddr(0, 4), table_entry(heap_l3));
    if ( rc )
        return rc;
    rc = xt_mmuext1(MMUEXT_NEW_USER_BASEPTR, xt_virt_to_mfn(user_l4), 0);
    if ( rc )
        return rc;
    xt_user_l4_mfn = xt_virt_to_mfn(user_l4);
    return 0;
}

/* Top of the second user stack (the first is xt_user_stack_top()). */
unsigned long xt_user_stack_top(unsigned int which)
{
    return user_stack_top - (which ? 0 : USER_STACK_PAGES * PAGE_SIZE);
}

/* A user frame that runs fn(arg) on user stack 'which'. */
void xt_user_frame(struct xt_regs *r, long (*fn)(long), long arg,
                   unsigned int which)
{
    memset(r, 0, sizeof(*r));
    r->rip = (unsigned long)xt_user_trampoline;
    r->cs = FLAT_USER_CS;
    r->ss = FLAT_USER_SS;
    r->rflags = X86_EFLAGS_IF | 0x2;
    r->rsp = xt_user_stack_top(which) - 8;   /* as after a call */
    r->rdi = arg;
    r->rsi = (unsigned long)fn;
}

static void __attribute__((noreturn)) user_leave(long ret)
{
    user_ret = ret;
    user_active = false;
    *xt_upcall_mask() = user_saved_mask;
    xt_longjmp(&user_jb, 1);
}

static bool user_syscall(struct xt_regs *regs)
{
    if ( !user_active )
        return false;
    if ( regs->rax == XT_SYS_exit )
        user_leave(regs->rdi);
    regs->rax = xt_sys_handler ? xt_sys_handler(regs) : -XEN_ENOSYS;
    xt_iret_to(regs, xt_sysret_flags);
}

bool xt_user_fault(struct xt_regs *regs)
{
    if ( !user_active || (regs->cs & 3) != 3 )
        return false;
    xt_last_fault.vector = regs->vector;
    xt_last_fault.error_code = regs->error_code;
    xt_last_fault.rip = regs->rip;
    xt_last_fault.cr2 = regs->vector == X86_EXC_PF ?
        xt_vcpu_info()->arch.cr2 : 0;
    xt_last_fault.cs = regs->cs;
    xt_last_fault.valid = true;
    user_leave(XT_USER_KILLED | regs->vector);
}

long xt_run_user_frame(struct xt_regs *frame)
{
    struct xt_regs r = *frame;

    if ( xt_user_init() )
        return -1;
    xt_syscall_hook = user_syscall;
    user_saved_mask = *xt_upcall_mask();
    if ( xt_setjmp(&user_jb) == 0 )
    {
        user_active = true;
        xt_iret_to(&r, 0);
    }
    return user_ret;
}

long xt_run_user(long (*fn)(long), long arg)
{
    struct xt_regs r;

    xt_user_frame(&r, fn, arg, 0);
    return xt_run_user_frame(&r);
}
