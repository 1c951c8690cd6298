/*
 * Layout of the register frame every entry path builds on the hypervisor
 * stack, shared by entry.S and C (checked with static asserts in traps.c).
 *
 * Each CPU has a STACK_SIZE-aligned stack block; struct cpu_info sits at its
 * very top, and begins with the frame of the guest context that entered on
 * this CPU: TSS.RSP0 points just past guest_regs, so interrupts and
 * exceptions from ring 3 land there, and the SYSCALL stub builds the same
 * frame in the same place. Hence get_cpu_info() from any stack address, and
 * guest_regs() always at a fixed address.
 */
#ifndef XENIA_ASM_DEFNS_H
#define XENIA_ASM_DEFNS_H

#define REGS_R15        0
#define REGS_RBX        40
#define REGS_R11        48
#define REGS_RAX        80
#define REGS_RCX        88
#define REGS_RDI        112
#define REGS_ERROR_CODE 120
#define REGS_VECTOR     124
#define REGS_RIP        128
#define REGS_CS         136
#define REGS_RFLAGS     144
#define REGS_RSP        152
#define REGS_SS         160
#define REGS_SIZE       168

#define CPUINFO_SIZE    184     /* sizeof(struct cpu_info) */

/* Entry "vectors" beyond the IDT's, marking how the frame was built. */
#define ENTRY_SYSCALL   0x100
#define ENTRY_SYSCALL32 0x101

#define TRAP_divide_error       0
#define TRAP_debug              1
#define TRAP_nmi                2
#define TRAP_int3               3
#define TRAP_overflow           4
#define TRAP_bounds             5
#define TRAP_invalid_op         6
#define TRAP_no_device          7
#define TRAP_double_fault       8
#define TRAP_invalid_tss        10
#define TRAP_no_segment         11
#define TRAP_stack_error        12
#define TRAP_gp_fault           13
#define TRAP_page_fault         14
#define TRAP_copro_error        16
#define TRAP_alignment_check    17
#define TRAP_machine_check      18
#define TRAP_simd_error         19

#define LAPIC_TIMER_VECTOR      0xf0
#define EVENT_CHECK_VECTOR      0xf1    /* IPI: look at pending work */
#define INVALIDATE_TLB_VECTOR   0xf2    /* IPI: flush the TLB */
#define SPURIOUS_VECTOR         0xff

#endif /* XENIA_ASM_DEFNS_H */
