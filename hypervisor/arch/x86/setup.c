/*
 * start_xenia: the boot CPU's path from head.S to the first guest.
 *
 *   serial -> multiboot data copied out -> command line -> memory (boot
 *   allocator, direct map, frame table, heap) -> descriptor tables and
 *   SYSCALL -> M2P -> timer -> dom0 built from module 0 -> enter dom0.
 */
#include <xenia/lib.h>
#include <xenia/config.h>
#include <xenia/processor.h>
#include <xenia/cmdline.h>
#include <xenia/grant_table.h>
#include <xenia/console.h>
#include <xenia/mm.h>
#include <xenia/sched.h>
#include <xenia/smp.h>
#include <xenia/time.h>
#include "x86.h"

#define MB_LOADER_MAGIC 0x2badb002
#define MBI_CMDLINE     (1u << 2)
#define MBI_MODULES     (1u << 3)
#define MBI_MMAP        (1u << 6)

struct multiboot_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
};
struct multiboot_module {
    uint32_t mod_start, mod_end, string, reserved;
};
struct multiboot_mmap {
    uint32_t size;
    uint64_t addr, len;
    uint32_t type;
} __packed;

struct e820_entry e820[E820_MAX];
unsigned int e820_nr;
struct boot_module boot_modules[MAX_MODULES];
unsigned int nr_boot_modules;
extern char saved_cmdline[1024];

static char opt_dom0_mem[64];
static char opt_console[32] = "com1";
static char opt_loglvl[32] = "info";

static int set_console(const char *v)
{
    strlcpy(opt_console, v, sizeof(opt_console));
    return console_parse_console(v);
}
static int set_loglvl(const char *v)
{
    strlcpy(opt_loglvl, v, sizeof(opt_loglvl));
    return console_parse_loglvl(v);
}
static int set_dom0_mem(const char *v)
{
    struct dom0_mem_spec spec;

    if ( strlen(v) >= sizeof(opt_dom0_mem) || parse_dom0_mem(v, &spec) )
        return -1;
    strlcpy(opt_dom0_mem, v, sizeof(opt_dom0_mem));
    return 0;
}

extern bool opt_audit;

static const struct param xenia_params[] = {
    { "audit", PARAM_BOOL, &opt_audit, 0, NULL },
    { "console", PARAM_CUSTOM, NULL, 0, set_console },
    { "loglvl", PARAM_CUSTOM, NULL, 0, set_loglvl },
    { "dom0_mem", PARAM_CUSTOM, NULL, 0, set_dom0_mem },
    { "gnttab", PARAM_CUSTOM, NULL, 0, gnttab_parse_option },
};

static void report_option(const char *what, const char *opt)
{
    printk(XENLOG_WARNING "Command line: %s '%s' (ignored)\n", what, opt);
}

static const char *safe_string(uint32_t pa)
{
    if ( !pa || pa >= (1u << 30) )
        return "";
    return __va(pa);
}

/* Copies everything needed out of the loader's data; returns its end. */
static paddr_t read_multiboot(uint32_t magic, uint32_t mbi_pa)
{
    const struct multiboot_info *mbi = __va(mbi_pa);
    paddr_t end = mbi_pa + sizeof(*mbi);
    unsigned int i;

    if ( magic != MB_LOADER_MAGIC )
        panic("not started by a multiboot loader (magic %#x)", magic);
    if ( mbi->flags & MBI_CMDLINE )
    {
        const char *c = safe_string(mbi->cmdline);

        /* The loader passes the image name first; skip it, as Xen does. */
        while ( *c && *c != ' ' )
            c++;
        while ( *c == ' ' )
            c++;
        strlcpy(saved_cmdline, c, sizeof(saved_cmdline));
        end = MAX(end, (paddr_t)mbi->cmdline + strlen(safe_string(mbi->cmdline)) + 1);
    }
    if ( !(mbi->flags & MBI_MMAP) )
        panic("the boot loader gave no memory map");
    for ( i = 0; i + sizeof(uint32_t) < mbi->mmap_length && e820_nr < E820_MAX; )
    {
        const struct multiboot_mmap *m = __va(mbi->mmap_addr + i);

        e820[e820_nr++] = (struct e820_entry){ m->addr, m->len, m->type };
        i += m->size + sizeof(m->size);
    }
    end = MAX(end, (paddr_t)mbi->mmap_addr + mbi->mmap_length);
    if ( mbi->flags & MBI_MODULES )
    {
        const struct multiboot_module *mod = __va(mbi->mods_addr);

        for ( i = 0; i < mbi->mods_count && i < MAX_MODULES; i++ )
        {
            boot_modules[i].start = mod[i].mod_start;
            boot_modules[i].end = mod[i].mod_end;
            strlcpy(boot_modules[i].cmdline, safe_string(mod[i].string),
                    sizeof(boot_modules[i].cmdline));
            end = MAX(end, (paddr_t)mod[i].mod_end);
            if ( mod[i].mod_end > (1u << 30) || mod[i].mod_end < mod[i].mod_start )
                panic("boot module %u at %#x-%#x is not usable", i,
                      mod[i].mod_start, mod[i].mod_end);
        }
        nr_boot_modules = i;
        end = MAX(end, (paddr_t)mbi->mods_addr + i * sizeof(*mod));
    }
    return end;
}

static void print_banner(void)
{
    printk(" __  __                _\n");
    printk(" \\ \\/ /___ _ __  (_) __ _\n");
    printk("  \\  // _ \\ '_ \\ | |/ _` |\n");
    printk("  /  \\  __/ | | || | (_| |\n");
    printk(" /_/\\_\\___|_| |_||_|\\__,_|   Xen 4.17 PV ABI\n");
    printk("Xenia version 4.17-xenia (%s), built " __DATE__ " " __TIME__ "\n",
           XENIA_CHANGESET);
}

/*
 * Dom0's initial size in pages; *max_pages gets its ceiling, as Xen's
 * dom0_mem=...,max:N sets it (without max:, all of RAM: dom0 may balloon
 * up to everything).
 */
static unsigned long dom0_pages(unsigned long *max_pages)
{
    struct dom0_mem_spec spec;
    unsigned long long avail = falloc_free_pages(&heap) * PAGE_SIZE;
    unsigned long nr;

    memset(&spec, 0, sizeof(spec));
    if ( opt_dom0_mem[0] )
        parse_dom0_mem(opt_dom0_mem, &spec);
    /* Keep room for the hypervisor's own allocations. */
    avail = avail > (8ULL << 20) ? avail - (8ULL << 20) : 0;
    nr = dom0_mem_resolve(&spec, avail) >> PAGE_SHIFT;
    *max_pages = spec.have_max ? MAX(nr, (unsigned long)(spec.max >> PAGE_SHIFT))
                               : MAX(nr, max_page);
    return nr;
}

void __noreturn start_xenia(uint32_t magic, uint32_t mbi_pa);
void __noreturn start_xenia(uint32_t magic, uint32_t mbi_pa)
{
    extern char __image_end[];
    paddr_t loader_end;
    struct domain *d0;
    struct dom0_kernel kernel;
    unsigned long max_pages;
    unsigned int i;

    serial_init();
    loader_end = read_multiboot(magic, mbi_pa);
    cmdline_parse(saved_cmdline, xenia_params, ARRAY_SIZE(xenia_params),
                  report_option);
    print_banner();
    printk("Command line: %s\n", saved_cmdline);
    for ( i = 0; i < e820_nr; i++ )
        printk(" E820 %016lx - %016lx type %u\n", e820[i].addr,
               e820[i].addr + e820[i].size, e820[i].type);

    mm_early_init(MAX(loader_end, (paddr_t)__pa(__image_end)));
    mm_init();
    idt_init();
    percpu_traps_init(0, cpu0_stack);
    write_cr0(read_cr0() | X86_CR0_WP);
    m2p_init();
    time_init();
    /* APs wait for the lock in their idle loops until dom0 is ready. */
    hv_lock();
    smp_boot_cpus();
    sched_init();

    if ( !nr_boot_modules )
        panic("no dom0 kernel: give one as the first multiboot module");
    /* As Xen: one dom0 vCPU per CPU (dom0_max_vcpus default). */
    d0 = domain_create(0, true, nr_cpus_online);
    if ( !d0 )
        panic("could not create domain 0");
    /* Unpacked before dom0's size is chosen: the buffer is heap memory. */
    if ( dom0_kernel_unpack(&boot_modules[0], &kernel) ||
         dom0_construct(d0, &kernel, &boot_modules[0],
                        nr_boot_modules > 1 ? &boot_modules[1] : NULL,
                        dom0_pages(&max_pages)) )
        panic("Could not set up DOM0 guest OS");
    d0->max_pages = max_pages;
    dom0_kernel_release(&kernel);
    release_boot_modules();

    printk("Starting dom0 (%lu KiB, at most %lu KiB)\n", d0->tot_pages << 2,
           d0->max_pages << 2);
    d0->shared_info->wc_sec = (uint32_t)boot_wallclock_sec();
    d0->shared_info->wc_sec_hi = boot_wallclock_sec() >> 32;
    d0->shared_info->wc_nsec = boot_wallclock_nsec();
    printk("Wall clock at system time 0: %lu.%09u (now %lu s since boot)\n",
           (unsigned long)boot_wallclock_sec(), boot_wallclock_nsec(),
           (unsigned long)(get_s_time() / 1000000000UL));
    d0->shared_info->wc_version = 2;
    update_vcpu_system_time(d0->vcpu[0]);
    d0->vcpu[0]->initialised = true;
    d0->vcpu[0]->down = false;
    vcpu_update_runnable(d0->vcpu[0]);
    idle_loop();
}