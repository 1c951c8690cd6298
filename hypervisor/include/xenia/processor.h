/* x86-64 instruction wrappers, MSR numbers and page-table entry bits. */
#ifndef XENIA_PROCESSOR_H
#define XENIA_PROCESSOR_H

#include <xenia/types.h>
#include <xenia/page_bits.h>

#define MSR_EFER            0xc0000080
#define MSR_STAR            0xc0000081
#define MSR_LSTAR           0xc0000082
#define MSR_CSTAR           0xc0000083
#define MSR_SYSCALL_MASK    0xc0000084
#define MSR_FS_BASE         0xc0000100
#define MSR_GS_BASE         0xc0000101
#define MSR_SHADOW_GS_BASE  0xc0000102
#define MSR_APIC_BASE       0x0000001b
#define MSR_SYSENTER_CS     0x00000174
#define MSR_SYSENTER_ESP    0x00000175
#define MSR_SYSENTER_EIP    0x00000176
#define MSR_PAT             0x00000277

#define EFER_SCE            (1UL << 0)
#define EFER_LME            (1UL << 8)
#define EFER_NXE            (1UL << 11)

#define X86_CR0_PE          (1UL << 0)
#define X86_CR0_MP          (1UL << 1)
#define X86_CR0_EM          (1UL << 2)
#define X86_CR0_TS          (1UL << 3)
#define X86_CR0_NE          (1UL << 5)
#define X86_CR0_WP          (1UL << 16)
#define X86_CR0_PG          (1UL << 31)
#define X86_CR4_PAE         (1UL << 5)
#define X86_CR4_OSFXSR      (1UL << 9)
#define X86_CR4_OSXMMEXCPT  (1UL << 10)

#define X86_EFLAGS_CF       (1UL << 0)
#define X86_EFLAGS_MBS      (1UL << 1)
#define X86_EFLAGS_TF       (1UL << 8)
#define X86_EFLAGS_IF       (1UL << 9)
#define X86_EFLAGS_DF       (1UL << 10)
#define X86_EFLAGS_IOPL     (3UL << 12)
#define X86_EFLAGS_NT       (1UL << 14)
#define X86_EFLAGS_RF       (1UL << 16)
#define X86_EFLAGS_VM       (1UL << 17)
#define X86_EFLAGS_AC       (1UL << 18)

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ __volatile__ ( "outb %0, %1" :: "a" (v), "Nd" (port) );
}
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;

    __asm__ __volatile__ ( "inb %1, %0" : "=a" (v) : "Nd" (port) );
    return v;
}
static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ __volatile__ ( "outw %0, %1" :: "a" (v), "Nd" (port) );
}
static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;

    __asm__ __volatile__ ( "rdmsr" : "=a" (lo), "=d" (hi) : "c" (msr) );
    return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ __volatile__ ( "wrmsr" :: "c" (msr), "a" ((uint32_t)v),
                           "d" ((uint32_t)(v >> 32)) );
}
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ __volatile__ ( "rdtsc" : "=a" (lo), "=d" (hi) );
    return ((uint64_t)hi << 32) | lo;
}
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b,
                         uint32_t *c, uint32_t *d)
{
    __asm__ __volatile__ ( "cpuid" : "=a" (*a), "=b" (*b), "=c" (*c), "=d" (*d)
                           : "0" (leaf), "2" (sub) );
}
#define DEFINE_CR(n)                                                        \
static inline unsigned long read_cr##n(void)                                \
{                                                                           \
    unsigned long v;                                                        \
    __asm__ __volatile__ ( "mov %%cr" #n ", %0" : "=r" (v) );               \
    return v;                                                               \
}                                                                           \
static inline void write_cr##n(unsigned long v)                             \
{                                                                           \
    __asm__ __volatile__ ( "mov %0, %%cr" #n :: "r" (v) : "memory" );       \
}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(4)
#undef DEFINE_CR

static inline unsigned long read_cr3(void)
{
    unsigned long v;
    __asm__ __volatile__ ( "mov %%cr3, %0" : "=r" (v) );
    return v;
}

/*
 * Loading CR3 flushes the whole TLB (CR4.PGE is off), so every load ticks
 * the TLB-flush clock (arch/x86/smp.c): a frame stamped with the clock
 * when its last typed reference went needs no flush on a CPU that has
 * loaded CR3 since (tlbflush_filter).
 */
void write_cr3(unsigned long v);

static inline void invlpg(unsigned long va)
{
    __asm__ __volatile__ ( "invlpg (%0)" :: "r" (va) : "memory" );
}
static inline void flush_tlb_local(void)
{
    write_cr3(read_cr3());
}
static inline void local_irq_disable(void)
{
    __asm__ __volatile__ ( "cli" ::: "memory" );
}
static inline void local_irq_enable(void)
{
    __asm__ __volatile__ ( "sti" ::: "memory" );
}
static inline void safe_halt(void)
{
    __asm__ __volatile__ ( "sti; hlt" ::: "memory" );
}
static inline void cpu_relax(void)
{
    __asm__ __volatile__ ( "pause" ::: "memory" );
}
static inline unsigned long read_rflags(void)
{
    unsigned long f;

    __asm__ __volatile__ ( "pushf; pop %0" : "=r" (f) );
    return f;
}

#endif /* XENIA_PROCESSOR_H */
