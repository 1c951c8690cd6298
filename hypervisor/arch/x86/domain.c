/*
 * x86 vCPU state that a context switch saves and restores (called by
 * common/schedule.c under the hypervisor lock, on the exit path):
 *  - page tables (CR3: the kernel or user L4 per the vCPU's mode),
 *  - GDT frames and LDT in this CPU's windows,
 *  - data segment selectors and the FS/GS bases (both GS bases: the
 *    hypervisor never swaps GS, so the MSRs hold the guest's values),
 *  - FPU/SSE state (FXSAVE, eagerly) and the virtual CR0.TS,
 *  - debug registers when the guest uses them.
 * The hypervisor itself runs without FPU/SSE (-mno-sse), so guest FPU
 * state stays live in the registers between entry and exit.
 */
#include <xenia/lib.h>
#include <xenia/arch.h>
#include <xenia/mm.h>
#include <xenia/processor.h>
#include <xenia/sched.h>
#include <xenia/pv_traps.h>
#include "x86.h"

#define FXSAVE_SIZE 512

int arch_vcpu_create(struct vcpu *v)
{
    uint8_t *fx = alloc_xenheap_pages(0);

    if ( !fx )
        return -1;
    /* The state FNINIT leaves: FCW 0x37f, MXCSR 0x1f80, all tags empty. */
    fx[0] = 0x7f;
    fx[1] = 0x03;
    fx[24] = 0x80;
    fx[25] = 0x1f;
    v->fpu_area = fx;
    return 0;
}

void arch_vcpu_destroy(struct vcpu *v)
{
    if ( v->fpu_area )
        free_xenheap_pages(v->fpu_area, 0);
    v->fpu_area = NULL;
}

static uint16_t read_sel(int which)
{
    uint16_t s = 0;

    switch ( which )
    {
    case 0: __asm__ __volatile__ ( "mov %%ds, %0" : "=r" (s) ); break;
    case 1: __asm__ __volatile__ ( "mov %%es, %0" : "=r" (s) ); break;
    case 2: __asm__ __volatile__ ( "mov %%fs, %0" : "=r" (s) ); break;
    case 3: __asm__ __volatile__ ( "mov %%gs, %0" : "=r" (s) ); break;
    }
    return s;
}

/* Loads a selector the guest chose; one that no longer loads becomes 0. */
#define LOAD_SEG(seg, val)                                              \
    __asm__ __volatile__ (                                              \
        "1: mov %k0, %%" seg "\n"                                       \
        "2:\n"                                                          \
        ".section .fixup, \"ax\"\n"                                     \
        "3: xor %k0, %k0\n"                                             \
        "   jmp 1b\n"                                                   \
        ".previous\n"                                                   \
        ".section __ex_table, \"a\"\n"                                  \
        "   .quad 1b, 3b\n"                                             \
        ".previous" : "+r" (val) :: "memory" )

void arch_save_vcpu(struct vcpu *v)
{
    v->sel_ds = read_sel(0);
    v->sel_es = read_sel(1);
    v->sel_fs = read_sel(2);
    v->sel_gs = read_sel(3);
    v->fs_base = rdmsr(MSR_FS_BASE);
    v->gs_base = rdmsr(MSR_GS_BASE);
    v->gs_shadow = rdmsr(MSR_SHADOW_GS_BASE);
    __asm__ __volatile__ ( "clts; fxsave64 (%0)" :: "r" (v->fpu_area)
                           : "memory" );
    if ( v->dr[7] & 0xff )
        write_debugreg(7, 0);
}

void arch_load_vcpu(struct vcpu *v)
{
    unsigned int ds = v->sel_ds, es = v->sel_es, fs = v->sel_fs,
                 gs = v->sel_gs;

    write_cr3((v->kernel_mode ? v->guest_table : v->guest_table_user)
              << PAGE_SHIFT);
    pv_load_gdt(v);
    pv_load_ldt(v);
    LOAD_SEG("ds", ds);
    LOAD_SEG("es", es);
    LOAD_SEG("fs", fs);
    LOAD_SEG("gs", gs);
    wrmsr(MSR_FS_BASE, v->fs_base);
    wrmsr(MSR_GS_BASE, v->gs_base);
    wrmsr(MSR_SHADOW_GS_BASE, v->gs_shadow);
    __asm__ __volatile__ ( "clts; fxrstor64 (%0)" :: "r" (v->fpu_area)
                           : "memory" );
    if ( v->fpu_ts )
        write_cr0(read_cr0() | X86_CR0_TS);
    if ( v->dr[7] & 0xff )
    {
        unsigned int i;

        for ( i = 0; i < 4; i++ )
            write_debugreg(i, v->dr[i]);
        write_debugreg(6, v->dr[6]);
        write_debugreg(7, v->dr[7]);
    }
}

void arch_load_idle(void)
{
    __asm__ __volatile__ ( "lldt %w0" :: "r" (0) );
    write_cr3(__pa(idle_l4()));
}
