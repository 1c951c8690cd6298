/*
 * features.h: feature bits reported by XENVER_get_features (submap 0)
 * and requested by guests in the FEATURES / SUPPORTED_FEATURES ELF notes.
 * The values are bit numbers.
 */
#ifndef XEN_PUBLIC_FEATURES_H
#define XEN_PUBLIC_FEATURES_H

/* The hypervisor emulates guest writes to its own page tables. */
#define XENFEAT_writable_page_tables       0
/* The hypervisor emulates writes to descriptor-table pages. */
#define XENFEAT_writable_descriptor_tables 1
/* The guest sees pseudo-physical addresses only (HVM/PVH; never PV). */
#define XENFEAT_auto_translated_physmap    2
/* The guest kernel runs in ring 0 (obsolete; never for 64-bit PV). */
#define XENFEAT_supervisor_mode_kernel     3
/* A PAE page directory may live above 4 GiB (32-bit PV). */
#define XENFEAT_pae_pgdir_above_4gb        4
/* MMU_PT_UPDATE_PRESERVE_AD is available. */
#define XENFEAT_mmu_pt_update_preserve_ad  5
/* Highmem assistance via mmuext ops (32-bit PV). */
#define XENFEAT_highmem_assist             6
/* GNTTABOP_map_grant_ref honours the guest-available PTE bits. */
#define XENFEAT_gnttab_map_avail_bits      7
/* HVM: event upcalls through a vector. */
#define XENFEAT_hvm_callback_vector        8
/* HVM: safe to use PV clock. */
#define XENFEAT_hvm_safe_pvclock           9
/* HVM: PIRQs are routed to event channels. */
#define XENFEAT_hvm_pirqs                 10
/* The guest may run as dom0 (a kernel must set it in SUPPORTED_FEATURES). */
#define XENFEAT_dom0                      11
/* ARM: grant mappings are 1:1. */
#define XENFEAT_grant_map_identity        12
/* XENMEM ops accept vNUMA node arguments. */
#define XENFEAT_memory_op_vnode_supported 13
/* ARM: SMCCC is available. */
#define XENFEAT_ARM_SMCCC_supported       14
/* The kernel may place the ACPI RSDP anywhere (PVH dom0). */
#define XENFEAT_linux_rsdp_unrestricted   15
/* ARM: domain memory is (not) 1:1 mapped. */
#define XENFEAT_not_direct_mapped         16
#define XENFEAT_direct_mapped             17

#define XENFEAT_NR_SUBMAPS 1

#endif /* XEN_PUBLIC_FEATURES_H */
