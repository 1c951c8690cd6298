/*
 * A vCPU's whole PV context in and out: VCPUOP_initialise and
 * XEN_DOMCTL_setvcpucontext / getvcpucontext (vcpu_guest_context).
 *
 * Setting validates every value before changing anything (canonical
 * addresses, GDT size, LDT alignment), then takes the references the
 * context needs (L4 tables, GDT frames), undoing them if one fails; only
 * then is the rest written. The vCPU must not be running (its domain is
 * paused, or it is down and never initialised).
 *
 * Locking: runs under the hypervisor lock (docs/smp.md) and takes no
 * lock of its own.
 */
#include <xenia/lib.h>
#include <xenia/arch.h>
#include <xenia/page_bits.h>
#include <xenia/errno.h>
#include <xenia/mm.h>
#include <xenia/processor.h>
#include <xenia/sched.h>
#include <xenia/pv_mm.h>
#include <xenia/pv_traps.h>
#include <public/xen.h>

/*
 * The debug registers the context sets (DR0-3, DR6, DR7; DR4/5 are not
 * taken from a context), checked as HYPERVISOR_set_debugreg checks them,
 * canonicalised into dr[]. As in Xen 4.17's arch_set_info_guest, a value
 * set_debugreg would refuse is not an error for the context: that
 * register keeps its reset value (a context with DR0 in the hypervisor's
 * range is accepted by Xen 4.17). Returns the mask of registers to load;
 * checking it all here leaves nothing to fail once the context commits.
 */
static unsigned int context_debugregs(const struct vcpu *v,
                                      const struct vcpu_guest_context *c,
                                      unsigned long dr[8])
{
    unsigned int i, reg, load = 0;

    for ( i = 0; i < 8; i++ )
    {
        if ( i == 4 || i == 5 )
            continue;
        reg = i;
        dr[i] = c->debugreg[i];
        if ( !pv_check_debugreg(v, &reg, &dr[i]) )
            load |= 1u << i;
    }
    return load;
}

static int check_context(const struct vcpu_guest_context *c)
{
    unsigned int i;

    if ( !is_canonical_address(c->user_regs.rip) || !is_canonical_address(c->user_regs.rsp) ||
         !is_canonical_address(c->kernel_sp) || !is_canonical_address(c->fs_base) ||
         !is_canonical_address(c->gs_base_kernel) || !is_canonical_address(c->gs_base_user) ||
         !is_canonical_address(c->event_callback_eip) ||
         !is_canonical_address(c->syscall_callback_eip) ||
         !is_canonical_address(c->failsafe_callback_eip) )
        return -EINVAL;
    if ( c->ldt_ents && (!is_canonical_address(c->ldt_base) ||
                         (c->ldt_base & ~PAGE_MASK) || c->ldt_ents > 8192) )
        return -EINVAL;
    for ( i = 0; i < 256; i++ )
        if ( !is_canonical_address(c->trap_ctxt[i].address) )
            return -EINVAL;
    if ( c->gdt_ents > HV_FIRST_RESERVED_GDT_ENTRY )
        return -EINVAL;
    if ( !(c->flags & VGCF_in_kernel) && !c->ctrlreg[1] )
        return -EINVAL;         /* user mode needs user page tables */
    return 0;
}

/* References: kernel L4, user L4, GDT frames; all or nothing. */
static int take_context_refs(struct vcpu *v,
                             const struct vcpu_guest_context *c)
{
    unsigned long gdt[FIRST_RESERVED_GDT_PAGE];
    unsigned long l4 = c->ctrlreg[3] >> PAGE_SHIFT;
    unsigned long ul4 = c->ctrlreg[1] >> PAGE_SHIFT;
    unsigned int i;

    if ( !l4 || pv_new_guest_table(v, l4, false) )
        return -EINVAL;
    if ( ul4 && pv_new_guest_table(v, ul4, true) )
        goto undo_l4;
    for ( i = 0; i < FIRST_RESERVED_GDT_PAGE; i++ )
        gdt[i] = c->gdt_frames[i];
    if ( pv_set_gdt(v, gdt, c->gdt_ents) )
        goto undo_ul4;
    return 0;

 undo_ul4:
    if ( ul4 )
    {
        put_page_and_type(mfn_to_page(ul4));
        v->guest_table_user = 0;
    }
 undo_l4:
    put_page_and_type(mfn_to_page(l4));
    v->guest_table = 0;
    return -EINVAL;
}

/* The user registers, selectors and virtual IOPL. */
static void set_user_regs(struct vcpu *v, const struct vcpu_guest_context *c)
{
    memcpy(&v->regs, &c->user_regs, sizeof(v->regs));
    v->regs.cs = c->user_regs.cs | 3;
    v->regs.ss = c->user_regs.ss | 3;
    v->regs.rflags = (c->user_regs.rflags & ~(X86_EFLAGS_IOPL | X86_EFLAGS_VM))
                     | X86_EFLAGS_IF | X86_EFLAGS_MBS;
    /* As Xen: the context's EFLAGS.IOPL is the vCPU's virtual IOPL
     * (Linux starts its secondary vCPUs with IOPL 1 this way). */
    v->iopl = (c->user_regs.rflags & X86_EFLAGS_IOPL) >> 12;
    v->sel_ds = c->user_regs.ds;
    v->sel_es = c->user_regs.es;
    v->sel_fs = c->user_regs.fs;
    v->sel_gs = c->user_regs.gs;
}

/* Trap table, kernel stack, callbacks, mode and segment bases. */
static void set_kernel_state(struct vcpu *v,
                             const struct vcpu_guest_context *c)
{
    unsigned int i;

    for ( i = 0; i < 256; i++ )
    {
        v->trap_addr[i] = c->trap_ctxt[i].address;
        v->trap_flags[i] = c->trap_ctxt[i].flags;
    }
    v->kernel_ss = c->kernel_ss | 3;
    v->kernel_sp = c->kernel_sp;
    v->callback[CB_EVENT] = c->event_callback_eip;
    v->callback[CB_FAILSAFE] = c->failsafe_callback_eip;
    v->callback[CB_SYSCALL] = c->syscall_callback_eip;
    v->callback_masks[CB_FAILSAFE] =
        c->flags & VGCF_failsafe_disables_events;
    v->callback_masks[CB_SYSCALL] = c->flags & VGCF_syscall_disables_events;
    v->kernel_mode = c->flags & VGCF_in_kernel;
    v->fs_base = c->fs_base;
    v->gs_base = v->kernel_mode ? c->gs_base_kernel : c->gs_base_user;
    v->gs_shadow = v->kernel_mode ? c->gs_base_user : c->gs_base_kernel;
}

int arch_set_info_guest(struct vcpu *v, const struct vcpu_guest_context *c)
{
    struct domain *d = v->domain;
    unsigned long dr[8];
    unsigned int i, load_dr;
    int rc;

    ASSERT(!v->is_running);
    if ( v->initialised )
        return -EEXIST;
    if ( (rc = check_context(c)) )
        return rc;
    load_dr = context_debugregs(v, c, dr);
    if ( v->vcpu_id == 0 && (c->vm_assist & ~VMASST_VALID) )
        return -EINVAL;
    if ( (rc = take_context_refs(v, c)) )
        return rc;

    /* Nothing can fail from here. */
    set_user_regs(v, c);
    set_kernel_state(v, c);
    v->fpu_ts = c->ctrlreg[0] & X86_CR0_TS;
    if ( c->flags & VGCF_i387_valid )
        memcpy(v->fpu_area, &c->fpu_ctxt, 512);
    for ( i = 0; i < 8; i++ )
        if ( load_dr & (1u << i) )
            pv_write_debugreg(v, i, dr[i]);
    if ( v->vcpu_id == 0 )
        d->vm_assist = c->vm_assist;
    if ( c->ldt_ents )
        pv_set_ldt(v, c->ldt_base, c->ldt_ents);
    v->initialised = true;
    v->down = !(c->flags & VGCF_online);
    vcpu_update_runnable(v);
    return 0;
}

void arch_get_info_guest(struct vcpu *v, struct vcpu_guest_context *c)
{
    unsigned int i;

    memset(c, 0, sizeof(*c));
    memcpy(&c->user_regs, &v->regs, sizeof(v->regs));
    c->user_regs.ds = v->sel_ds;
    c->user_regs.es = v->sel_es;
    c->user_regs.fs = v->sel_fs;
    c->user_regs.gs = v->sel_gs;
    c->user_regs.rflags |= (uint64_t)v->iopl << 12;
    c->flags = VGCF_i387_valid | (v->kernel_mode ? VGCF_in_kernel : 0) |
               (v->down ? 0 : VGCF_online) |
               (v->callback_masks[CB_FAILSAFE] ?
                VGCF_failsafe_disables_events : 0) |
               (v->callback_masks[CB_SYSCALL] ?
                VGCF_syscall_disables_events : 0);
    memcpy(&c->fpu_ctxt, v->fpu_area, 512);
    for ( i = 0; i < 256; i++ )
    {
        c->trap_ctxt[i].vector = i;
        c->trap_ctxt[i].flags = v->trap_flags[i];
        c->trap_ctxt[i].address = v->trap_addr[i];
    }
    c->ldt_base = v->ldt_base;
    c->ldt_ents = v->ldt_ents;
    for ( i = 0; i < FIRST_RESERVED_GDT_PAGE; i++ )
        c->gdt_frames[i] = v->gdt_frames[i];
    c->gdt_ents = v->gdt_ents;
    c->kernel_ss = v->kernel_ss;
    c->kernel_sp = v->kernel_sp;
    c->ctrlreg[0] = X86_CR0_PE | X86_CR0_PG | X86_CR0_NE | X86_CR0_MP |
                    (v->fpu_ts ? X86_CR0_TS : 0);
    c->ctrlreg[1] = v->guest_table_user << PAGE_SHIFT;
    c->ctrlreg[3] = v->guest_table << PAGE_SHIFT;
    c->ctrlreg[4] = v->cr4;
    for ( i = 0; i < 8; i++ )
        c->debugreg[i] = v->dr[i];
    c->event_callback_eip = v->callback[CB_EVENT];
    c->failsafe_callback_eip = v->callback[CB_FAILSAFE];
    c->syscall_callback_eip = v->callback[CB_SYSCALL];
    c->vm_assist = v->domain->vm_assist;
    c->fs_base = v->fs_base;
    c->gs_base_kernel = v->kernel_mode ? v->gs_base : v->gs_shadow;
    c->gs_base_user = v->kernel_mode ? v->gs_shadow : v->gs_base;
}
