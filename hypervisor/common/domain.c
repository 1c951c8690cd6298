/*
 * Domain lifecycle: creation, shutdown on request, crash, destruction.
 *
 * Domains live in a small table searched by id (ids come from the
 * toolstack or a rover in domctl.c, up to DOMID_FIRST_RESERVED).
 * Shutdown and crash stop a domain's vCPUs and raise VIRQ_DOM_EXC in the
 * hardware domain; destruction (domain_kill) returns every frame, grant,
 * event channel and hypervisor page. Shutdown and crash of the hardware
 * domain end the machine with the documented exit codes
 * (docs/booting.md), as Xen halts or reboots when its dom0 goes.
 *
 * Locking: all of this runs under the hypervisor lock. A domain can be
 * killed while another CPU waits (with the lock dropped) for one of its
 * vCPUs to leave a CPU; such a waiter holds a reference (get_domain), and
 * the struct is freed only when the last reference goes.
 */
#include <xenia/lib.h>
#include <xenia/time.h>
#include <xenia/arch.h>
#include <xenia/errno.h>
#include <xenia/mm.h>
#include <xenia/sched.h>
#include <xenia/pv_mm.h>
#include <xenia/grant_table.h>
#include <public/sched.h>

bool opt_audit = true;

struct domain *hardware_domain;
static struct domain *domain_list[MAX_DOMAINS];

struct domain *domain_by_id(domid_t id)
{
    unsigned int i;

    for ( i = 0; i < MAX_DOMAINS; i++ )
        if ( domain_list[i] && domain_list[i]->domain_id == id )
            return domain_list[i];
    return NULL;
}

struct domain *domain_in_slot(unsigned int slot)
{
    return slot < MAX_DOMAINS ? domain_list[slot] : NULL;
}

struct domain *domain_first_from(domid_t id)
{
    struct domain *best = NULL;
    unsigned int i;

    for ( i = 0; i < MAX_DOMAINS; i++ )
        if ( domain_list[i] && domain_list[i]->domain_id >= id &&
             (!best || domain_list[i]->domain_id < best->domain_id) )
            best = domain_list[i];
    return best;
}

void get_domain(struct domain *d)
{
    d->refcnt++;
}

static void free_domain_struct(struct domain *d)
{
    unsigned int i;

    for ( i = 0; i < d->max_vcpus; i++ )
        if ( d->vcpu[i] )
        {
            arch_vcpu_destroy(d->vcpu[i]);
            free_xenheap_pages(d->vcpu[i], 0);
        }
    evtchn_free_tables(d);
    free_xenheap_pages(d, 0);
}

void put_domain(struct domain *d)
{
    ASSERT(d->refcnt);
    if ( !--d->refcnt && d->state == DOMAIN_DYING )
        free_domain_struct(d);
}

static int list_insert(struct domain *d)
{
    unsigned int i;

    for ( i = 0; i < MAX_DOMAINS; i++ )
        if ( !domain_list[i] )
        {
            domain_list[i] = d;
            return 0;
        }
    return -ENOMEM;
}

static void list_remove(struct domain *d)
{
    unsigned int i;

    for ( i = 0; i < MAX_DOMAINS; i++ )
        if ( domain_list[i] == d )
            domain_list[i] = NULL;
}

/* Undoes domain_create's allocations (nothing of it has run yet). */
static void destroy_new_domain(struct domain *d)
{
    unsigned int i;

    for ( i = 0; i < d->max_vcpus; i++ )
        if ( d->vcpu[i] && d->vcpu[i]->fpu_area )
            sched_remove_vcpu(d->vcpu[i]);
    sched_remove_domain(d);
    gnttab_domain_release(d);
    if ( d->shared_info )
        free_xenheap_pages(d->shared_info, 0);
    d->state = DOMAIN_DYING;
    free_domain_struct(d);
}

struct domain *domain_create(domid_t id, bool privileged, unsigned int max_vcpus)
{
    struct domain *d;
    unsigned int i;

    if ( domain_by_id(id) || !max_vcpus || max_vcpus > MAX_VIRT_CPUS )
        return NULL;
    BUILD_BUG_ON(sizeof(struct domain) > PAGE_SIZE);
    BUILD_BUG_ON(sizeof(struct vcpu) > PAGE_SIZE);
    d = alloc_xenheap_pages(0);
    if ( !d )
        return NULL;
    d->domain_id = id;
    d->is_privileged = privileged;
    d->max_vcpus = max_vcpus;
    d->state = DOMAIN_RUNNING;
    d->shutdown_code = 0xffff;      /* none yet (Xen's SHUTDOWN_CODE_INVALID) */
    d->vcpus_visible = true;
    d->max_evtchn_port = ~0u;       /* createdomain narrows it */
    page_list_init(&d->page_list);
    sched_add_domain(d);
    d->shared_info = alloc_xenheap_pages(0);
    if ( !d->shared_info || evtchn_init(d) || gnttab_domain_init(d) )
        goto fail;
    for ( i = 0; i < max_vcpus; i++ )
    {
        struct vcpu *v = alloc_xenheap_pages(0);

        if ( !v )
            goto fail;
        v->vcpu_id = i;
        v->domain = d;
        v->kernel_mode = true;
        v->vcpu_info = &d->shared_info->vcpu_info[i];
        v->vcpu_info->evtchn_upcall_mask = 1;
        v->dr[6] = 0xffff0ff0UL;
        v->dr[7] = 0x400UL;
        v->periodic_period = 10000000UL;     /* Xen's default: 10 ms */
        v->down = true;                      /* until a context is set */
        d->vcpu[i] = v;
        if ( arch_vcpu_create(v) )
            goto fail;
        sched_add_vcpu(v);
    }
    if ( list_insert(d) )
        goto fail;
    d->refcnt = 1;                  /* the domain list's reference */
    /* Shared with the guest, which maps it writable by its MFN. */
    d->shared_info_mfn = virt_to_mfn(d->shared_info);
    mfn_to_page(d->shared_info_mfn)->owner = id;
    mfn_to_page(d->shared_info_mfn)->count_info = 1;
    if ( privileged && !hardware_domain )
        hardware_domain = d;
    return d;

 fail:
    destroy_new_domain(d);
    return NULL;
}

/* A dead domain whose last frame went leaves the list (and its memory). */
static void domain_unlist(struct domain *d)
{
    list_remove(d);
    put_domain(d);
}

void domain_assign_frame(struct domain *d, unsigned long mfn)
{
    struct page_info *pg = mfn_to_page(mfn);

    pg->owner = d->domain_id;
    pg->count_info = 1;
    pg->flags = PGC_allocated | PGC_counted;
    page_list_add(&d->page_list, pg);
    d->tot_pages++;
}

void domain_frame_freed(struct page_info *pg)
{
    struct domain *d = domain_by_id(pg->owner);

    if ( !d || !d->tot_pages )
        return;
    page_list_del(&d->page_list, pg);
    if ( !--d->tot_pages && d->state == DOMAIN_DYING && d->shared_info == NULL )
        domain_unlist(d);
}

/*
 * XEN_DOMCTL_destroydomain: stops d for good and returns everything it
 * holds. Frames others still map (foreign or grant mappings) stay until
 * they are unmapped; until then d stays listed as dying with those frames
 * in tot_pages, as in Xen. -EINVAL for oneself or the hardware domain.
 */
int domain_kill(struct domain *d)
{
    unsigned int i;

    if ( d == current->domain || d == hardware_domain )
        return -EINVAL;
    if ( d->state == DOMAIN_DYING )
        return 0;
    get_domain(d);
    d->state = DOMAIN_DYING;
    for ( i = 0; i < d->max_vcpus; i++ )
        vcpu_update_runnable(d->vcpu[i]);
    for ( i = 0; i < d->max_vcpus; i++ )
        vcpu_sleep_sync(d->vcpu[i]);
    evtchn_destroy(d);
    gnttab_domain_release(d);
    arch_domain_relinquish(d);
    for ( i = 0; i < d->max_vcpus; i++ )
        sched_remove_vcpu(d->vcpu[i]);
    sched_remove_domain(d);
    /* shared_info goes when its last mapping does. */
    put_page(mfn_to_page(d->shared_info_mfn));
    d->shared_info = NULL;
    printk("Domain %u destroyed%s\n", d->domain_id,
           d->tot_pages ? " (frames still mapped elsewhere)" : "");
    if ( hardware_domain )
        send_guest_global_virq(hardware_domain, VIRQ_DOM_EXC);
    if ( !d->tot_pages )
        domain_unlist(d);
    put_domain(d);
    return 0;
}

/* A domain stopped running: its vCPUs leave their CPUs; tell dom0. */
static void domain_stopped(struct domain *d)
{
    unsigned int i;

    for ( i = 0; i < d->max_vcpus; i++ )
        if ( d->vcpu[i] )
            vcpu_update_runnable(d->vcpu[i]);
    if ( hardware_domain && hardware_domain != d )
        send_guest_global_virq(hardware_domain, VIRQ_DOM_EXC);
}

static const char *shutdown_reason(unsigned int r)
{
    static const char *const names[] = {
        [SHUTDOWN_poweroff] = "poweroff", [SHUTDOWN_reboot] = "reboot",
        [SHUTDOWN_suspend] = "suspend", [SHUTDOWN_crash] = "crash",
        [SHUTDOWN_watchdog] = "watchdog", [SHUTDOWN_soft_reset] = "soft_reset",
    };

    return r < ARRAY_SIZE(names) && names[r] ? names[r] : "unknown";
}

/* The hardware domain has gone: end the machine the way Xen would. */
static void __noreturn hwdom_gone(unsigned int reason)
{
    uint64_t ns = boot_wallclock_nsec() + get_s_time();

    /* The test harness stamps this line: the wall clock's accuracy. */
    printk("XENIA-STAMP: hypervisor-wallclock real=%lu.%09lu\n",
           (unsigned long)(boot_wallclock_sec() + ns / 1000000000UL),
           (unsigned long)(ns % 1000000000UL));
    gnttab_domain_release(hardware_domain);
    evtchn_fifo_destroy(hardware_domain);
    if ( opt_audit )
        arch_audit_domain_release(hardware_domain);
    switch ( reason )
    {
    case SHUTDOWN_poweroff:
        printk("Hardware domain powered off: exiting\n");
        machine_exit(XENIA_EXIT_POWEROFF);
    case SHUTDOWN_crash:
    case SHUTDOWN_watchdog:
        printk("Hardware domain crashed: exiting\n");
        machine_exit(XENIA_EXIT_CRASH);
    default:
        printk("Hardware domain shut down (%s): rebooting\n",
               shutdown_reason(reason));
        machine_exit(XENIA_EXIT_REBOOT);
    }
}

void domain_shutdown(struct domain *d, unsigned int reason)
{
    if ( d->state != DOMAIN_RUNNING )
        return;                 /* the first reason sticks, as in Xen */
    printk("Domain %u shutdown: reason %u (%s)\n", d->domain_id, reason,
           shutdown_reason(reason));
    d->state = DOMAIN_SHUTDOWN;
    d->shutdown_code = reason;
    if ( d == hardware_domain )
        hwdom_gone(reason);
    domain_stopped(d);
}

static void __noreturn crash_common(struct domain *d)
{
    if ( d->state == DOMAIN_RUNNING )
        d->state = DOMAIN_SHUTDOWN;
    d->shutdown_code = SHUTDOWN_crash;
    if ( d == hardware_domain )
        hwdom_gone(SHUTDOWN_crash);
    domain_stopped(d);
    /* The exit path schedules away from the stopped vCPU. */
    reset_stack_and_enter_guest(guest_regs());
}

void __noreturn domain_crash(struct domain *d, const char *fmt, ...)
{
    va_list ap;
    char buf[160];

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    printk(XENLOG_ERR "Domain %u crashed: %s\n", d->domain_id, buf);
    crash_common(d);
}
