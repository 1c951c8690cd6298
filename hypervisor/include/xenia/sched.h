/*
 * Domains and virtual CPUs.
 *
 * A domain owns frames (page_info.owner), a shared_info page and up to
 * MAX_VIRT_CPUS vCPUs. A vCPU's guest register state lives in the CPU's
 * guest_regs frame while it runs and in vcpu->regs otherwise.
 */
#ifndef XENIA_SCHED_H
#define XENIA_SCHED_H

#include <xenia/types.h>
#include <xenia/current.h>
#include <xenia/event.h>
#include <public/xen.h>

struct domain;

/* Callbacks a PV guest registers (CALLBACKTYPE_*). */
enum pv_callback {
    CB_EVENT, CB_FAILSAFE, CB_SYSCALL, CB_SYSCALL32, CB_SYSENTER, CB_NMI,
    NR_CALLBACKS
};

struct vcpu {
    unsigned int vcpu_id;
    struct domain *domain;
    struct cpu_regs regs;           /* saved guest state when not running */
    bool kernel_mode;               /* guest kernel (vs guest user) mode */
    unsigned long guest_table;      /* MFN of the kernel-mode L4 */
    unsigned long guest_table_user; /* MFN of the user-mode L4, 0 if none */
    vcpu_info_t *vcpu_info;
    bool is_running;

    /* PV CPU state (arch/x86/pv). */
    uint64_t trap_addr[256];        /* set_trap_table handlers, 0 = none */
    uint8_t trap_flags[256];        /* bits 0-1 DPL for int n, bit 2 mask */
    uint64_t callback[NR_CALLBACKS];
    bool callback_masks[NR_CALLBACKS]; /* CALLBACKF_mask_events */
    uint64_t kernel_sp;             /* stack_switch */
    uint16_t kernel_ss;
    uint64_t cr2;                   /* virtual CR2 */
    uint64_t cr4;                   /* guest-controlled CR4 bits */
    bool fpu_ts;                    /* guest-visible CR0.TS */
    unsigned int iopl;              /* virtual IOPL, 0-3 */
    unsigned long iobmp;            /* PHYSDEVOP_set_iobitmap: guest VA */
    unsigned int iobmp_limit;       /* ports it covers */
    uint64_t dr[8];
    unsigned long gdt_frames[14];
    unsigned int gdt_ents;
    unsigned long ldt_base;
    unsigned int ldt_ents;
    unsigned long runstate_area;    /* guest VA, 0 = none */

    /* Events and time (common/event_channel.c, common/vcpu.c). */
    uint16_t virq_to_port[24];
    bool blocked;                   /* SCHEDOP_block: waiting for an event */
    bool polling;                   /* SCHEDOP_poll: any new event wakes it */
    uint64_t poll_deadline;         /* system time (ns), 0 = none */
    bool vcpu_info_registered;
    uint64_t singleshot_deadline;   /* system time (ns), 0 = none */
    uint64_t periodic_period, periodic_next;
    uint64_t runstate_entry_time;
};

enum domain_state {
    DOMAIN_RUNNING,
    DOMAIN_SHUTDOWN,    /* stopped by its own or the toolstack's request */
    DOMAIN_DYING,
};

struct domain {
    domid_t domain_id;
    bool is_privileged;
    enum domain_state state;
    unsigned int shutdown_code;     /* SHUTDOWN_* when DOMAIN_SHUTDOWN */
    unsigned int max_vcpus;
    struct vcpu *vcpu[MAX_VIRT_CPUS];
    shared_info_t *shared_info;
    unsigned long shared_info_mfn;
    unsigned long tot_pages, max_pages;
    uint8_t handle[16];
    uint64_t vm_assist;
    struct evtchn *evtchn;          /* EVTCHN_NR_PORTS entries */
};

extern struct domain *hardware_domain;
struct domain *domain_by_id(domid_t id);

struct domain *domain_create(domid_t id, bool privileged, unsigned int max_vcpus);
/* Ends the domain at the guest's request (SCHEDOP_shutdown). */
void domain_shutdown(struct domain *d, unsigned int reason);
/*
 * Kills a misbehaving domain: logs why with the vCPU's registers and
 * stops it. Never returns to the caller's guest context.
 */
void __noreturn domain_crash(struct domain *d, const char *fmt, ...) __printf(2, 3);
void __noreturn vcpu_crash(struct cpu_regs *regs, const char *fmt, ...) __printf(2, 3);

/* Entry points called from entry.S. */
void do_syscall_entry(struct cpu_regs *regs);
void guest_exit_work(void);
void handle_guest_iret_fault(struct cpu_regs *regs);

/* Platform exit (isa-debug-exit codes, see docs/booting.md). */
enum xenia_exit {
    XENIA_EXIT_POWEROFF = 0x10,     /* QEMU status 33 */
    XENIA_EXIT_CRASH    = 0x11,     /* QEMU status 35 */
    XENIA_EXIT_PANIC    = 0x12,     /* QEMU status 37 */
    XENIA_EXIT_REBOOT   = 0x13,     /* QEMU status 39 */
};
void __noreturn machine_exit(enum xenia_exit code);

#endif /* XENIA_SCHED_H */
