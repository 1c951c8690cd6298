/*
 * Guest descriptor tables: set_gdt, update_descriptor and MMUEXT_SET_LDT.
 *
 * Descriptor pages take the "segment descriptor" page type, so the guest
 * can no longer map them writable, and every descriptor is checked as Xen
 * does: code and data segments are allowed with their DPL raised to 3
 * (the guest kernel runs in ring 3); call gates are allowed with DPL 0 so
 * that using one faults into the hypervisor; every other system descriptor
 * (TSS, LDT, interrupt and trap gates) is refused.
 *
 * A vCPU's GDT frames are mapped into the first 14 pages of this CPU's GDT
 * window (the 15th holds the hypervisor's descriptors). The LDT's frames
 * are typed and referenced when it is set (v->ldt_frames) and mapped into
 * the CPU's LDT window whenever the vCPU is loaded on a CPU.
 *
 * Locking: runs under the hypervisor lock (docs/smp.md) and takes no
 * lock of its own.
 */
#include <xenia/lib.h>
#include <xenia/hypercall.h>
#include <xenia/errno.h>
#include <xenia/config.h>
#include <xenia/processor.h>
#include <xenia/sched.h>
#include <xenia/guest_access.h>
#include <xenia/pv_traps.h>
#include <xenia/pv_mm.h>
#include <public/xen.h>
#include "../x86.h"

#define LDT_WINDOW_START (GDT_WINDOW_START + (1UL << 30))

extern void *gdt_zero_page(void);

static unsigned long gdt_window(void)
{
    return GDT_WINDOW_START + smp_processor_id() * GDT_WINDOW_SIZE;
}

/* Maps v's GDT frames (or the zero page) into this CPU's window. */
void pv_load_gdt(struct vcpu *v)
{
    unsigned long win = gdt_window();
    unsigned int i, nr = (v->gdt_ents + 511) / 512;

    for ( i = 0; i < FIRST_RESERVED_GDT_PAGE; i++ )
        map_pages_to_xen(win + i * PAGE_SIZE,
                         i < nr ? v->gdt_frames[i] : virt_to_mfn(gdt_zero_page()),
                         1, (i < nr ? _PAGE_RW : 0) | _PAGE_PRESENT |
                         MAP_LOCAL_INVLPG);
}

static void destroy_gdt(struct vcpu *v)
{
    unsigned int i, nr = (v->gdt_ents + 511) / 512;

    for ( i = 0; i < nr; i++ )
        put_page_and_type(mfn_to_page(v->gdt_frames[i]));
    v->gdt_ents = 0;
}

/* Installs frames as v's GDT (references taken first: all or nothing). */
int pv_set_gdt(struct vcpu *v, const unsigned long *frames,
               unsigned int entries)
{
    unsigned int i, nr;
    int rc = 0;

    if ( entries > HV_FIRST_RESERVED_GDT_ENTRY )
        return -EINVAL;
    nr = (entries + 511) / 512;
    for ( i = 0; i < nr; i++ )
    {
        rc = get_page_and_type(frames[i], v->domain, PGT_seg_desc_page);
        if ( rc )
            break;
    }
    if ( rc )
    {
        while ( i-- > 0 )
            put_page_and_type(mfn_to_page(frames[i]));
        return -EINVAL;
    }
    destroy_gdt(v);
    memcpy(v->gdt_frames, frames, nr * sizeof(frames[0]));
    v->gdt_ents = entries;
    if ( v == current )
        pv_load_gdt(v);
    return 0;
}

long do_set_gdt(vaddr_t ulist, unsigned long entries)
{
    unsigned long frames[FIRST_RESERVED_GDT_PAGE];

    if ( entries > HV_FIRST_RESERVED_GDT_ENTRY )
        return -EINVAL;
    if ( copy_from_guest(frames, ulist,
                         (entries + 511) / 512 * sizeof(frames[0])) )
        return -EFAULT;
    return pv_set_gdt(current, frames, entries);
}

long do_update_descriptor(paddr_t maddr, uint64_t desc)
{
    struct domain *d = current->domain;
    unsigned long mfn = maddr >> PAGE_SHIFT;
    struct page_info *pg;
    uint64_t dv = desc;
    uint32_t type;
    long rc = -EINVAL;

    if ( (maddr & 7) || !pv_check_descriptor(&dv) )
        return -EINVAL;
    if ( !mfn_valid(mfn) || !get_page(pg = mfn_to_page(mfn), d) )
        return -EINVAL;
    type = (pg->type_info & PGT_type_mask) == PGT_seg_desc_page
           ? PGT_seg_desc_page : PGT_writable_page;
    if ( !get_page_type(pg, type) )
    {
        *(uint64_t *)((char *)mfn_to_virt(mfn) + (maddr & ~PAGE_MASK)) = dv;
        put_page_type(pg);
        rc = 0;
    }
    put_page(pg);
    return rc;
}

/* ---- LDT ---- */

static unsigned long ldt_window(void)
{
    return LDT_WINDOW_START + smp_processor_id() * (16 * PAGE_SIZE);
}

static void put_ldt_frames(struct vcpu *v)
{
    unsigned int i;

    for ( i = 0; i < v->ldt_nr_frames; i++ )
        put_page_and_type(mfn_to_page(v->ldt_frames[i]));
    v->ldt_nr_frames = 0;
}

/* Loads v's LDT (or none) on this CPU. */
void pv_load_ldt(struct vcpu *v)
{
    uint64_t *gdt = (uint64_t *)(gdt_window() +
                                 FIRST_RESERVED_GDT_PAGE * PAGE_SIZE);
    unsigned int i, nr = (v->ldt_ents * 8 + PAGE_SIZE - 1) / PAGE_SIZE;
    uint64_t lim = v->ldt_ents * 8 - 1, b = ldt_window();

    if ( !v->ldt_ents || v->ldt_nr_frames < nr )
    {
        __asm__ __volatile__ ( "lldt %w0" :: "r" (0) );
        return;
    }
    for ( i = 0; i < nr; i++ )
        map_pages_to_xen(b + i * PAGE_SIZE, v->ldt_frames[i], 1,
                         _PAGE_PRESENT | _PAGE_RW | MAP_LOCAL_INVLPG);
    gdt[9] = (lim & 0xffff) | ((b & 0xffffff) << 16) | (0x82UL << 40) |
             (((lim >> 16) & 0xf) << 48) | (((b >> 24) & 0xff) << 56);
    gdt[10] = b >> 32;
    __asm__ __volatile__ ( "lldt %w0" :: "r" (LDT_SELECTOR) );
}

int pv_set_ldt(struct vcpu *v, unsigned long base, unsigned int ents)
{
    unsigned int i, nr;

    if ( (base & ~PAGE_MASK) || ents > 8192 ||
         !guest_range_ok(base, (unsigned long)ents * 8) )
        return -EINVAL;
    if ( v == current )
        __asm__ __volatile__ ( "lldt %w0" :: "r" (0) );
    put_ldt_frames(v);
    v->ldt_base = base;
    v->ldt_ents = ents;

    /* Take the LDT's pages now, each typed as a descriptor page. */
    nr = (ents * 8 + PAGE_SIZE - 1) / PAGE_SIZE;
    for ( i = 0; i < nr; i++ )
    {
        uint64_t *pte = guest_l1e_ptr(v, base + i * PAGE_SIZE, NULL);

        if ( !pte || !(*pte & _PAGE_PRESENT) ||
             get_page_and_type(PTE_MFN(*pte), v->domain, PGT_seg_desc_page) )
            break;
        v->ldt_frames[i] = PTE_MFN(*pte);
        v->ldt_nr_frames = i + 1;
    }
    /* As Xen: a bad LDT page faults when it is used (no LDT is loaded). */
    if ( v == current )
        pv_load_ldt(v);
    return 0;
}

/* Drops the GDT and LDT references of a vCPU that will not run again. */
void pv_release_descriptor_tables(struct vcpu *v)
{
    destroy_gdt(v);
    if ( v == current )
        __asm__ __volatile__ ( "lldt %w0" :: "r" (0) );
    put_ldt_frames(v);
    v->ldt_ents = 0;
}
