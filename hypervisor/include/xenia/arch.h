/*
 * The arch interface: every hook common/ calls that arch/x86 implements,
 * with its contract. The boundary in one place: a common/ file that needs
 * the architecture includes this header (and the service headers below),
 * never arch/x86/x86.h.
 *
 * Besides these hooks, arch/x86 implements a few service interfaces that
 * common/ uses through their own headers: guest memory access
 * (xenia/guest_access.h), the frame table's references and types of PV
 * direct paging (xenia/pv_mm.h, arch/x86/pv/page_types.c), the heap and
 * xenheap (xenia/mm.h), TLB flushes and IPIs (xenia/smp.h), the clock
 * (xenia/time.h), the serial line (xenia/console.h) and the current vCPU
 * (xenia/current.h).
 */
#ifndef XENIA_ARCH_H
#define XENIA_ARCH_H

#include <xenia/types.h>

struct domain;
struct vcpu;
struct vcpu_guest_context;

/* ---- vCPUs (arch/x86/domain.c, pv/vcpu_context.c) ---- */

/*
 * arch_vcpu_create(v): the arch half of a new vCPU (its FPU area, in the
 * state FNINIT leaves); 0, or -1 when memory is short. arch_vcpu_destroy
 * undoes it, and is safe on a vCPU whose create failed.
 */
int arch_vcpu_create(struct vcpu *v);
void arch_vcpu_destroy(struct vcpu *v);

/*
 * The context switch, on the CPU that switches, under the hypervisor
 * lock (arch/x86/domain.c says what the state is): arch_save_vcpu(prev)
 * keeps what the CPU holds of prev (segment selectors and bases, FPU,
 * debug registers); arch_load_vcpu(next) loads next's (page tables,
 * GDT and LDT, segments, FPU); arch_load_idle() leaves guest page tables.
 */
void arch_save_vcpu(struct vcpu *v);
void arch_load_vcpu(struct vcpu *v);
void arch_load_idle(void);

/*
 * VCPUOP_initialise and XEN_DOMCTL_setvcpucontext: checks every value of
 * c, then takes the references it needs, all or nothing; 0, -EEXIST
 * (already initialised) or -EINVAL, with v unchanged on failure. v is
 * not running. arch_get_info_guest fills c from v (paused or current).
 */
int arch_set_info_guest(struct vcpu *v, const struct vcpu_guest_context *c);
void arch_get_info_guest(struct vcpu *v, struct vcpu_guest_context *c);

/* ---- domains (arch/x86/pv/mm.c, pv/traps.c) ---- */

/*
 * A dying domain, all vCPUs stopped, gives back what its vCPUs and pins
 * hold and the allocation reference of each of its frames (walking its
 * page list). Frames others still map survive until they are unmapped.
 */
void arch_domain_relinquish(struct domain *d);
/*
 * The same release for the hardware domain at shutdown, then a check
 * that every frame it owns is back to its allocation reference alone;
 * logs and returns the number of frames that leak references.
 */
unsigned long arch_audit_domain_release(struct domain *d);
/* Writes the 128 32-byte hypercall stubs into a guest page. */
void hypercall_page_fill(void *page);

/*
 * Grant mappings in page tables (arch/x86/pv/grant_table.c; the host unit
 * tests provide their own), for common/grant_table.c. They return GNTST_okay or GNTST_general_error and change
 * nothing on failure. 'flags' are the GNTMAP_* flags of the mapping.
 *
 *  arch_gnttab_create_host_mapping(ld, addr, frame, flags, pte_maddr)
 *      Makes the calling domain ld map 'frame' at 'addr': a virtual
 *      address of its current page tables, or with GNTMAP_contains_pte
 *      the machine address of the L1 entry. The entry must lie in a
 *      validated L1 table owned by ld. The PTE is present, read-only with
 *      GNTMAP_readonly, user-accessible with GNTMAP_application_map (else
 *      a guest-kernel mapping). The entry it replaces is released as
 *      mmu_update would release it; the new PTE takes no references (the
 *      caller took them and hands them over). Stores the machine address
 *      of the entry in *pte_maddr. Called with no grant lock held.
 *
 *  arch_gnttab_replace_host_mapping(ld, addr, frame, flags, new_addr)
 *      Clears the L1 entry named by 'addr' (as above) if it maps 'frame',
 *      present, and writable exactly when the mapping is. With a
 *      non-zero new_addr (a virtual address; not with
 *      GNTMAP_contains_pte) it puts there instead the L1 entry that
 *      mapped new_addr, and clears that one: the entry moves with its
 *      references. Drops no references and flushes nothing: the caller
 *      flushes TLBs, then takes back the grant's references. It writes
 *      PTEs and nothing else, so it may be called under the mapper's
 *      grant lock.
 *
 *  arch_gnttab_release_host_mapping(d, pte_maddr, frame, flags)
 *      Teardown of domain d, which is not running: the same check and
 *      clear, at the entry recorded when the mapping was made. Returns
 *      true if it cleared the entry (the caller now owns its references),
 *      false if the entry no longer maps the frame (the references went,
 *      or will go, with the page table that held it).
 */
int arch_gnttab_create_host_mapping(struct domain *ld, uint64_t addr,
                                    unsigned long frame, unsigned int flags,
                                    uint64_t *pte_maddr);
int arch_gnttab_replace_host_mapping(struct domain *ld, uint64_t addr,
                                     unsigned long frame, unsigned int flags,
                                     uint64_t new_addr);
bool arch_gnttab_release_host_mapping(struct domain *d, uint64_t pte_maddr,
                                      unsigned long frame, unsigned int flags);

/* ---- the machine (arch/x86/traps.c) ---- */

/* Ends the machine: QEMU's isa-debug-exit codes, see docs/booting.md. */
enum xenia_exit {
    XENIA_EXIT_POWEROFF = 0x10,     /* QEMU status 33 */
    XENIA_EXIT_CRASH    = 0x11,     /* QEMU status 35 */
    XENIA_EXIT_PANIC    = 0x12,     /* QEMU status 37 */
    XENIA_EXIT_REBOOT   = 0x13,     /* QEMU status 39 */
};
void __noreturn machine_exit(enum xenia_exit code);

#endif /* XENIA_ARCH_H */
