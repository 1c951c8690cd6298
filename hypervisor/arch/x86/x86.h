/* Interfaces private to arch/x86. */
#ifndef XENIA_ARCH_X86_H
#define XENIA_ARCH_X86_H

#include <xenia/types.h>
#include <xenia/current.h>
#include <xenia/time.h>

struct e820_entry {
    uint64_t addr, size;
    uint32_t type;
};
#define E820_RAM        1
#define E820_RESERVED   2
#define E820_ACPI       3
#define E820_NVS        4
#define E820_MAX 64

struct boot_module {
    paddr_t start, end;
    char cmdline[256];
};
#define MAX_MODULES 4

extern struct e820_entry e820[E820_MAX];
extern unsigned int e820_nr;
extern struct boot_module boot_modules[MAX_MODULES];
extern unsigned int nr_boot_modules;
extern uint64_t boot_l4[512];
extern char cpu0_stack[];

/* mm.c */
void mm_early_init(paddr_t reserved_end);
void mm_init(void);
/* Whether [pa, pa+len) is readable through the direct map (RAM, firmware). */
bool direct_mapped(paddr_t pa, unsigned long len);
void m2p_init(void);
extern uint64_t *machine_to_phys_mapping;
/*
 * Maps nr frames from mfn at va in the hypervisor's page tables (shared by
 * every address space for slots 256-271). flags: _PAGE_* bits for the
 * leaf; 2 MiB pages are used where alignment allows unless
 * MAP_SMALL_PAGES is given. Intermediate tables get _PAGE_USER only when
 * the leaf has it.
 */
#define MAP_SMALL_PAGES (1UL << 62)
/* 4 KiB pages, replacing entries of this CPU's private windows: an
 * INVLPG per page instead of a whole local flush. */
#define MAP_LOCAL_INVLPG (1UL << 61)
void map_pages_to_xen(unsigned long va, unsigned long mfn, unsigned long nr,
                      uint64_t flags);
uint64_t *idle_l4(void);

/* traps.c */
void idt_init(void);
void percpu_traps_init(unsigned int cpu, void *stack_block);
void do_trap(struct cpu_regs *regs);
void do_irq(struct cpu_regs *regs);
void show_registers(const struct cpu_regs *regs);
void show_stack_trace(unsigned long rip, unsigned long rbp);
const char *trap_name(unsigned int vec);

/* time.c */
void time_init(void);
void timer_interrupt(void);
void time_init_secondary(void);
uint32_t apic_read(unsigned int reg);
void apic_write(unsigned int reg, uint32_t v);
uint32_t apic_id(void);
#define APIC_EOI        0x0b0
#define APIC_ICR        0x300
#define APIC_ICR2       0x310

/* acpi.c: APIC ids of the enabled CPUs in the MADT (0 if none found). */
unsigned int acpi_cpu_apic_ids(uint32_t *ids, unsigned int max);

/* smp.c */
void smp_boot_cpus(void);
void smp_ipi_interrupt(unsigned int vector);
extern volatile uint64_t jiffies;
#define TIMER_HZ 100

/* pv/traps.c: a fault or exception raised by guest code. */
void pv_guest_exception(struct cpu_regs *regs);

/* pv/dom0_build.c */
struct domain;
/*
 * The initial domain's kernel as an ELF: the boot module itself, or the
 * payload of a bzImage unpacked into a heap block that
 * dom0_kernel_release() returns.
 */
struct dom0_kernel {
    const void *elf;
    size_t len;
    void *buf;
    unsigned int buf_order;
};
int dom0_kernel_unpack(const struct boot_module *m, struct dom0_kernel *k);
void dom0_kernel_release(struct dom0_kernel *k);
int dom0_construct(struct domain *d, const struct dom0_kernel *k,
                   const struct boot_module *image,
                   const struct boot_module *initrd, unsigned long nr_pages);
/*
 * pv/pit.c: PIT channel 2 and port 0x61 emulated for the hardware domain;
 * true when the access was one of those (val in/out, one byte).
 */
bool pv_pit_io(const struct domain *d, unsigned int port, unsigned int bytes,
               bool write, uint32_t *val);
/* Returns the boot modules' frames to the heap once dom0 is built. */
void release_boot_modules(void);

#endif /* XENIA_ARCH_X86_H */
