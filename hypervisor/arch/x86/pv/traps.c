/*
 * Guest-originated entries and the PV CPU model.
 *
 * Guest kernel and guest user both run in ring 3; v->kernel_mode tells
 * them apart. An exception, a system call from user mode or an event is
 * delivered by a bounce frame built on the guest kernel stack (Xen's
 * layout: rcx, r11, [error], rip, cs|saved upcall mask << 32, rflags, rsp,
 * ss), switching to kernel mode (swapgs, kernel L4, stack_switch's stack)
 * first when the guest was in user mode. The iret hypercall undoes that.
 * Every exit to the guest first delivers a pending, unmasked event upcall.
 *
 * Locking: runs under the hypervisor lock (docs/smp.md) and takes no
 * lock of its own.
 */
#include <xenia/lib.h>
#include <xenia/arch.h>
#include <xenia/page_bits.h>
#include <xenia/errno.h>
#include <xenia/processor.h>
#include <xenia/sched.h>
#include <xenia/hypercall.h>
#include <xenia/guest_access.h>
#include <xenia/pv_traps.h>
#include <xenia/pv_mm.h>
#include <public/xen.h>
#include <public/callback.h>
#include <public/nmi.h>
#include "../x86.h"

#define TI_MASK_EVENTS  4
#define PFEC_USER       (1u << 2)
#define EFLAGS_ON_TRAP  (X86_EFLAGS_AC | X86_EFLAGS_VM | X86_EFLAGS_RF | \
                         X86_EFLAGS_NT | X86_EFLAGS_TF)

void show_registers(const struct cpu_regs *regs);

void __noreturn vcpu_crash(struct cpu_regs *regs, const char *fmt, ...)
{
    struct vcpu *v = current;
    va_list ap;
    char buf[160];

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    printk(XENLOG_ERR "d%uv%u: %s\n", v->domain->domain_id, v->vcpu_id, buf);
    show_registers(regs);
    domain_crash(v->domain, "vcpu#%u: %s", v->vcpu_id, buf);
}

void pv_toggle_guest_mode(struct vcpu *v)
{
    __asm__ __volatile__ ( "swapgs" ::: "memory" );
    v->kernel_mode = !v->kernel_mode;
    write_cr3((v->kernel_mode ? v->guest_table : v->guest_table_user)
              << PAGE_SHIFT);
}

/*
 * Builds the bounce frame and points the vCPU at handler. mask_events sets
 * the upcall mask (interrupt-gate semantics).
 */
static void bounce(struct cpu_regs *regs, uint64_t handler, bool has_error,
                   uint32_t error, bool mask_events)
{
    struct vcpu *v = current;
    vcpu_info_t *vi = v->vcpu_info;
    uint64_t frame[8], sp, cs = regs->cs;
    uint8_t saved_mask = vi->evtchn_upcall_mask;
    unsigned int n = 0;

    if ( !handler )
        vcpu_crash(regs, "bounce to a null handler");
    if ( !v->kernel_mode )
    {
        pv_toggle_guest_mode(v);
        sp = v->kernel_sp;
    }
    else
    {
        sp = regs->rsp;
        cs &= ~3UL;                         /* tell the guest: kernel context */
    }
    sp &= ~0xfUL;
    if ( !guest_range_ok(sp - 8 * sizeof(uint64_t), 8 * sizeof(uint64_t)) )
        vcpu_crash(regs, "bounce frame stack %#lx is not guest memory", sp);

    frame[n++] = regs->rcx;
    frame[n++] = regs->r11;
    if ( has_error )
        frame[n++] = error;
    frame[n++] = regs->rip;
    frame[n++] = (cs & 0xffff) | ((uint64_t)saved_mask << 32);
    frame[n++] = (regs->rflags & ~(X86_EFLAGS_IF | X86_EFLAGS_IOPL)) |
                 (saved_mask ? 0 : X86_EFLAGS_IF) | pv_frame_iopl(v);
    frame[n++] = regs->rsp;
    frame[n++] = regs->ss;
    sp -= n * sizeof(uint64_t);
    if ( copy_to_guest(sp, frame, n * sizeof(uint64_t)) )
        vcpu_crash(regs, "fault writing a bounce frame at %#lx", sp);

    if ( mask_events )
        vi->evtchn_upcall_mask = 1;
    regs->rflags &= ~EFLAGS_ON_TRAP;
    regs->rflags |= X86_EFLAGS_IF;
    regs->rsp = sp;
    regs->ss = FLAT_KERNEL_SS;
    regs->cs = FLAT_KERNEL_CS;
    regs->rip = handler;
}

void pv_inject_exception(struct cpu_regs *regs, unsigned int vec,
                         bool has_error, uint32_t error)
{
    struct vcpu *v = current;

    if ( !v->trap_addr[vec] )
        vcpu_crash(regs, "unhandled %s (vector %u, error %#x) at rip %#lx: "
                   "no handler in the trap table", trap_name(vec), vec, error,
                   regs->rip);
    bounce(regs, v->trap_addr[vec], has_error, error,
           v->trap_flags[vec] & TI_MASK_EVENTS);
}

void pv_inject_gp(struct cpu_regs *regs, uint32_t error)
{
    pv_inject_exception(regs, TRAP_gp_fault, true, error);
}

void pv_inject_page_fault(struct cpu_regs *regs, unsigned long addr,
                          uint32_t error)
{
    struct vcpu *v = current;

    /* The U bit says guest user vs guest kernel, not the ring. */
    if ( v->kernel_mode )
        error &= ~PFEC_USER;
    else
        error |= PFEC_USER;
    v->cr2 = addr;
    v->vcpu_info->arch.cr2 = addr;
    pv_inject_exception(regs, TRAP_page_fault, true, error);
}

static bool has_error_code(unsigned int vec)
{
    return vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21;
}

void pv_guest_exception(struct cpu_regs *regs)
{
    struct vcpu *v;
    unsigned int vec = regs->entry_vector;

    hv_lock();
    v = current;

    switch ( vec )
    {
    case TRAP_nmi:
    case TRAP_machine_check:
        printk(XENLOG_WARNING "%s while a guest ran: ignored\n", trap_name(vec));
        return;
    case TRAP_page_fault:
    {
        unsigned long addr = read_cr2();

        if ( pv_ptwr_fault(regs, addr) )
            return;
        pv_inject_page_fault(regs, addr, regs->error_code);
        return;
    }
    case TRAP_gp_fault:
        if ( pv_emulate_gp(regs) )
            return;
        break;
    case TRAP_invalid_op:
        if ( pv_emulate_ud(regs) )
            return;
        break;
    case TRAP_no_device:
        /* Hardware TS is only set while the guest's virtual TS is. */
        __asm__ __volatile__ ( "clts" );
        if ( !v->fpu_ts )
            return;
        v->fpu_ts = false;
        break;
    }
    pv_inject_exception(regs, vec, has_error_code(vec), regs->error_code);
}

/* Delivers a pending, unmasked event upcall on the way out. */
static void deliver_events(struct cpu_regs *regs)
{
    struct vcpu *v = current;
    vcpu_info_t *vi = v->vcpu_info;

    if ( !vi->evtchn_upcall_pending || vi->evtchn_upcall_mask ||
         !v->callback[CB_EVENT] )
        return;
    bounce(regs, v->callback[CB_EVENT], false, 0, true);
}

void do_syscall_entry(struct cpu_regs *regs)
{
    struct vcpu *v;

    hv_lock();
    v = current;

    if ( regs->entry_vector == ENTRY_SYSCALL && v->kernel_mode )
    {
        regs->rax = hypercall_dispatch(regs->rax, regs->rdi, regs->rsi,
                                       regs->rdx, regs->r10, regs->r8,
                                       regs->r9);
        return;
    }
    /* A system call from guest user mode: bounce to the guest kernel. */
    {
        enum pv_callback cb = regs->entry_vector == ENTRY_SYSCALL
                              ? CB_SYSCALL : CB_SYSCALL32;

        if ( !v->callback[cb] )
        {
            /* No callback: #UD at the syscall instruction, as Xen. */
            regs->rip -= 2;
            pv_inject_exception(regs, TRAP_invalid_op, false, 0);
            return;
        }
        regs->rflags &= ~X86_EFLAGS_DF;
        bounce(regs, v->callback[cb], false, 0, v->callback_masks[cb]);
    }
}

/* The guest's IRET frame could not be loaded: failsafe callback or crash. */
void handle_guest_iret_fault(struct cpu_regs *regs)
{
    struct vcpu *v;
    uint64_t frame[11], sp;
    uint16_t ds, es, fs, gs;

    if ( !hv_lock_held() )
        hv_lock();
    v = current;

    if ( !v->callback[CB_FAILSAFE] )
        vcpu_crash(regs, "bad return frame (rip %#lx cs %#lx ss %#lx)",
                   regs->rip, regs->cs, regs->ss);
    __asm__ __volatile__ ( "mov %%ds, %0; mov %%es, %1; mov %%fs, %2; "
                           "mov %%gs, %3" : "=r" (ds), "=r" (es), "=r" (fs),
                           "=r" (gs) );
    if ( !v->kernel_mode )
    {
        pv_toggle_guest_mode(v);
        sp = v->kernel_sp;
    }
    else
        sp = regs->rsp;
    sp = (sp & ~0xfUL) - sizeof(frame);
    frame[0] = regs->rcx;
    frame[1] = regs->r11;
    frame[2] = ds;
    frame[3] = es;
    frame[4] = fs;
    frame[5] = gs;
    frame[6] = regs->rip;
    frame[7] = (regs->cs & 0xffff) |
               ((uint64_t)v->vcpu_info->evtchn_upcall_mask << 32);
    frame[8] = regs->rflags;
    frame[9] = regs->rsp;
    frame[10] = regs->ss;
    if ( copy_to_guest(sp, frame, sizeof(frame)) )
        vcpu_crash(regs, "fault writing the failsafe frame");
    if ( v->callback_masks[CB_FAILSAFE] )
        v->vcpu_info->evtchn_upcall_mask = 1;
    regs->rsp = sp;
    regs->ss = FLAT_KERNEL_SS;
    regs->cs = FLAT_KERNEL_CS;
    regs->rip = v->callback[CB_FAILSAFE];
    regs->rflags = (regs->rflags & ~EFLAGS_ON_TRAP) | X86_EFLAGS_IF;
}

void guest_exit_work(void)
{
    /* Returns with the lock held and a runnable vCPU loaded. */
    sched_exit_work();
    deliver_events(guest_regs());
    hv_unlock();
}

/* ---- Hypercalls ---- */

long do_iret(void)
{
    struct cpu_regs *regs = guest_regs();
    struct vcpu *v = current;
    struct iret_context c;

    if ( copy_from_guest(&c, regs->rsp, sizeof(c)) )
        vcpu_crash(regs, "fault reading the iret context at %#lx", regs->rsp);
    if ( (c.cs & 3) == 3 )
    {
        if ( !v->guest_table_user )
            vcpu_crash(regs, "iret to user mode with no user page tables");
        pv_toggle_guest_mode(v);
    }
    regs->rip = c.rip;
    regs->cs = c.cs | 3;
    regs->rflags = (c.rflags & ~(X86_EFLAGS_IOPL | X86_EFLAGS_VM)) |
                   X86_EFLAGS_IF;
    pv_iret_iopl(v, c.rflags);
    regs->rsp = c.rsp;
    regs->ss = c.ss | 3;
    if ( c.flags & VGCF_in_syscall )
    {
        /* Returned as SYSRET would: rcx = rip, r11 = rflags. */
        regs->rcx = regs->rip;
        regs->r11 = regs->rflags;
    }
    else
    {
        regs->r11 = c.r11;
        regs->rcx = c.rcx;
    }
    v->vcpu_info->evtchn_upcall_mask = !(c.rflags & X86_EFLAGS_IF);
    return c.rax;
}

long do_set_trap_table(vaddr_t list)
{
    struct vcpu *v = current;

    if ( !list )
    {
        memset(v->trap_addr, 0, sizeof(v->trap_addr));
        memset(v->trap_flags, 0, sizeof(v->trap_flags));
        return 0;
    }
    for ( ;; list += sizeof(trap_info_t) )
    {
        trap_info_t t;

        if ( copy_from_guest(&t, list, sizeof(t)) )
            return -EFAULT;
        if ( !t.address )
            return 0;
        if ( !is_canonical_address(t.address) )
            return -EINVAL;
        v->trap_addr[t.vector] = t.address;
        v->trap_flags[t.vector] = t.flags;
    }
}

static long register_callback(struct vcpu *v, const callback_register_t *r)
{
    static const int8_t slot[] = {
        [CALLBACKTYPE_event] = CB_EVENT, [CALLBACKTYPE_failsafe] = CB_FAILSAFE,
        [CALLBACKTYPE_syscall] = CB_SYSCALL, [CALLBACKTYPE_sysenter_deprecated] = -1,
        [CALLBACKTYPE_nmi] = CB_NMI, [CALLBACKTYPE_sysenter] = CB_SYSENTER,
        [6] = -1, [CALLBACKTYPE_syscall32] = CB_SYSCALL32,
    };
    int s;

    if ( !is_canonical_address(r->address) )
        return -EINVAL;
    if ( r->type >= ARRAY_SIZE(slot) || (s = slot[r->type]) < 0 )
        return -ENOSYS;
    if ( s == CB_NMI )
    {
        /* The NMI callback is trap-table vector 2. */
        v->trap_addr[TRAP_nmi] = r->address;
        return 0;
    }
    v->callback[s] = r->address;
    v->callback_masks[s] = s == CB_EVENT || (r->flags & CALLBACKF_mask_events);
    return 0;
}

long do_callback_op(unsigned long cmd, vaddr_t arg)
{
    switch ( cmd )
    {
    case CALLBACKOP_register:
    {
        callback_register_t r;

        if ( copy_from_guest(&r, arg, sizeof(r)) )
            return -EFAULT;
        return register_callback(current, &r);
    }
    case CALLBACKOP_unregister:
    {
        callback_unregister_t u;

        if ( copy_from_guest(&u, arg, sizeof(u)) )
            return -EFAULT;
        switch ( u.type )
        {
        case CALLBACKTYPE_event:
        case CALLBACKTYPE_failsafe:
        case CALLBACKTYPE_syscall:
        case CALLBACKTYPE_syscall32:
        case CALLBACKTYPE_sysenter:
            return -EINVAL;
        case CALLBACKTYPE_nmi:
            current->trap_addr[TRAP_nmi] = 0;
            return 0;
        default:
            return -ENOSYS;
        }
    }
    default:
        return -ENOSYS;
    }
}

long do_set_callbacks(vaddr_t event, vaddr_t failsafe, vaddr_t syscall)
{
    callback_register_t r[3] = {
        { .type = CALLBACKTYPE_event, .address = event },
        { .type = CALLBACKTYPE_failsafe, .address = failsafe },
        { .type = CALLBACKTYPE_syscall, .address = syscall },
    };
    unsigned int i;
    long rc;

    for ( i = 0; i < 3; i++ )
        if ( (rc = register_callback(current, &r[i])) )
            return rc;
    return 0;
}

long do_nmi_op(unsigned long cmd, vaddr_t arg)
{
    xennmi_callback_t cb;

    switch ( cmd )
    {
    case XENNMI_register_callback:
        if ( copy_from_guest(&cb, arg, sizeof(cb)) )
            return -EFAULT;
        if ( !is_canonical_address(cb.handler_address) )
            return -EINVAL;
        current->trap_addr[TRAP_nmi] = cb.handler_address;
        return 0;
    case XENNMI_unregister_callback:
        current->trap_addr[TRAP_nmi] = 0;
        return 0;
    default:
        return -ENOSYS;
    }
}

long do_stack_switch(unsigned long ss, unsigned long sp)
{
    struct vcpu *v = current;

    v->kernel_ss = (ss & 3) ? ss : (ss | 3);
    v->kernel_sp = sp;
    return 0;
}

long do_set_segment_base(unsigned long which, unsigned long base)
{
    switch ( which )
    {
    case SEGBASE_FS:
        if ( !is_canonical_address(base) )
            return -EINVAL;
        wrmsr(MSR_FS_BASE, base);
        return 0;
    case SEGBASE_GS_USER:
        if ( !is_canonical_address(base) )
            return -EINVAL;
        wrmsr(MSR_SHADOW_GS_BASE, base);
        return 0;
    case SEGBASE_GS_KERNEL:
        if ( !is_canonical_address(base) )
            return -EINVAL;
        wrmsr(MSR_GS_BASE, base);
        return 0;
    case SEGBASE_GS_USER_SEL:
    {
        unsigned int sel = base & 0xffff;

        /* Load the user %gs selector with the kernel GS base parked. */
        if ( sel & ~3u )
            sel |= 3;
        else
            sel = 0;
        __asm__ __volatile__ (
            "swapgs\n"
            "1: mov %k0, %%gs\n"
            "2: swapgs\n"
            ".section .fixup, \"ax\"\n"
            "3: xor %k0, %k0\n"
            "   jmp 1b\n"
            ".previous\n"
            ".section __ex_table, \"a\"\n"
            "   .quad 1b, 3b\n"
            ".previous"
            : "+r" (sel) :: "memory" );
        return 0;
    }
    default:
        return -EINVAL;
    }
}

long do_fpu_taskswitch(unsigned long set)
{
    struct vcpu *v = current;

    v->fpu_ts = set != 0;
    if ( set )
        write_cr0(read_cr0() | X86_CR0_TS);
    else
        __asm__ __volatile__ ( "clts" );
    return 0;
}

/* ---- Debug registers (Xen 4.17's rules) ---- */

#define DR_STATUS_RESERVED_ZERO  0x1000UL
#define DR_STATUS_RESERVED_ONE   0xffff0ff0UL
#define DR_CONTROL_RESERVED_ZERO 0xd800UL
#define DR_CONTROL_RESERVED_ONE  0x400UL
#define DR_GENERAL_DETECT        0x2000UL
#define DR7_ACTIVE_MASK          0xffUL
#define X86_CR4_DE               (1UL << 3)

/* Loads one hardware debug register (0-3, 6, 7). */
void write_debugreg(unsigned int reg, unsigned long v)
{
    switch ( reg )
    {
    case 0: __asm__ __volatile__ ( "mov %0, %%db0" :: "r" (v) ); break;
    case 1: __asm__ __volatile__ ( "mov %0, %%db1" :: "r" (v) ); break;
    case 2: __asm__ __volatile__ ( "mov %0, %%db2" :: "r" (v) ); break;
    case 3: __asm__ __volatile__ ( "mov %0, %%db3" :: "r" (v) ); break;
    case 6: __asm__ __volatile__ ( "mov %0, %%db6" :: "r" (v) ); break;
    case 7: __asm__ __volatile__ ( "mov %0, %%db7" :: "r" (v) ); break;
    }
}

int pv_check_debugreg(const struct vcpu *v, unsigned int *reg,
                      unsigned long *value)
{
    unsigned int i;

    switch ( *reg )
    {
    case 0: case 1: case 2: case 3:
        /* One address, as Xen's __addr_ok: not the range DR7 may watch. */
        if ( !guest_range_ok(*value, 1) )
            return -EPERM;
        return 0;
    case 4:
        if ( v->cr4 & X86_CR4_DE )
            return -ENODEV;
        /* fall through */
    case 6:
        if ( *value != (uint32_t)*value )
            return -EINVAL;
        *value = (*value & ~DR_STATUS_RESERVED_ZERO) | DR_STATUS_RESERVED_ONE;
        *reg = 6;
        return 0;
    case 5:
        if ( v->cr4 & X86_CR4_DE )
            return -ENODEV;
        /* fall through */
    case 7:
        if ( *value != (uint32_t)*value )
            return -EINVAL;
        *value = (*value & ~DR_CONTROL_RESERVED_ZERO) |
                 DR_CONTROL_RESERVED_ONE;
        if ( *value & DR_GENERAL_DETECT )
            return -EPERM;
        if ( *value & DR7_ACTIVE_MASK )
            for ( i = 16; i < 32; i += 4 )
                if ( ((*value >> i) & 3) == 2 && !(v->cr4 & X86_CR4_DE) )
                    return -EPERM;
        *reg = 7;
        return 0;
    default:
        return -ENODEV;
    }
}

void pv_write_debugreg(struct vcpu *v, unsigned int reg, unsigned long value)
{
    v->dr[reg] = value;
    if ( v == current )
        write_debugreg(reg, value);
}

int pv_set_debugreg(struct vcpu *v, unsigned int reg, unsigned long value)
{
    int rc = pv_check_debugreg(v, &reg, &value);

    if ( !rc )
        pv_write_debugreg(v, reg, value);
    return rc;
}

long pv_get_debugreg(struct vcpu *v, unsigned int reg)
{
    switch ( reg )
    {
    case 0: case 1: case 2: case 3: case 6: case 7:
        return v->dr[reg];
    case 4:
        return v->cr4 & X86_CR4_DE ? -ENODEV : (long)v->dr[6];
    case 5:
        return v->cr4 & X86_CR4_DE ? -ENODEV : (long)v->dr[7];
    default:
        return -ENODEV;
    }
}

long do_set_debugreg(unsigned long reg, unsigned long value)
{
    return pv_set_debugreg(current, reg, value);
}

long do_get_debugreg(unsigned long reg)
{
    return pv_get_debugreg(current, reg);
}

/*
 * The hypercall page: 128 stubs of 32 bytes. Stub i saves rcx and r11,
 * loads i into eax and executes SYSCALL, then restores them. The iret
 * stub (23) does not return: it pushes rax/r11/rcx for the iret frame.
 */
void hypercall_page_fill(void *page)
{
    uint8_t *p = page;
    unsigned int i;

    memset(page, 0xcc, PAGE_SIZE);                  /* int3 padding */
    for ( i = 0; i < 128; i++, p += 32 )
    {
        p[0] = 0x51;                                /* push %rcx */
        p[1] = 0x41; p[2] = 0x53;                   /* push %r11 */
        p[3] = 0xb8;                                /* mov $i, %eax */
        memcpy(&p[4], &i, 4);
        p[8] = 0x0f; p[9] = 0x05;                   /* syscall */
        p[10] = 0x41; p[11] = 0x5b;                 /* pop %r11 */
        p[12] = 0x59;                               /* pop %rcx */
        p[13] = 0xc3;                               /* ret */
    }
    p = (uint8_t *)page + 23 * 32;
    p[0] = 0x51;                                    /* push %rcx */
    p[1] = 0x41; p[2] = 0x53;                       /* push %r11 */
    p[3] = 0x50;                                    /* push %rax */
    p[4] = 0xb8;                                    /* mov $23, %eax */
    i = 23;
    memcpy(&p[5], &i, 4);
    p[9] = 0x0f; p[10] = 0x05;                      /* syscall */
}
