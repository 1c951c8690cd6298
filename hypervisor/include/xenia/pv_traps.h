/* PV guest CPU virtualisation: traps, callbacks, modes (arch/x86/pv). */
#ifndef XENIA_PV_TRAPS_H
#define XENIA_PV_TRAPS_H

#include <xenia/types.h>
#include <xenia/current.h>

struct vcpu;
struct domain;

/* Bounces an exception to the guest's trap-table handler (or crashes it). */
void pv_inject_exception(struct cpu_regs *regs, unsigned int vec,
                         bool has_error, uint32_t error);
void pv_inject_gp(struct cpu_regs *regs, uint32_t error);
void pv_inject_page_fault(struct cpu_regs *regs, unsigned long addr,
                          uint32_t error);
/* Switches between guest kernel and guest user mode (GS base, CR3). */
void pv_toggle_guest_mode(struct vcpu *v);

/*
 * VMASST_TYPE_architectural_iopl (pv/vm_assist.c): with it the guest
 * kernel counts as CPL 0 for the virtual IOPL, the iret hypercall loads
 * the virtual IOPL from its frame (pv_iret_iopl) and bounce frames report
 * it (pv_frame_iopl: the EFLAGS.IOPL bits to merge, 0 without the assist).
 */
bool pv_architectural_iopl(const struct domain *d);
void pv_iret_iopl(struct vcpu *v, uint64_t rflags);
uint64_t pv_frame_iopl(const struct vcpu *v);

/* Emulation (pv/emulate.c, pv/ptwr.c): true when handled. */
bool pv_emulate_gp(struct cpu_regs *regs);
bool pv_emulate_ud(struct cpu_regs *regs);
bool pv_ptwr_fault(struct cpu_regs *regs, unsigned long addr);

/* Descriptor tables (pv/descriptor.c). */
int pv_set_ldt(struct vcpu *v, unsigned long base, unsigned int ents);
void pv_load_gdt(struct vcpu *v);
void pv_load_ldt(struct vcpu *v);
int pv_set_gdt(struct vcpu *v, const unsigned long *frames,
               unsigned int entries);

/*
 * Debug registers as HYPERVISOR_set_debugreg sets them. pv_check_debugreg
 * validates value for reg and canonicalises both (DR4/DR5 alias DR6/DR7,
 * reserved bits forced) without changing v: 0, -EPERM, -EINVAL or -ENODEV.
 * pv_write_debugreg stores a checked value (and loads it if v is
 * running here); pv_set_debugreg does both.
 */
int pv_check_debugreg(const struct vcpu *v, unsigned int *reg,
                      unsigned long *value);
void pv_write_debugreg(struct vcpu *v, unsigned int reg, unsigned long value);
int pv_set_debugreg(struct vcpu *v, unsigned int reg, unsigned long value);
void write_debugreg(unsigned int reg, unsigned long v);
long pv_get_debugreg(struct vcpu *v, unsigned int reg);

#endif /* XENIA_PV_TRAPS_H */
