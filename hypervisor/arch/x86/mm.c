/*
 * The hypervisor's own memory: boot allocator, page-table construction for
 * its mappings, the direct map of RAM, the frame table, the heap, and the
 * read-only machine-to-phys table guests see at RO_MPT_VIRT_START.
 *
 * Boot order: head.S maps the first GiB (image, direct map); mm_early_init
 * places a bump allocator above everything the loader put in memory;
 * mm_init maps the rest of RAM, builds the frame table and hands all free
 * RAM to the buddy allocator; from then on page tables come from the heap.
 */
#include <xenia/lib.h>
#include <xenia/config.h>
#include <xenia/processor.h>
#include <xenia/mm.h>
#include <xenia/sched.h>
#include <xenia/smp.h>
#include "x86.h"

struct page_info *frame_table;
unsigned long max_page;
struct frame_allocator heap;
uint64_t *machine_to_phys_mapping;

static paddr_t bootmem_start, bootmem_cur, bootmem_end;
static bool heap_ready;

#define EARLY_MAPPED_LIMIT (1UL << 30)  /* head.S maps the first GiB */
#define BOOTMEM_SIZE       (64UL << 20)

uint64_t *idle_l4(void)
{
    return boot_l4;
}

static void *boot_alloc_pages(unsigned long nr)
{
    paddr_t pa = bootmem_cur;

    if ( pa + nr * PAGE_SIZE > bootmem_end )
        panic("boot allocator exhausted (%lu pages requested)", nr);
    bootmem_cur += nr * PAGE_SIZE;
    memset(__va(pa), 0, nr * PAGE_SIZE);
    return __va(pa);
}

/*
 * Frames freed since the last machine-wide flush: a CPU may still hold a
 * stale translation of one (the guest flushes its TLB when it wants to),
 * so the heap flushes every CPU before it hands out any frame again.
 */
static bool freed_frames_unflushed;
static uint64_t freed_frames_stamp;     /* the clock at the latest free */

static void flush_before_reuse(void)
{
    if ( freed_frames_unflushed )
    {
        freed_frames_unflushed = false;
        flush_tlb_mask(tlbflush_filter(cpu_online_mask, freed_frames_stamp));
    }
}

long heap_alloc(unsigned int order)
{
    flush_before_reuse();
    return falloc_alloc(&heap, order);
}

void *alloc_xenheap_pages(unsigned int order)
{
    long mfn;
    void *va;

    if ( !heap_ready )
        return boot_alloc_pages(1UL << order);
    mfn = heap_alloc(order);
    if ( mfn < 0 )
        return NULL;
    va = mfn_to_virt((unsigned long)mfn);
    memset(va, 0, PAGE_SIZE << order);
    return va;
}

void free_xenheap_pages(void *va, unsigned int order)
{
    BUG_ON(falloc_free(&heap, virt_to_mfn(va), order));
}

static uint64_t *next_table(uint64_t *entry, uint64_t user)
{
    if ( !(*entry & _PAGE_PRESENT) )
    {
        void *t = alloc_xenheap_pages(0);

        BUG_ON(!t);
        *entry = __pa(t) | _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | user;
    }
    else
    {
        BUG_ON(*entry & _PAGE_PSE);
        *entry |= user;
    }
    return __va(*entry & PADDR_MASK);
}

void map_pages_to_xen(unsigned long va, unsigned long mfn, unsigned long nr,
                      uint64_t flags)
{
    uint64_t user = flags & _PAGE_USER;
    bool small = flags & MAP_SMALL_PAGES;

    bool invlpg_only = flags & MAP_LOCAL_INVLPG;

    if ( invlpg_only )
        small = true;
    flags &= ~(MAP_SMALL_PAGES | MAP_LOCAL_INVLPG);
    while ( nr )
    {
        uint64_t *l3 = next_table(&boot_l4[l4_table_offset(va)], user);
        uint64_t *l2 = next_table(&l3[l3_table_offset(va)], user);

        if ( !small && !(va & (L2_PAGE_SIZE - 1)) &&
             !(mfn & ((L2_PAGE_SIZE >> PAGE_SHIFT) - 1)) &&
             nr >= (L2_PAGE_SIZE >> PAGE_SHIFT) &&
             !(l2[l2_table_offset(va)] & _PAGE_PRESENT) )
        {
            l2[l2_table_offset(va)] = (mfn << PAGE_SHIFT) | flags | _PAGE_PSE;
            va += L2_PAGE_SIZE;
            mfn += L2_PAGE_SIZE >> PAGE_SHIFT;
            nr -= L2_PAGE_SIZE >> PAGE_SHIFT;
            continue;
        }
        {
            uint64_t *l1 = next_table(&l2[l2_table_offset(va)], user);

            l1[l1_table_offset(va)] = (mfn << PAGE_SHIFT) | flags;
            invlpg(va);
        }
        va += PAGE_SIZE;
        mfn++;
        nr--;
    }
    if ( !invlpg_only )
        flush_tlb_local();
}

void mm_early_init(paddr_t reserved_end)
{
    unsigned int i;

    /* First RAM above everything the loader placed, within the early map. */
    bootmem_start = ROUNDUP(reserved_end, L2_PAGE_SIZE);
    for ( i = 0; i < e820_nr; i++ )
    {
        uint64_t s = MAX(e820[i].addr, bootmem_start);
        uint64_t e = MIN(e820[i].addr + e820[i].size, EARLY_MAPPED_LIMIT);

        if ( e820[i].type == E820_RAM && e > s && e - s >= BOOTMEM_SIZE / 4 )
        {
            bootmem_start = bootmem_cur = ROUNDUP(s, PAGE_SIZE);
            bootmem_end = MIN(e, s + BOOTMEM_SIZE);
            return;
        }
    }
    panic("no RAM for the boot allocator above %#lx", (unsigned long)reserved_end);
}

/* Adds RAM [s, e) to the heap, minus the ranges Xenia itself occupies. */
static unsigned long heap_add(paddr_t s, paddr_t e, const paddr_t (*excl)[2],
                              unsigned int nexcl)
{
    unsigned int i;
    unsigned long added = 0;

    s = ROUNDUP(s, PAGE_SIZE);
    e = ROUNDDOWN(e, PAGE_SIZE);
    for ( i = 0; i < nexcl && s < e; i++ )
    {
        if ( excl[i][1] <= s || excl[i][0] >= e )
            continue;
        if ( excl[i][0] > s )
            added += heap_add(s, excl[i][0], excl + i + 1, nexcl - i - 1);
        s = MAX(s, excl[i][1]);
    }
    if ( s < e )
        added += falloc_add_range(&heap, s >> PAGE_SHIFT, (e - s) >> PAGE_SHIFT);
    return added;
}

unsigned long heap_total_pages;

void release_boot_modules(void)
{
    extern char __image_end[];
    const paddr_t excl[3][2] = {
        { 0, 1UL << 20 },
        { XENIA_LOAD_PADDR, __pa(__image_end) },
        { bootmem_start, bootmem_end },
    };
    unsigned long added = 0;
    unsigned int i;

    /* Whole pages only: a module's edges may share a page with other data. */
    for ( i = 0; i < nr_boot_modules; i++ )
        added += heap_add(ROUNDUP(boot_modules[i].start, PAGE_SIZE),
                          ROUNDDOWN(boot_modules[i].end, PAGE_SIZE), excl, 3);
    heap_total_pages += added;
    nr_boot_modules = 0;
    printk("Boot modules: %lu KiB returned to the heap\n", added << 2);
}

#define FIRMWARE_MAP_MAX   (16UL << 20)

/* A firmware range the direct map covers (read-only): see mm_init(). */
static bool e820_firmware_mapped(unsigned int i)
{
    const struct e820_entry *r = &e820[i];

    return r->type >= E820_RESERVED && r->type <= E820_NVS &&
           r->addr + r->size <= (1UL << 32) && r->size <= FIRMWARE_MAP_MAX;
}

bool direct_mapped(paddr_t pa, unsigned long len)
{
    unsigned int i;

    if ( pa + len < pa )
        return false;
    if ( pa + len <= EARLY_MAPPED_LIMIT )
        return true;
    for ( i = 0; i < e820_nr; i++ )
        if ( (e820[i].type == E820_RAM || e820_firmware_mapped(i)) &&
             pa >= e820[i].addr && pa + len <= e820[i].addr + e820[i].size )
            return true;
    return false;
}

/*
 * Direct-maps the e820 ranges beyond what head.S mapped (the first GiB):
 * RAM read-write; firmware tables (ACPI, NVS and reserved ranges below
 * 4 GiB) read-only. QEMU puts its ACPI tables in a reserved range at the
 * top of low RAM, past the first GiB once RAM is 2 GiB or more.
 */
static void map_e820_above_early(bool firmware)
{
    unsigned int i;

    for ( i = 0; i < e820_nr; i++ )
    {
        paddr_t s = ROUNDDOWN(e820[i].addr, PAGE_SIZE);
        paddr_t e = ROUNDUP(e820[i].addr + e820[i].size, PAGE_SIZE);

        if ( (firmware ? !e820_firmware_mapped(i)
                       : e820[i].type != E820_RAM) ||
             e <= EARLY_MAPPED_LIMIT )
            continue;
        s = MAX(s, EARLY_MAPPED_LIMIT);
        map_pages_to_xen(DIRECTMAP_VIRT_START + s, s >> PAGE_SHIFT,
                         (e - s) >> PAGE_SHIFT,
                         firmware ? _PAGE_PRESENT | _PAGE_ACCESSED |
                                    MAP_SMALL_PAGES
                                  : _PAGE_PRESENT | _PAGE_RW |
                                    _PAGE_ACCESSED | _PAGE_DIRTY);
    }
}

/*
 * What the heap must not hand out, sorted by start (heap_add wants that):
 * the BIOS area, the image and boot memory, the boot modules. Returns the
 * number of ranges.
 */
static unsigned int heap_exclusions(paddr_t excl[][2])
{
    extern char __image_end[];
    unsigned int i, j, n = 0;

    excl[n][0] = 0;                                  /* BIOS, low 1 MiB */
    excl[n++][1] = 1UL << 20;
    excl[n][0] = XENIA_LOAD_PADDR;                   /* image + boot memory */
    excl[n++][1] = MAX(__pa(__image_end), bootmem_end);
    for ( i = 0; i < nr_boot_modules; i++ )
    {
        excl[n][0] = ROUNDDOWN(boot_modules[i].start, PAGE_SIZE);
        excl[n++][1] = ROUNDUP(boot_modules[i].end, PAGE_SIZE);
    }
    for ( i = 1; i < n; i++ )
        for ( j = i; j > 0 && excl[j][0] < excl[j - 1][0]; j-- )
        {
            paddr_t t0 = excl[j][0], t1 = excl[j][1];

            excl[j][0] = excl[j - 1][0];
            excl[j][1] = excl[j - 1][1];
            excl[j - 1][0] = t0;
            excl[j - 1][1] = t1;
        }
    return n;
}

static void mark_hypervisor_ram(void)
{
    unsigned int i;

    for ( i = 0; i < e820_nr; i++ )
    {
        unsigned long mfn = MAX(e820[i].addr, 1UL << 20) >> PAGE_SHIFT;
        unsigned long end = (e820[i].addr + e820[i].size + PAGE_SIZE - 1) >>
                            PAGE_SHIFT;

        if ( e820[i].type != E820_RAM )
            continue;
        for ( ; mfn < end && mfn < max_page; mfn++ )
            if ( frame_table[mfn].state == PGS_reserved )
                frame_table[mfn].owner = OWNER_XEN;
    }
}

void mm_init(void)
{
    paddr_t excl[2 + MAX_MODULES][2];
    unsigned int i, nexcl;
    unsigned long ram_pages = 0, added = 0;
    paddr_t top = 0;

    for ( i = 0; i < e820_nr; i++ )
        if ( e820[i].type == E820_RAM )
        {
            top = MAX(top, e820[i].addr + e820[i].size);
            ram_pages += e820[i].size >> PAGE_SHIFT;
        }
    max_page = top >> PAGE_SHIFT;
    if ( top > DIRECTMAP_VIRT_END - DIRECTMAP_VIRT_START )
        panic("RAM above %#lx cannot be direct-mapped",
              DIRECTMAP_VIRT_END - DIRECTMAP_VIRT_START);
    map_e820_above_early(false);
    map_e820_above_early(true);

    /* Every hypervisor L4 slot gets its L3 now, so guests' copies stay valid. */
    for ( i = HV_L4_FIRST_SLOT; i <= HV_L4_LAST_SLOT; i++ )
        next_table(&boot_l4[i], i == l4_table_offset(RO_MPT_VIRT_START)
                                ? _PAGE_USER : 0);

    frame_table = boot_alloc_pages(
        ROUNDUP(max_page * sizeof(struct page_info), PAGE_SIZE) >> PAGE_SHIFT);
    falloc_init(&heap, frame_table, max_page);

    nexcl = heap_exclusions(excl);
    for ( i = 0; i < e820_nr; i++ )
        if ( e820[i].type == E820_RAM )
            added += heap_add(e820[i].addr, e820[i].addr + e820[i].size,
                              excl, nexcl);
    heap_ready = true;
    heap_total_pages = added;
    mark_hypervisor_ram();
    printk("Memory: %lu MiB RAM, %lu frames, heap %lu MiB free\n",
           ram_pages >> 8, max_page, added >> 8);
}

void m2p_init(void)
{
    unsigned long bytes = ROUNDUP(max_page * sizeof(uint64_t), PAGE_SIZE);
    unsigned int order = 0;
    unsigned long i;

    while ( (PAGE_SIZE << order) < bytes )
        order++;
    machine_to_phys_mapping = alloc_xenheap_pages(order);
    if ( !machine_to_phys_mapping )
        panic("no memory for the M2P table (%lu KiB)", bytes >> 10);
    for ( i = 0; i < (PAGE_SIZE << order) / sizeof(uint64_t); i++ )
        machine_to_phys_mapping[i] = ~0UL;
    map_pages_to_xen(RO_MPT_VIRT_START, virt_to_mfn(machine_to_phys_mapping),
                     1UL << order, _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED);
}

/* ---- Hooks for the page-type state machine (include/xenia/pv_mm.h) ---- */

void *arch_frame_ptr(unsigned long mfn)
{
    return mfn_to_virt(mfn);
}

/*
 * A frame's type changed: any CPU may hold a stale translation of it
 * (through its owner's page tables or a privileged mapper's). Only CPUs
 * with some guest's page tables loaded can: CR4.PGE is off, so loading
 * the idle page tables dropped every guest translation.
 */
void arch_flush_tlb(void)
{
    flush_tlb_mask(__atomic_load_n(&guest_loaded_cpumask, __ATOMIC_ACQUIRE));
}

/* Only the CPUs that have not loaded CR3 since stamp (tlbflush_filter). */
void arch_flush_tlb_since(uint64_t stamp)
{
    cpumask_t m = __atomic_load_n(&guest_loaded_cpumask, __ATOMIC_ACQUIRE);

    m = tlbflush_filter(m, stamp);
    if ( m )
        flush_tlb_mask(m);
}

uint64_t arch_tlbflush_stamp(void)
{
    return tlbflush_now();
}

uint64_t arch_hv_l4_entry(unsigned int slot)
{
    return boot_l4[slot];
}

uint64_t arch_nx_mask(void)
{
    return (rdmsr(MSR_EFER) & EFER_NXE) ? _PAGE_NX : 0;
}

void arch_free_domain_frame(unsigned long mfn)
{
    struct page_info *pg = mfn_to_page(mfn);

    if ( pg->flags & PGC_counted )
        domain_frame_freed(pg);
    pg->flags = 0;
    machine_to_phys_mapping[mfn] = ~0UL;
    memset(mfn_to_virt(mfn), 0, PAGE_SIZE);
    BUG_ON(falloc_free(&heap, mfn, 0));
    freed_frames_unflushed = true;
    freed_frames_stamp = tlbflush_now();
}

/*
 * RAM at or above 1 MiB is never I/O memory: it is the heap's or the
 * hypervisor's own (image, boot allocator, boot modules). The first MiB
 * stays I/O memory for dom0 (BIOS, VGA), as in Xen.
 */
static bool e820_ram_above_1m(unsigned long mfn)
{
    paddr_t pa = (paddr_t)mfn << PAGE_SHIFT;
    unsigned int i;

    if ( pa < (1UL << 20) )
        return false;
    for ( i = 0; i < e820_nr; i++ )
        if ( e820[i].type == E820_RAM && pa >= ROUNDDOWN(e820[i].addr, PAGE_SIZE) &&
             pa < e820[i].addr + e820[i].size )
            return true;
    return false;
}

/*
 * Frames of RAM above 1 MiB the heap does not manage (the image, the boot
 * allocator's memory, the edges of boot modules) are the hypervisor's:
 * owner OWNER_XEN, so get_page_from_l1e refuses them like Xen's own.
 */

bool arch_iomem_permitted(unsigned long mfn)
{
    static unsigned int paddr_bits;
    uint32_t a, b, c, d;

    if ( e820_ram_above_1m(mfn) )
        return false;

    if ( !paddr_bits )
    {
        cpuid(0x80000000, 0, &a, &b, &c, &d);
        paddr_bits = 36;
        if ( a >= 0x80000008 )
        {
            cpuid(0x80000008, 0, &a, &b, &c, &d);
            paddr_bits = a & 0xff;
        }
    }
    if ( mfn >> (paddr_bits - PAGE_SHIFT) )
        return false;
    return mfn != (rdmsr(MSR_APIC_BASE) & PADDR_MASK) >> PAGE_SHIFT;
}
