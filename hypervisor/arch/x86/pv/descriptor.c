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
 * window (the 15th holds the hypervisor's descriptors); the LDT is mapped
 * eagerly into the CPU's LDT window when it is set.
 */
#include <xenia/lib.h>
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
                         MAP_SMALL_PAGES);
}

static void destroy_gdt(struct vcpu *v)
{
    unsigned int i, nr = (v->gdt_ents + 511) / 512;

    for ( i = 0; i < nr; i++ )
        put_page_and_type(mfn_to_page(v->gdt_frames[i]));
    v->gdt_ents = 0;
}

long do_set_gdt(unsigned long ulist, unsigned long entries, unsigned long a3,
                unsigned long a4, unsigned long a5, unsigned long a6)
{
    struct vcpu *v = current;
    unsigned long frames[FIRST_RESERVED_GDT_PAGE];
    unsigned int i, nr;
    int rc = 0;

    if ( entries > HV_FIRST_RESERVED_GDT_ENTRY )
        return -EINVAL;
    nr = (entries + 511) / 512;
    if ( copy_from_guest(frames, ulist, nr * sizeof(frames[0])) )
        return -EFAULT;
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
    pv_load_gdt(v);
    return 0;
}

long do_update_descriptor(unsigned long maddr, unsigned long desc,
                          unsigned long a3, unsigned long a4,
                          unsigned long a5, unsigned long a6)
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

static unsigned long ldt_frames[16];
static unsigned int ldt_nr_frames;

static void unload_ldt(void)
{
    unsigned int i;

    __asm__ __volatile__ ( "lldt %w0" :: "r" (0) );
    for ( i = 0; i < ldt_nr_frames; i++ )
        put_page_and_type(mfn_to_page(ldt_frames[i]));
    ldt_nr_frames = 0;
}

int pv_set_ldt(struct vcpu *v, unsigned long base, unsigned int ents)
{
    unsigned int i, nr;
    uint64_t *gdt = (uint64_t *)(gdt_window() +
                                 FIRST_RESERVED_GDT_PAGE * PAGE_SIZE);

    if ( (base & ~PAGE_MASK) || ents > 8192 ||
         !guest_range_ok(base, (unsigned long)ents * 8) )
        return -EINVAL;
    unload_ldt();
    v->ldt_base = base;
    v->ldt_ents = ents;
    if ( !ents )
        return 0;

    /* Map the LDT's pages now, each typed as a descriptor page. */
    nr = (ents * 8 + PAGE_SIZE - 1) / PAGE_SIZE;
    for ( i = 0; i < nr; i++ )
    {
        uint64_t *pte = guest_l1e_ptr(v, base + i * PAGE_SIZE, NULL);

        if ( !pte || !(*pte & _PAGE_PRESENT) ||
             get_page_and_type(PTE_MFN(*pte), v->domain, PGT_seg_desc_page) )
            break;
        ldt_frames[i] = PTE_MFN(*pte);
        map_pages_to_xen(ldt_window() + i * PAGE_SIZE, ldt_frames[i], 1,
                         _PAGE_PRESENT | _PAGE_RW | MAP_SMALL_PAGES);
    }
    ldt_nr_frames = i;
    if ( i < nr )
        return 0;       /* as Xen: a bad LDT page faults when it is used */
    {
        uint64_t lim = ents * 8 - 1, b = ldt_window();

        gdt[9] = (lim & 0xffff) | ((b & 0xffffff) << 16) | (0x82UL << 40) |
                 (((lim >> 16) & 0xf) << 48) | (((b >> 24) & 0xff) << 56);
        gdt[10] = b >> 32;
    }
    __asm__ __volatile__ ( "lldt %w0" :: "r" (LDT_SELECTOR) );
    return 0;
}

/* Drops the GDT and LDT references of a vCPU that will not run again. */
void pv_release_descriptor_tables(struct vcpu *v)
{
    destroy_gdt(v);
    if ( v == current )
        unload_ldt();
}
