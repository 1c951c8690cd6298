/*
 * Domain lifecycle: creation, shutdown on request, and crash.
 *
 * This rung runs only the initial domain, so shutdown and crash of the
 * hardware domain end the machine with the documented exit codes
 * (docs/booting.md), as Xen halts or reboots when its dom0 goes.
 */
#include <xenia/lib.h>
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
    return id < MAX_DOMAINS ? domain_list[id] : NULL;
}

struct domain *domain_create(domid_t id, bool privileged, unsigned int max_vcpus)
{
    struct domain *d;
    unsigned int i;

    if ( id >= MAX_DOMAINS || domain_list[id] || !max_vcpus ||
         max_vcpus > MAX_VIRT_CPUS )
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
    d->shared_info = alloc_xenheap_pages(0);
    if ( !d->shared_info )
        goto fail;
    d->shared_info_mfn = virt_to_mfn(d->shared_info);
    if ( evtchn_init(d) )
        goto fail;
    sched_add_domain(d);
    if ( gnttab_domain_init(d) )
        goto fail;
    /* Shared with the guest, which maps it writable by its MFN. */
    mfn_to_page(d->shared_info_mfn)->owner = id;
    mfn_to_page(d->shared_info_mfn)->count_info = 1;
    for ( i = 0; i < max_vcpus; i++ )
    {
        struct vcpu *v = alloc_xenheap_pages(0);

        if ( !v )
            goto fail;
        v->vcpu_id = i;
        v->domain = d;
        v->kernel_mode = true;
        if ( i < XEN_LEGACY_MAX_VCPUS )
            v->vcpu_info = &d->shared_info->vcpu_info[i];
        v->vcpu_info->evtchn_upcall_mask = 1;
        v->dr[6] = 0xffff0ff0UL;
        v->dr[7] = 0x400UL;
        v->periodic_period = 10000000UL;     /* Xen's default: 10 ms */
        v->down = i != 0;                    /* secondaries: VCPUOP_up */
        d->vcpu[i] = v;
        if ( arch_vcpu_create(v) )
            goto fail;
        sched_add_vcpu(v);
    }
    domain_list[id] = d;
    if ( privileged && !hardware_domain )
        hardware_domain = d;
    return d;

 fail:
    for ( i = 0; i < max_vcpus; i++ )
        if ( d->vcpu[i] )
        {
            sched_remove_vcpu(d->vcpu[i]);
            arch_vcpu_destroy(d->vcpu[i]);
            free_xenheap_pages(d->vcpu[i], 0);
        }
    gnttab_domain_release(d);
    if ( d->evtchn )
        free_xenheap_pages(d->evtchn, 4);
    if ( d->shared_info )
        free_xenheap_pages(d->shared_info, 0);
    free_xenheap_pages(d, 0);
    return NULL;
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
    gnttab_domain_release(hardware_domain);
    if ( opt_audit )
        pv_audit_domain_release(hardware_domain);
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
