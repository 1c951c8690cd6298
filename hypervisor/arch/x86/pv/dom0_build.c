/*
 * Builds the initial domain from its kernel image: the start-of-day layout
 * a 64-bit Xen PV kernel expects (Xen's public xen.h describes it):
 *
 *   v_start = VIRT_BASE ... kernel | initrd | p2m | start_info |
 *   bootstrap page tables | one stack page | padding to 4 MiB (>= 512 KiB)
 *
 * all mapped contiguously, VA = v_start + PFN * 4 KiB, backed by the
 * domain's first PFNs; page-table frames mapped read-only and typed, the
 * L4 pinned; %rsi = start_info. Everything is written through the direct
 * map, never through the guest's page tables.
 *
 * Locking: runs under the hypervisor lock (docs/smp.md) and takes no
 * lock of its own.
 */
#include <xenia/lib.h>
#include <xenia/arch.h>
#include <xenia/page_bits.h>
#include <xenia/errno.h>
#include <xenia/config.h>
#include <xenia/processor.h>
#include <xenia/mm.h>
#include <xenia/sched.h>
#include <xenia/elf_image.h>
#include <xenia/bzimage.h>
#include <xenia/hypercall.h>
#include <public/xen.h>
#include <public/features.h>
#include "../x86.h"

#define L1_PROT  (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_USER)
#define LN_PROT  (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | \
                  _PAGE_USER)
#define MB4      (4UL << 20)

struct layout {
    unsigned long v_start, v_end;
    unsigned long vkern_start, vkern_end;
    unsigned long vinitrd_start, vinitrd_end;
    unsigned long vphysmap_start, vphysmap_end;
    unsigned long vstartinfo_start, vstartinfo_end;
    unsigned long vpt_start, vpt_end, nr_pt_pages;
    unsigned long vstack_start, vstack_end;
};

struct builder {
    struct domain *d;
    unsigned long nr_pages;
    unsigned long *p2m;         /* hypervisor copy, PFN -> MFN */
    unsigned int p2m_order;
    struct layout l;
    unsigned long next_pt;      /* next free bootstrap page-table PFN */
};

static unsigned long page_tables_needed(unsigned long s, unsigned long e)
{
    e--;
    return 1 + ((e >> 39) - (s >> 39) + 1) + ((e >> 30) - (s >> 30) + 1) +
           ((e >> 21) - (s >> 21) + 1);
}

static int compute_layout(struct layout *l, const struct elf_image *img,
                          unsigned long initrd_len, unsigned long nr_pages)
{
    l->v_start = img->virt_base;
    l->vkern_start = img->virt_kstart;
    l->vkern_end = img->virt_kend;
    l->vinitrd_start = ROUNDUP(l->vkern_end, PAGE_SIZE);
    l->vinitrd_end = l->vinitrd_start + initrd_len;
    l->vphysmap_start = ROUNDUP(l->vinitrd_end, PAGE_SIZE);
    l->vphysmap_end = l->vphysmap_start + nr_pages * sizeof(unsigned long);
    l->vstartinfo_start = ROUNDUP(l->vphysmap_end, PAGE_SIZE);
    l->vstartinfo_end = l->vstartinfo_start + sizeof(start_info_t);
    l->vpt_start = ROUNDUP(l->vstartinfo_end, PAGE_SIZE);
    for ( l->nr_pt_pages = 2; ; l->nr_pt_pages++ )
    {
        l->vpt_end = l->vpt_start + l->nr_pt_pages * PAGE_SIZE;
        l->vstack_start = l->vpt_end;
        l->vstack_end = l->vstack_start + PAGE_SIZE;
        l->v_end = ROUNDUP(l->vstack_end, MB4);
        if ( l->v_end - l->vstack_end < (512UL << 10) )
            l->v_end += MB4;
        if ( l->v_end < l->v_start || !is_canonical_address(l->v_end - 1) )
            return -ERANGE;
        if ( page_tables_needed(l->v_start, l->v_end) <= l->nr_pt_pages )
            break;
    }
    if ( l->v_start < HYPERVISOR_HOLE_END && l->v_end > HYPERVISOR_HOLE_START )
        return -ERANGE;
    if ( (l->v_end - l->v_start) >> PAGE_SHIFT > nr_pages )
        return -ENOMEM;
    return 0;
}

static void *gva_ptr(struct builder *b, unsigned long va)
{
    unsigned long pfn = (va - b->l.v_start) >> PAGE_SHIFT;

    BUG_ON(va < b->l.v_start || pfn >= b->nr_pages);
    return (char *)mfn_to_virt(b->p2m[pfn]) + (va & ~PAGE_MASK);
}

static void copy_in(void *ctx, uint64_t va, const void *src, size_t len)
{
    struct builder *b = ctx;

    while ( len )
    {
        size_t n = MIN(len, PAGE_SIZE - (va & ~PAGE_MASK));

        memcpy(gva_ptr(b, va), src, n);
        va += n;
        src = (const char *)src + n;
        len -= n;
    }
}

static void zero_in(void *ctx, uint64_t va, size_t len)
{
    struct builder *b = ctx;

    while ( len )
    {
        size_t n = MIN(len, PAGE_SIZE - (va & ~PAGE_MASK));

        memset(gva_ptr(b, va), 0, n);
        va += n;
        len -= n;
    }
}

static int allocate_memory(struct builder *b)
{
    unsigned long pfn = 0;
    unsigned int order = MAX_ORDER;

    while ( pfn < b->nr_pages )
    {
        long mfn;
        unsigned long i;

        while ( (1UL << order) > b->nr_pages - pfn )
            order--;
        mfn = falloc_alloc(&heap, order);
        if ( mfn < 0 )
        {
            if ( !order )
                return -ENOMEM;
            order--;
            continue;
        }
        for ( i = 0; i < (1UL << order); i++, pfn++ )
        {
            domain_assign_frame(b->d, mfn + i);
            b->p2m[pfn] = mfn + i;
            machine_to_phys_mapping[mfn + i] = pfn;
        }
    }
    /* As Xen's dom0: room to balloon back up to all of RAM. */
    b->d->max_pages = MAX(b->nr_pages, max_page);
    return 0;
}

/* Takes the next bootstrap frame as a page table of the given type. */
static uint64_t *new_table(struct builder *b, uint64_t *entry, uint32_t type,
                           uint64_t prot)
{
    unsigned long pfn = ((b->l.vpt_start - b->l.v_start) >> PAGE_SHIFT) +
                        b->next_pt++;
    unsigned long mfn = b->p2m[pfn];
    struct page_info *pg = mfn_to_page(mfn);

    BUG_ON(b->next_pt > b->l.nr_pt_pages);
    memset(mfn_to_virt(mfn), 0, PAGE_SIZE);
    pg->type_info = type | PGT_validated;
    if ( entry )
    {
        *entry = (mfn << PAGE_SHIFT) | prot;
        pg->type_info++;                    /* the parent's reference */
        pg->count_info++;
    }
    return mfn_to_virt(mfn);
}

static uint64_t *walk_or_new(struct builder *b, uint64_t *entry, uint32_t type)
{
    if ( *entry & _PAGE_PRESENT )
        return mfn_to_virt(PTE_MFN(*entry));
    return new_table(b, entry, type, LN_PROT);
}

static unsigned long build_page_tables(struct builder *b)
{
    const struct layout *l = &b->l;
    uint64_t *l4 = new_table(b, NULL, PGT_l4_page_table, 0);
    unsigned long l4_mfn = virt_to_mfn(l4), va;
    struct page_info *l4pg = mfn_to_page(l4_mfn);
    unsigned int i;

    for ( i = HV_L4_FIRST_SLOT; i <= HV_L4_LAST_SLOT; i++ )
        l4[i] = idle_l4()[i];

    for ( va = l->v_start; va < l->v_end; va += PAGE_SIZE )
    {
        uint64_t *l3 = walk_or_new(b, &l4[l4_table_offset(va)], PGT_l3_page_table);
        uint64_t *l2 = walk_or_new(b, &l3[l3_table_offset(va)], PGT_l2_page_table);
        uint64_t *l1 = walk_or_new(b, &l2[l2_table_offset(va)], PGT_l1_page_table);
        unsigned long mfn = b->p2m[(va - l->v_start) >> PAGE_SHIFT];
        struct page_info *pg = mfn_to_page(mfn);
        uint64_t prot = L1_PROT;

        if ( va >= l->vpt_start && va < l->vpt_end )
            prot &= ~_PAGE_RW;              /* page tables: read-only */
        else
        {
            pg->type_info = PGT_writable_page | PGT_validated |
                            ((pg->type_info & PGT_count_mask) + 1);
        }
        pg->count_info++;
        l1[l1_table_offset(va)] = (mfn << PAGE_SHIFT) | prot;
    }

    /* Pinned, and referenced as the vCPU's guest_table. */
    l4pg->type_info |= PGT_pinned;
    l4pg->type_info += 2;
    l4pg->count_info += 2;
    return l4_mfn;
}

static void fill_start_info(struct builder *b, const struct elf_image *img,
                            const char *cmdline, unsigned long initrd_len)
{
    const struct layout *l = &b->l;
    start_info_t *si = gva_ptr(b, l->vstartinfo_start);

    memset(si, 0, sizeof(*si));
    snprintf(si->magic, sizeof(si->magic), "xen-3.0-x86_64");
    si->nr_pages = b->nr_pages;
    si->shared_info = b->d->shared_info_mfn << PAGE_SHIFT;
    si->flags = SIF_PRIVILEGED | SIF_INITDOMAIN;
    si->pt_base = l->vpt_start;
    si->nr_pt_frames = l->nr_pt_pages;
    si->mfn_list = l->vphysmap_start;
    if ( initrd_len )
    {
        si->mod_len = initrd_len;
        si->mod_start = l->vinitrd_start;
        if ( img->mod_start_pfn )
        {
            si->flags |= SIF_MOD_START_PFN;
            si->mod_start = (l->vinitrd_start - l->v_start) >> PAGE_SHIFT;
        }
    }
    strlcpy((char *)si->cmd_line, cmdline, sizeof(si->cmd_line));
}

/* The module's command line starts with its own name: drop that word. */
static const char *module_args(const struct boot_module *m)
{
    const char *s = m->cmdline;

    while ( *s && *s != ' ' )
        s++;
    while ( *s == ' ' )
        s++;
    return s;
}

int dom0_kernel_unpack(const struct boot_module *m, struct dom0_kernel *k)
{
    struct bzimage_info bi;
    char err[160] = "";
    size_t len = m->end - m->start, out_len = 0;
    uint64_t t0;
    int rc;

    memset(k, 0, sizeof(*k));
    k->elf = __va(m->start);
    k->len = len;
    rc = bzimage_probe(k->elf, len, &bi, err, sizeof(err));
    if ( rc == 0 )
        return 0;                       /* not a bzImage: an ELF, as is */
    if ( rc < 0 )
        goto refused;
    while ( (PAGE_SIZE << k->buf_order) < bi.unpacked_len )
        k->buf_order++;
    k->buf = alloc_xenheap_pages(k->buf_order);
    if ( !k->buf )
    {
        printk(XENLOG_ERR "Dom0 kernel: no %lu MiB block to unpack it into\n",
               (PAGE_SIZE << k->buf_order) >> 20);
        return -ENOMEM;
    }
    t0 = rdtsc();
    rc = bzimage_unpack(&bi, k->buf, PAGE_SIZE << k->buf_order, &out_len,
                        err, sizeof(err));
    if ( rc )
    {
        dom0_kernel_release(k);
        goto refused;
    }
    printk("Dom0 kernel: bzImage (boot protocol %u.%02u), %s payload of %zu "
           "bytes unpacked to %zu in %lu ms\n", bi.protocol >> 8,
           bi.protocol & 0xff, compression_name(bi.comp), bi.payload_len,
           out_len, (unsigned long)((rdtsc() - t0) / (cpu_khz ? cpu_khz : 1)));
    k->elf = k->buf;
    k->len = out_len;
    return 0;

 refused:
    printk(XENLOG_ERR "Dom0 kernel image refused: %s\n", err);
    return -EINVAL;
}

void dom0_kernel_release(struct dom0_kernel *k)
{
    if ( k->buf )
        free_xenheap_pages(k->buf, k->buf_order);
    k->buf = NULL;
}

/* Parses and checks the kernel as Xen 4.17 does for dom0; logs a refusal. */
static int dom0_check_kernel(struct elf_image *img,
                             const struct dom0_kernel *k)
{
    char err[ELF_ERR_LEN];
    int rc;

    rc = elf_parse(img, k->elf, k->len, err, sizeof(err));
    if ( !rc )
        rc = elf_xen_check(img, err, sizeof(err));
    if ( rc )
    {
        printk(XENLOG_ERR "Dom0 kernel image refused: %s\n", err);
        return rc;
    }
    printk("Dom0 kernel: 64-bit PV, \"%s\", virtual %#lx-%#lx, entry %#lx\n",
           img->guest_os, img->virt_kstart, img->virt_kend, img->virt_entry);
    rc = elf_xen_features_ok(img, true, err, sizeof(err));
    if ( rc )
        printk(XENLOG_ERR "Dom0 kernel image refused: %s\n", err);
    return rc;
}

/* vCPU 0 starts at the entry, on the boot stack, start_info in rsi. */
static void dom0_init_vcpu(struct vcpu *v, const struct builder *b,
                           const struct elf_image *img, unsigned long l4_mfn)
{
    v->guest_table = l4_mfn;
    v->kernel_mode = true;
    memset(&v->regs, 0, sizeof(v->regs));
    v->regs.rip = img->virt_entry;
    v->regs.rsp = b->l.vstack_end;
    v->regs.rsi = b->l.vstartinfo_start;
    v->regs.rflags = X86_EFLAGS_IF | X86_EFLAGS_MBS;
    v->regs.cs = GUEST_CS64;
    v->regs.ss = GUEST_DS;
}

int dom0_construct(struct domain *d, const struct dom0_kernel *k,
                   const struct boot_module *image,
                   const struct boot_module *initrd, unsigned long nr_pages)
{
    static struct elf_image img;
    struct builder b = { .d = d, .nr_pages = nr_pages };
    unsigned long initrd_len = initrd ? initrd->end - initrd->start : 0;
    unsigned long l4_mfn;
    int rc;

    if ( (rc = dom0_check_kernel(&img, k)) )
        return rc;
    rc = compute_layout(&b.l, &img, initrd_len, nr_pages);
    if ( rc )
    {
        printk(XENLOG_ERR "Dom0 kernel image refused: %s\n",
               rc == -ENOMEM ? "its initial mapping does not fit in dom0_mem"
                             : "its initial mapping is outside the guest range");
        return rc;
    }

    while ( (PAGE_SIZE << b.p2m_order) < nr_pages * sizeof(unsigned long) )
        b.p2m_order++;
    b.p2m = alloc_xenheap_pages(b.p2m_order);
    if ( !b.p2m || allocate_memory(&b) )
    {
        printk(XENLOG_ERR "Not enough memory for a %lu-page dom0\n", nr_pages);
        return -ENOMEM;
    }

    elf_load(&img, copy_in, zero_in, &b);
    if ( initrd_len )
        copy_in(&b, b.l.vinitrd_start, __va(initrd->start), initrd_len);
    copy_in(&b, b.l.vphysmap_start, b.p2m, nr_pages * sizeof(unsigned long));
    zero_in(&b, b.l.vstack_start, PAGE_SIZE);
    if ( img.virt_hypercall != ELF_UNSET )
        hypercall_page_fill(gva_ptr(&b, img.virt_hypercall));
    l4_mfn = build_page_tables(&b);
    fill_start_info(&b, &img, module_args(image), initrd_len);
    free_xenheap_pages(b.p2m, b.p2m_order);
    dom0_init_vcpu(d->vcpu[0], &b, &img, l4_mfn);

    printk("Dom0 layout: %#lx-%#lx, %lu pages, start_info %#lx, "
           "page tables %#lx (%lu frames), stack top %#lx\n",
           b.l.v_start, b.l.v_end, nr_pages, b.l.vstartinfo_start,
           b.l.vpt_start, b.l.nr_pt_pages, b.l.vstack_end);
    return 0;
}
