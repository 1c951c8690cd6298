/*
 * PV direct paging: reference counts, page types and their validation,
 * and the hypercalls that change page tables (mmu_update, mmuext_op,
 * update_va_mapping). Xen 4.17's semantics and error codes; the design is
 * in include/xenia/pv_mm.h and docs/memory.md.
 *
 * Validation recurses at most four levels (an L4 validates its L3s, ...);
 * devalidation when a table's last type reference goes mirrors it.
 * TLB: every type change away from "writable" flushes every CPU, and a
 * freed frame is never reused before a machine-wide flush (heap_alloc),
 * so no stale writable translation survives a frame becoming a page
 * table or another domain's (docs/smp.md).
 *
 * Locking: runs under the hypervisor lock (docs/smp.md) and takes no
 * lock of its own.
 */
#include <xenia/lib.h>
#include <xenia/arch.h>
#include <xenia/hypercall.h>
#include <xenia/unhandled.h>
#include <xenia/errno.h>
#include <xenia/config.h>
#include <xenia/processor.h>
#include <xenia/mm.h>
#include <xenia/pv_mm.h>
#include <xenia/pv_traps.h>
#include <xenia/sched.h>
#include <xenia/guest_access.h>
#include <public/xen.h>
#include "../x86.h"

/*
 * Resolves the domain whose frames an mmu_update or mmuext_op names
 * (foreigndom). Xen's order: an unknown domain is -ESRCH, a known one
 * that the caller may not touch -EPERM.
 */
static int get_pg_owner(struct domain *curr, unsigned int dom,
                        struct domain **owner)
{
    struct domain *d;

    if ( dom == DOMID_SELF || dom == curr->domain_id )
    {
        *owner = curr;
        return 0;
    }
    d = dom == DOMID_IO ? curr : domain_by_id(dom);
    if ( !d || d->state == DOMAIN_DYING )
        return -ESRCH;
    if ( !curr->is_privileged )
        return -EPERM;
    *owner = d;
    return 0;
}

/* An ordinary page: a plain write, if it may be writable. */
static long mmu_plain_write(struct page_info *pg, unsigned long maddr,
                            uint64_t val)
{
    if ( get_page_type(pg, PGT_writable_page) )
        return -EINVAL;
    *(uint64_t *)((char *)mfn_to_virt(maddr >> PAGE_SHIFT) +
                  (maddr & ~PAGE_MASK)) = val;
    put_page_type(pg);
    return 0;
}

/*
 * MMU_NORMAL_PT_UPDATE and friends: the entry at maddr, in a frame of d.
 * A page table in use is updated through the type machinery (only an
 * L1 on behalf of another domain); any other frame is written plainly.
 */
static long mmu_pt_update(struct domain *d, struct domain *pg_owner,
                          unsigned long maddr, uint64_t val, bool preserve_ad)
{
    unsigned long mfn = maddr >> PAGE_SHIFT;
    struct page_info *pg;
    uint32_t type;
    long rc;

    if ( !mfn_valid(mfn) || !get_page(pg = mfn_to_page(mfn), d) )
        return -EINVAL;
    type = pg->type_info & PGT_type_mask;
    if ( type < PGT_l1_page_table || type > PGT_l4_page_table ||
         !(pg->type_info & PGT_count_mask) )
        rc = mmu_plain_write(pg, maddr, val);
    else if ( type != PGT_l1_page_table && pg_owner != d )
        rc = -EINVAL;
    else
        rc = pv_mod_entry(pg_owner, mfn, type >> 28,
                          (maddr & ~PAGE_MASK) >> 3, val, preserve_ad);
    put_page(pg);
    return rc;
}

/* MMU_MACHPHYS_UPDATE: the M2P entry of a frame of pg_owner's. */
static long mmu_machphys_update(struct domain *pg_owner, unsigned long mfn,
                                uint64_t val)
{
    struct page_info *pg;

    if ( !mfn_valid(mfn) || !get_page(pg = mfn_to_page(mfn), pg_owner) )
        return -EINVAL;
    machine_to_phys_mapping[mfn] = val;
    put_page(pg);
    return 0;
}

static long mmu_update_one(struct domain *d, struct domain *pg_owner,
                           const void *r)
{
    const mmu_update_t *req = r;
    /* As Xen: the low 3 bits (an entry's alignment) hold the command. */
    unsigned int cmd = req->ptr & 7;
    unsigned long maddr = req->ptr & ~7UL;

    switch ( cmd )
    {
    case MMU_NORMAL_PT_UPDATE:
    case MMU_PT_UPDATE_PRESERVE_AD:
    case MMU_PT_UPDATE_NO_TRANSLATE:
        return mmu_pt_update(d, pg_owner, maddr, req->val,
                             cmd == MMU_PT_UPDATE_PRESERVE_AD);
    case MMU_MACHPHYS_UPDATE:
        return mmu_machphys_update(pg_owner, maddr >> PAGE_SHIFT, req->val);
    default:
        report_unhandled(UNHANDLED_SUBOP, "mmu_update", req->ptr & 7,
                         "unknown command: -ENOSYS");
        return -ENOSYS;
    }
}

/*
 * Applies a guest array of mmu_update/mmuext_op requests in order,
 * stopping at the first error; *pdone (if given) counts those applied.
 *
 * Preemptible as in Xen (xen.h, MMU_UPDATE_PREEMPTED): after a bounded
 * amount of work the hypercall continues itself with the list advanced
 * past the requests done, the count of those left with bit 31 set, and
 * *pdone holding the running total. An entry with bit 31 set in the count
 * starts from the total already in *pdone.
 */
#define MMU_UPDATE_PREEMPTED (1U << 31)

typedef long batch_fn_t(struct domain *d, struct domain *pg_owner,
                        const void *req);

static long run_batch(unsigned long op, struct domain *d,
                      struct domain *pg_owner, vaddr_t list,
                      unsigned int count, size_t size, vaddr_t pdone,
                      unsigned long foreigndom, batch_fn_t *fn)
{
    uint8_t req[sizeof(mmu_update_t) > sizeof(mmuext_op_t)
                ? sizeof(mmu_update_t) : sizeof(mmuext_op_t)];
    unsigned int i, done = 0;
    long rc = 0;

    if ( count & MMU_UPDATE_PREEMPTED )
    {
        count &= ~MMU_UPDATE_PREEMPTED;
        if ( pdone )
            (void)copy_from_guest(&done, pdone, sizeof(done));
    }
    for ( i = 0; i < count; i++ )
    {
        if ( i && hypercall_preempt_check() )
        {
            const unsigned long args[6] = {
                list + i * size, (count - i) | MMU_UPDATE_PREEMPTED, pdone,
                foreigndom,
            };

            rc = hypercall_create_continuation(op, 4, args);
            break;
        }
        if ( copy_from_guest(req, list + i * size, size) )
        {
            rc = -EFAULT;
            break;
        }
        rc = fn(d, pg_owner, req);
        if ( rc )
            break;
    }
    done += i;
    if ( pdone && copy_to_guest(pdone, &done, sizeof(done)) && !rc )
        rc = -EFAULT;
    return rc;
}

long do_mmu_update(vaddr_t ureqs, unsigned long count, vaddr_t pdone,
                   unsigned long foreigndom)
{
    struct domain *d = current->domain, *pg_owner;
    int rc;

    /* Bit 31 is the continuation marker (MMU_UPDATE_PREEMPTED). */
    count = (unsigned int)count;
    if ( !guest_range_ok(ureqs, (count & ~MMU_UPDATE_PREEMPTED) *
                                sizeof(mmu_update_t)) )
        return -EFAULT;
    /* Editing another domain's page tables (pt owner): not supported. */
    if ( (foreigndom >> 16) && (foreigndom >> 16) - 1 != d->domain_id )
        return domain_by_id((foreigndom >> 16) - 1) ? -EPERM : -ESRCH;
    if ( (rc = get_pg_owner(d, foreigndom & 0xffff, &pg_owner)) )
        return rc;
    return run_batch(__HYPERVISOR_mmu_update, d, pg_owner, ureqs, count,
                     sizeof(mmu_update_t), pdone, foreigndom, mmu_update_one);
}

/* ---- mmuext_op ---- */

int pv_new_guest_table(struct vcpu *v, unsigned long mfn, bool user)
{
    unsigned long *slot = user ? &v->guest_table_user : &v->guest_table;
    unsigned long old = *slot;
    int rc;

    if ( mfn == old )
        return 0;
    if ( mfn || !user )
    {
        rc = get_page_and_type(mfn, v->domain, PGT_l4_page_table);
        if ( rc )
            return rc;
    }
    *slot = mfn;
    if ( v == current && (user ? !v->kernel_mode : v->kernel_mode) )
        write_cr3(mfn << PAGE_SHIFT);
    if ( old )
        put_page_and_type(mfn_to_page(old));
    return 0;
}

/*
 * The *_MULTI flushes name their vCPUs in a guest bitmap: it must be
 * readable. Returns the CPUs those vCPUs are loaded on.
 */
static int vcpumask_cpus(struct domain *d, vaddr_t gmask, cpumask_t *cpus)
{
    unsigned long mask;
    unsigned int i;

    if ( copy_from_guest(&mask, gmask, sizeof(mask)) )
        return -EFAULT;
    *cpus = 0;
    for ( i = 0; i < d->max_vcpus && i < 64; i++ )
        if ( ((mask >> i) & 1) && d->vcpu[i] && d->vcpu[i]->is_running )
            *cpus |= 1UL << d->vcpu[i]->processor;
    return 0;
}

/* The flush a *_LOCAL, *_MULTI or *_ALL operation asks for. */
static int flush_for(struct domain *d, unsigned int scope, vaddr_t gmask)
{
    cpumask_t cpus;

    switch ( scope )
    {
    case 0:                                 /* local */
        flush_tlb_local();
        return 0;
    case 1:                                 /* the vCPUs in a bitmap */
        if ( vcpumask_cpus(d, gmask, &cpus) )
            return -EINVAL;
        flush_tlb_mask(cpus | (1UL << smp_processor_id()));
        return 0;
    default:                                /* all of the domain's */
        flush_tlb_domain(d);
        return 0;
    }
}

static long mmuext_invlpg(struct domain *d, const mmuext_op_t *op)
{
    if ( op->cmd != MMUEXT_INVLPG_LOCAL )
        return flush_for(d, op->cmd == MMUEXT_INVLPG_MULTI ? 1 : 2,
                         (vaddr_t)op->arg2.vcpumask);
    if ( guest_range_ok(op->arg1.linear_addr, 1) )
        invlpg(op->arg1.linear_addr);
    return 0;
}

static long mmuext_flush_cache(struct domain *d, const mmuext_op_t *op)
{
    if ( !pv_domain_io_capable(d) )
        return op->cmd == MMUEXT_FLUSH_CACHE ? -EACCES : -EINVAL;
    __asm__ __volatile__ ( "wbinvd" ::: "memory" );
    return 0;
}

/* The ops on the caller's own vCPU and TLBs: pg_owner must be d. */
static long mmuext_self(struct domain *d, const mmuext_op_t *op)
{
    struct vcpu *v = current;

    switch ( op->cmd )
    {
    case MMUEXT_NEW_BASEPTR:
        return pv_new_guest_table(v, op->arg1.mfn, false);
    case MMUEXT_NEW_USER_BASEPTR:
        return pv_new_guest_table(v, op->arg1.mfn, true);
    case MMUEXT_TLB_FLUSH_LOCAL:
    case MMUEXT_TLB_FLUSH_MULTI:
    case MMUEXT_TLB_FLUSH_ALL:
        return flush_for(d, op->cmd == MMUEXT_TLB_FLUSH_LOCAL ? 0 :
                            op->cmd == MMUEXT_TLB_FLUSH_MULTI ? 1 : 2,
                         (vaddr_t)op->arg2.vcpumask);
    case MMUEXT_INVLPG_LOCAL:
    case MMUEXT_INVLPG_MULTI:
    case MMUEXT_INVLPG_ALL:
        return mmuext_invlpg(d, op);
    case MMUEXT_FLUSH_CACHE:
    case MMUEXT_FLUSH_CACHE_GLOBAL:
        return mmuext_flush_cache(d, op);
    case MMUEXT_SET_LDT:
        return pv_set_ldt(v, op->arg1.linear_addr, op->arg2.nr_ents);
    default:
        ASSERT(false);          /* mmuext_one sends only the cases above */
        return -ENOSYS;
    }
}

static long mmuext_clear_page(struct domain *d, unsigned long mfn)
{
    if ( get_page_and_type(mfn, d, PGT_writable_page) )
        return -EINVAL;
    memset(mfn_to_virt(mfn), 0, PAGE_SIZE);
    put_page_and_type(mfn_to_page(mfn));
    return 0;
}

static long mmuext_copy_page(struct domain *d, unsigned long dst_mfn,
                             unsigned long src_mfn)
{
    struct page_info *src;

    if ( !mfn_valid(src_mfn) || !get_page(src = mfn_to_page(src_mfn), d) )
        return -EINVAL;
    if ( get_page_and_type(dst_mfn, d, PGT_writable_page) )
    {
        put_page(src);
        return -EINVAL;
    }
    memcpy(mfn_to_virt(dst_mfn), mfn_to_virt(src_mfn), PAGE_SIZE);
    put_page_and_type(mfn_to_page(dst_mfn));
    put_page(src);
    return 0;
}

static long mmuext_one(struct domain *d, struct domain *pg_owner,
                       const void *o)
{
    const mmuext_op_t *op = o;

    switch ( op->cmd )
    {
    case MMUEXT_PIN_L1_TABLE:
    case MMUEXT_PIN_L2_TABLE:
    case MMUEXT_PIN_L3_TABLE:
    case MMUEXT_PIN_L4_TABLE:
        return pv_pin_table(pg_owner, op->arg1.mfn,
                         pv_level_type[op->cmd - MMUEXT_PIN_L1_TABLE + 1]);
    case MMUEXT_UNPIN_TABLE:
        return pv_unpin_table(pg_owner, op->arg1.mfn);
    case MMUEXT_NEW_BASEPTR:
    case MMUEXT_NEW_USER_BASEPTR:
    case MMUEXT_TLB_FLUSH_LOCAL:
    case MMUEXT_TLB_FLUSH_MULTI:
    case MMUEXT_TLB_FLUSH_ALL:
    case MMUEXT_INVLPG_LOCAL:
    case MMUEXT_INVLPG_MULTI:
    case MMUEXT_INVLPG_ALL:
    case MMUEXT_FLUSH_CACHE:
    case MMUEXT_FLUSH_CACHE_GLOBAL:
    case MMUEXT_SET_LDT:
        return pg_owner == d ? mmuext_self(d, op) : -EPERM;
    case MMUEXT_CLEAR_PAGE:
        return mmuext_clear_page(d, op->arg1.mfn);
    case MMUEXT_COPY_PAGE:
        return mmuext_copy_page(d, op->arg1.mfn, op->arg2.src_mfn);
    default:
        report_unhandled(UNHANDLED_SUBOP, "mmuext_op", op->cmd,
                         "not implemented: -ENOSYS");
        return -ENOSYS;
    }
}

long do_mmuext_op(vaddr_t uops, unsigned long count, vaddr_t pdone,
                  unsigned long foreigndom)
{
    struct domain *d = current->domain, *pg_owner;
    int rc;

    count = (unsigned int)count;        /* bit 31: as for mmu_update */
    if ( !guest_range_ok(uops, (count & ~MMU_UPDATE_PREEMPTED) *
                               sizeof(mmuext_op_t)) )
        return -EFAULT;
    if ( (rc = get_pg_owner(d, foreigndom & 0xffff, &pg_owner)) )
        return rc;
    return run_batch(__HYPERVISOR_mmuext_op, d, pg_owner, uops, count,
                     sizeof(mmuext_op_t), pdone, foreigndom, mmuext_one);
}

/* ---- update_va_mapping ---- */

uint64_t *guest_l1e_ptr(struct vcpu *v, unsigned long va, unsigned long *l1mfn)
{
    uint64_t *t = mfn_to_virt(v->guest_table);
    unsigned int level;
    static const unsigned int shift[5] = { 0, 12, 21, 30, 39 };

    if ( !guest_range_ok(va, 1) )
        return NULL;
    for ( level = 4; level > 1; level-- )
    {
        uint64_t e = t[(va >> shift[level]) & 511];

        if ( !(e & _PAGE_PRESENT) || (e & _PAGE_PSE) ||
             !pv_mfn_is_ram(PTE_MFN(e)) )
            return NULL;
        t = mfn_to_virt(PTE_MFN(e));
    }
    if ( l1mfn )
        *l1mfn = virt_to_mfn(t);
    return &t[(va >> 12) & 511];
}

long do_update_va_mapping(vaddr_t va, uint64_t val, unsigned long flags)
{
    struct vcpu *v = current;
    struct domain *d = v->domain;
    unsigned long l1mfn;
    uint64_t *pl1e;
    struct page_info *pg;
    long rc;

    if ( !guest_range_ok(va, 1) )
        return -EINVAL;
    pl1e = guest_l1e_ptr(v, va, &l1mfn);
    if ( !pl1e )
        return -EINVAL;
    pg = mfn_to_page(l1mfn);
    if ( !get_page(pg, d) )
        return -EINVAL;
    if ( (pg->type_info & PGT_type_mask) != PGT_l1_page_table ||
         !(pg->type_info & PGT_count_mask) )
    {
        put_page(pg);
        return -EINVAL;
    }
    rc = pv_mod_entry(d, l1mfn, 1, (va >> 12) & 511, val, false);
    put_page(pg);
    if ( rc )
        return rc;

    /* UVMF_ALL, or UVMF_MULTI with a pointer to a vCPU bitmap. */
    if ( (flags & UVMF_FLUSHTYPE_MASK) == UVMF_NONE )
        return 0;
    if ( flags & ~(UVMF_FLUSHTYPE_MASK | UVMF_ALL) )
        return flush_for(d, 1, flags & ~(UVMF_FLUSHTYPE_MASK | UVMF_ALL)) ?
               -EFAULT : 0;
    if ( flags & UVMF_ALL )
        return flush_for(d, 2, 0);
    if ( (flags & UVMF_FLUSHTYPE_MASK) == UVMF_INVLPG )
        invlpg(va);
    else
        flush_tlb_local();
    return 0;
}

/* ---- Reference-count audit ---- */

static void unpin(struct page_info *pg)
{
    if ( pg->type_info & PGT_pinned )
    {
        pg->type_info &= ~PGT_pinned;
        put_page_and_type(pg);
    }
}

/*
 * Drops what d's vCPUs and pins hold: page tables, descriptors, vcpu_info.
 * Only d's own frames can be pinned for d: those on its page list, and
 * shared_info. Unpinning a table can free other frames of d (ones given
 * back but still mapped), so each frame is held while its pin goes, which
 * keeps its link to the next one valid.
 */
static void release_vcpu_and_pin_refs(struct domain *d)
{
    uint32_t mfn, next;
    unsigned int i;

    for ( i = 0; i < d->max_vcpus; i++ )
    {
        struct vcpu *v = d->vcpu[i];

        if ( v->guest_table )
            put_page_and_type(mfn_to_page(v->guest_table));
        if ( v->guest_table_user )
            put_page_and_type(mfn_to_page(v->guest_table_user));
        v->guest_table = v->guest_table_user = 0;
        pv_release_descriptor_tables(v);
        if ( v->vcpu_info_registered )
        {
            put_page_and_type(mfn_to_page(virt_to_mfn(v->vcpu_info)));
            v->vcpu_info_registered = false;
        }
        v->vcpu_info = NULL;
    }
    for ( mfn = d->page_list.head; mfn != FRAME_NONE; mfn = next )
    {
        struct page_info *pg = mfn_to_page(mfn);

        pg->count_info++;
        unpin(pg);
        next = pg->next;
        put_page(pg);
    }
    unpin(mfn_to_page(d->shared_info_mfn));
}

/*
 * A dying domain gives everything back: its vCPUs' and pins' references,
 * then the allocation reference of each frame. A frame someone else still
 * maps survives, still owned and counted in tot_pages, until the last
 * mapping goes (arch_free_domain_frame); the domain stays listed as dying
 * until then, as in Xen.
 */
void arch_domain_relinquish(struct domain *d)
{
    uint32_t mfn, next;

    release_vcpu_and_pin_refs(d);
    for ( mfn = d->page_list.head; mfn != FRAME_NONE; mfn = next )
    {
        struct page_info *pg = mfn_to_page(mfn);

        next = pg->next;            /* put_page frees pg at most */
        if ( pg->flags & PGC_allocated )
        {
            pg->flags &= ~PGC_allocated;
            put_page(pg);
        }
    }
}

/*
 * Releases every reference a stopped domain holds through its vCPUs and
 * pins, then checks that each of its frames is back to exactly its
 * allocation reference with no type reference: any other count is a leak
 * in the page-type machinery. Returns the number of leaking frames.
 */
unsigned long arch_audit_domain_release(struct domain *d)
{
    unsigned long mfn, frames = 0, bad = 0;

    release_vcpu_and_pin_refs(d);
    for ( mfn = 0; mfn < max_page; mfn++ )
    {
        struct page_info *pg = mfn_to_page(mfn);

        if ( pg->state != PGS_inuse || pg->owner != d->domain_id )
            continue;
        frames++;
        if ( pg->count_info == 1 && !(pg->type_info & PGT_count_mask) )
            continue;
        if ( bad++ < 10 )
            printk(XENLOG_ERR "AUDIT: d%u mfn %#lx: count_info %u, type %#x "
                   "count %u\n", d->domain_id, mfn, pg->count_info,
                   pg->type_info & PGT_type_mask,
                   pg->type_info & PGT_count_mask);
    }
    if ( bad )
        printk(XENLOG_ERR "AUDIT FAILED: d%u: %lu of %lu frames leak references\n",
               d->domain_id, bad, frames);
    else
        printk("Audit: d%u: all %lu frames released cleanly\n",
               d->domain_id, frames);
    return bad;
}
