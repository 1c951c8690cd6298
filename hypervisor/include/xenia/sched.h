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
#include <xenia/mm.h>
#include <xenia/current.h>
#include <xenia/event.h>
#include <xenia/smp.h>
#include <xenia/sched_credit.h>
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

    /* Scheduling (common/schedule.c); all under the hypervisor lock. */
    bool is_running;                /* its state is loaded on a CPU */
    bool initialised;               /* has a guest context to run */
    bool down;                      /* VCPUOP_down, or never brought up */
    bool runnable;                  /* as the scheduler last saw it */
    unsigned int processor;         /* CPU it runs or last ran on */
    struct sched_unit sched;        /* the credit scheduler's view */
    int runstate;                   /* RUNSTATE_* */
    uint64_t runstate_entry_time;
    uint64_t runstate_time[4];

    /* Context-switched hardware state (arch/x86/domain.c). */
    void *fpu_area;                 /* FXSAVE image, 512 bytes */
    uint64_t fs_base, gs_base, gs_shadow;
    uint16_t sel_ds, sel_es, sel_fs, sel_gs;
    unsigned long ldt_frames[16];   /* LDT pages with type references */
    unsigned int ldt_nr_frames;

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
    bool in_multicall;              /* multicalls do not nest */
    /*
     * Hypercall continuations (common/hypercall.c): work units done since
     * the guest last entered the hypervisor, and a sub-call of a multicall
     * that asked to be re-run with the arguments in mc_args.
     */
    unsigned int hc_work;
    bool mc_preempted;
    unsigned int mc_nargs;
    unsigned long mc_args[6];

    /* Events and time (common/event_channel.c, common/vcpu.c). */
    uint16_t virq_to_port[24];
    bool blocked;                   /* SCHEDOP_block: waiting for an event */
    bool polling;                   /* SCHEDOP_poll: any new event wakes it */
    uint64_t poll_deadline;         /* system time (ns), 0 = none */
    bool vcpu_info_registered;
    uint64_t singleshot_deadline;   /* system time (ns), 0 = none */
    uint64_t periodic_period, periodic_next;
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
    struct page_list page_list;     /* the tot_pages frames (xenia/mm.h) */
    uint8_t handle[16];
    uint64_t vm_assist;
    struct evtchn **evtchn;         /* port buckets (xenia/event.h) */
    struct evtchn_fifo_domain *evtchn_fifo;     /* NULL: 2-level ABI */
    uint32_t max_evtchn_port;       /* highest port it may allocate
                                       (createdomain; ~0: no limit) */
    uint32_t evtchn_reset_next;     /* EVTCHNOP_reset preempted: the
                                       port it goes on from (0: none) */
    struct grant_table *grant_table;    /* common/grant_table.c */
    unsigned int pause_count;       /* domctl pausedomain nesting */
    unsigned int refcnt;            /* get_domain/put_domain */
    bool vcpus_visible;             /* XEN_DOMCTL_max_vcpus was done */
    cpumask_t dirty_cpumask;        /* CPUs with its page tables loaded */
    struct sched_dom sched;         /* weight, cap, CPU time */
};

extern struct domain *hardware_domain;
struct domain *domain_by_id(domid_t id);
/* Walking every domain: slots 0 .. MAX_DOMAINS - 1, NULL when empty. */
struct domain *domain_in_slot(unsigned int slot);
/* The domain with the smallest id >= id, or NULL. */
struct domain *domain_first_from(domid_t id);
/* Keeps d's struct alive across a dropped hypervisor lock. */
void get_domain(struct domain *d);
void put_domain(struct domain *d);
int domain_kill(struct domain *d);
/*
 * Gives d a freshly allocated frame: owned by d with its allocation
 * reference (PGC_allocated), counted in tot_pages and on d's page list
 * (PGC_counted). The caller checked max_pages.
 */
void domain_assign_frame(struct domain *d, unsigned long mfn);
/*
 * A frame counted in its owner's tot_pages is being freed: it leaves the
 * owner's page list and count (arch/x86/mm.c, before the heap has it).
 */
void domain_frame_freed(struct page_info *pg);

struct domain *domain_create(domid_t id, bool privileged, unsigned int max_vcpus);
/* Ends the domain at the guest's request (SCHEDOP_shutdown). */
void domain_shutdown(struct domain *d, unsigned int reason);
/*
 * Kills a misbehaving domain: logs why with the vCPU's registers and
 * stops it. Never returns to the caller's guest context.
 */
void __noreturn domain_crash(struct domain *d, const char *fmt, ...) __printf(2, 3);
void __noreturn vcpu_crash(struct cpu_regs *regs, const char *fmt, ...) __printf(2, 3);

/*
 * The hypervisor lock (docs/smp.md): every CPU holds it while it works
 * for a guest -- from entry to the final IRET -- and while it schedules.
 * Interrupt and IPI handlers never take it. A CPU waiting for it does
 * its part of any TLB shootdown meanwhile, so a holder can flush.
 */
void hv_lock(void);
void hv_unlock(void);
bool hv_lock_held(void);

/* Scheduling (common/schedule.c). */
void sched_init(void);
void sched_add_vcpu(struct vcpu *v);
void sched_remove_vcpu(struct vcpu *v);
void sched_add_domain(struct domain *d);
void sched_remove_domain(struct domain *d);
/* Credit parameters (XEN_DOMCTL_SCHEDOP_putinfo): 0 or -EINVAL. */
int sched_set_params(struct domain *d, unsigned int weight, unsigned int cap);
/* Re-evaluates whether v may run after a change to its flags. */
void vcpu_update_runnable(struct vcpu *v);
bool vcpu_runnable(const struct vcpu *v);
/* Wakes v if SCHEDOP_block/poll parked it. */
void vcpu_unblock(struct vcpu *v);
/* Waits (dropping the lock) until v is off every CPU. */
void vcpu_sleep_sync(struct vcpu *v);
void domain_pause(struct domain *d);       /* synchronous */
void domain_unpause(struct domain *d);
/* Timer tick work, run under the lock: timers, slices. */
void sched_tick(void);
void sched_exit_work(void);
void __noreturn idle_loop(void);
void raise_sched_softirq(unsigned int cpu);
void timer_softirq_raise(void);
/* Makes this CPU's timer interrupt come no later than deadline (ns). */
void timer_deadline(uint64_t deadline);
uint64_t vcpu_runstate_time(const struct vcpu *v, int state);

/* Entry points called from entry.S. */
void do_syscall_entry(struct cpu_regs *regs);
void guest_exit_work(void);
void handle_guest_iret_fault(struct cpu_regs *regs);

#endif /* XENIA_SCHED_H */
