/*
 * fuzzchild: the unprivileged domU of the hypercall fuzz test (see
 * fuzz.h for the protocol and fuzzchild.h for the terms).
 *
 * mode=fuzz: issue 'calls' random hypercalls (gen.c) from a seeded
 * xorshift64* stream, every hypercall number 0..63 except iret, through
 * either gate, printing its seed and count first and a progress line
 * every 'progress' calls.  After each call it puts back what the call
 * may have changed under its feet (trap table, callbacks, GDT/LDT,
 * segment bases, FPU and debug state, watchdogs, events mask), so that
 * it keeps running.  Every call is made with known values in rbx, rbp
 * and r12-r15, which the hypervisor must preserve.  It reports
 * "completed", "self_intact" and "registers_preserved" and powers off.
 * A crash of this domain is allowed: what the parent checks is that the
 * hypervisor, dom0 and the witness do not notice.
 *
 * mode=witness: fill a page with a pattern, then until the parent says
 * stop, in rounds: check the pattern, make a few ordinary hypercalls
 * whose results are known, count the round in the status page, sleep
 * a millisecond.  Reports "pattern_intact", "hypercalls_ok" and
 * "reservation_exact".
 *
 * Booted directly as the initial domain it only reports SKIPs.
 */
#include "fuzzchild.h"
#include "xtcons.h"

#include <public/memory.h>
#include <public/version.h>

/* ------------------------------------------------------------------ */
/* Console ring output (replaces the framework's console_io writer).   */

static struct xt_cons_ring *cons;

static bool is_domu(void)
{
    return xt_start_info && !(xt_start_info->flags & SIF_INITDOMAIN);
}

static bool cons_init(void)
{
    uint64_t mfn, pfn;

    if ( cons )
        return true;
    mfn = xt_start_info->console.domU.mfn;
    pfn = xt_m2p[mfn];
    if ( pfn >= xt_start_info->nr_pages )
        return false;
    cons = (struct xt_cons_ring *)(XT_VIRT_BASE + (pfn << 12));
    return true;
}

static void cons_notify(void)
{
    struct evtchn_send s = { .port = xt_start_info->console.domU.evtchn };

    HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
}

void xt_console_write(const char *buf, size_t len)
{
    uint32_t prod;
    size_t i;

    if ( !is_domu() || !cons_init() )
    {
        HYPERVISOR_console_io(CONSOLEIO_write, len, buf);
        return;
    }
    prod = ACCESS_ONCE(cons->out_prod);
    for ( i = 0; i < len; i++ )
    {
        unsigned long spins = 0;

        while ( prod - ACCESS_ONCE(cons->out_cons) >= XT_CONS_OUT_SIZE )
        {
            ACCESS_ONCE(cons->out_prod) = prod;
            cons_notify();
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
            if ( ++spins > 1000000 )
                return;
        }
        cons->out[XT_CONS_OUT_IDX(prod)] = buf[i];
        prod++;
    }
    barrier();
    ACCESS_ONCE(cons->out_prod) = prod;
    cons_notify();
}

/* Wait (bounded) until the parent has read everything we wrote. */
static void cons_drain(void)
{
    unsigned long i;

    for ( i = 0; cons && i < 1000000; i++ )
    {
        if ( ACCESS_ONCE(cons->out_cons) == ACCESS_ONCE(cons->out_prod) )
            return;
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
}

/* ------------------------------------------------------------------ */
/* Command line: space-separated key=value words.                      */

static const char *opt(const char *key)
{
    const char *p = (const char *)xt_start_info->cmd_line;
    size_t klen = strlen(key);

    while ( *p )
    {
        while ( *p == ' ' )
            p++;
        if ( !strncmp(p, key, klen) && p[klen] == '=' )
            return p + klen + 1;
        while ( *p && *p != ' ' )
            p++;
    }
    return NULL;
}

/* A number at p (decimal, or hex with 0x); *end after it. */
static uint64_t parse_num(const char *p, const char **end)
{
    unsigned int base = 10;
    uint64_t v = 0;

    if ( p[0] == '0' && p[1] == 'x' )
    {
        base = 16;
        p += 2;
    }
    for ( ; ; p++ )
    {
        unsigned int d;

        if ( *p >= '0' && *p <= '9' )
            d = *p - '0';
        else if ( base == 16 && *p >= 'a' && *p <= 'f' )
            d = *p - 'a' + 10;
        else
            break;
        v = v * base + d;
    }
    *end = p;
    return v;
}

static uint64_t opt_num(const char *key, uint64_t dflt)
{
    const char *p = opt(key), *end;
    uint64_t v;

    if ( !p )
        return dflt;
    v = parse_num(p, &end);
    return end == p ? dflt : v;
}

/* A ':'-separated list of hex numbers; returns how many went to out. */
static unsigned int opt_list(const char *key, uint64_t *out,
                             unsigned int max)
{
    const char *p = opt(key), *end;
    unsigned int n = 0;
    char tmp[24];

    while ( p && n < max )
    {
        size_t len = 0;

        while ( p[len] && p[len] != ':' && p[len] != ' ' && len < 20 )
            len++;
        memcpy(tmp, "0x", 2);
        memcpy(tmp + 2, p, len);
        tmp[len + 2] = '\0';
        out[n] = parse_num(tmp, &end);
        if ( end != tmp + 2 )
            n++;
        if ( p[len] != ':' )
            break;
        p += len + 1;
    }
    return n;
}

/* ------------------------------------------------------------------ */
/* State shared with the parent.                                       */

static union
{
    struct fz_status s;
    uint8_t page[PAGE_SIZE];
} status_page __attribute__((aligned(PAGE_SIZE)));

#define ST (&status_page.s)

static void publish_status(unsigned int mode)
{
    ST->mode = mode;
    ST->phase = FZ_PHASE_SETUP;
    ST->cur_nr = FZ_IDLE;
    barrier();
    ST->magic = FZ_MAGIC;
    printf(FZ_STATUS_TAG "%#lx\n", (unsigned long)ST);
}

/* ------------------------------------------------------------------ */
/* The fuzzer's set-up.                                                */

/* The arena and, after it, a read-only page that stops our own overruns. */
static uint8_t arena[FZ_ARENA_PAGES + 1][PAGE_SIZE]
    __attribute__((aligned(PAGE_SIZE)));
static uint8_t fz_kstack[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint64_t prot_mfns[4096];
static uint64_t gdt_dummy[16];
static bool fifo;
static unsigned long nr_events, nr_nmis, nr_debug;

#define PTE_RW (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define MB2    (2UL << 20)

/* Events reach us only after SCHEDOP_block: note and acknowledge them. */
static bool quiet_event(struct xt_regs *regs)
{
    struct vcpu_info *vi = xt_vcpu_info();

    (void)regs;
    vi->evtchn_upcall_pending = 0;
    __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    nr_events++;
    return true;
}

static bool nmi_hook(struct xt_regs *regs)
{
    (void)regs;
    nr_nmis++;
    return true;
}

/* A breakpoint the fuzzer set: turn them all off and go on. */
static bool debug_hook(struct xt_regs *regs)
{
    (void)regs;
    HYPERVISOR_set_debugreg(7, 0);
    nr_debug++;
    return true;
}

static void sort(uint64_t *v, unsigned int n)
{
    unsigned int gap, i, j;

    for ( gap = n / 2; gap; gap /= 2 )
        for ( i = gap; i < n; i++ )
            for ( j = i; j >= gap && v[j - gap] > v[j]; j -= gap )
            {
                uint64_t t = v[j];

                v[j] = v[j - gap];
                v[j - gap] = t;
            }
}

static bool is_arena_pfn(uint64_t pfn)
{
    uint64_t first = ((unsigned long)arena - XT_VIRT_BASE) >> 12;

    return pfn >= first && pfn < first + FZ_ARENA_PAGES;
}

/* Our own L1 for the 2 MiB window after the framework's scratch one. */
static long window_init(void)
{
    uint64_t *l1 = xt_alloc_page();
    uint64_t l2e;
    long rc;

    fz.win_va = fz.prot_va_end;
    rc = xt_make_ro(l1);
    l2e = xt_pt_entry_maddr(fz.win_va, 2);
    if ( !rc && l2e )
        rc = xt_mmu_update1(l2e, (xt_virt_to_mfn(l1) << 12) | PTE_RW);
    fz.win_l1_va = (unsigned long)l1;
    fz.win_l1_mfn = xt_virt_to_mfn(l1);
    return rc ?: (l2e ? 0 : -XEN_EFAULT);
}

static void grant_init(void)
{
    static xen_pfn_t frame;
    struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 1 };
    long rc;

    set_xen_guest_handle(st.frame_list, &frame);
    rc = HC(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, &st, 1, 0, 0);
    if ( rc || st.status )
    {
        printf("fuzz: no grant table frame (rc %ld status %d)\n", rc,
               st.status);
        return;
    }
    fz.gnt_mfn = frame;
    fz.gnt_table = xt_map_mfn(frame, PTE_RW);
}

static void m2p_init(void)
{
    struct
    {
        uint32_t max_extents, pad;
        uint64_t extent_start;
        uint32_t nr_extents, pad2;
    } l = { .max_extents = ARRAY_SIZE(fz.m2p_mfn),
            .extent_start = (unsigned long)fz.m2p_mfn };
    long rc;

    rc = HYPERVISOR_memory_op(5 /* XENMEM_machphys_mfn_list */, &l);
    fz.nr_m2p = rc ? 0 : l.nr_extents;
    if ( fz.nr_m2p > ARRAY_SIZE(fz.m2p_mfn) )
        fz.nr_m2p = ARRAY_SIZE(fz.m2p_mfn);
    rc = HYPERVISOR_memory_op(XENMEM_maximum_ram_page, NULL);
    fz.max_mfn = rc > 0 ? (uint64_t)rc : 0x100000;
}

static long timer_init(void)
{
    struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv);

    if ( rc )
        return rc;
    fz.timer_port = bv.port;
    xt_smp_mask(bv.port);
    return 0;
}

static long fuzz_setup(void)
{
    start_info_t *si = xt_start_info;
    uint64_t pfn, mapped;
    unsigned int i;
    long rc;

    fz.nr_pages = si->nr_pages;
    fz.map_end_pfn = (xt_initial_mapping_end() - XT_VIRT_BASE) >> 12;
    mapped = fz.map_end_pfn < fz.nr_pages ? fz.map_end_pfn : fz.nr_pages;
    fz.arena = (unsigned long)arena;
    for ( i = 0; i < FZ_ARENA_PAGES; i++ )
        fz.arena_mfn[i] = xt_virt_to_mfn(arena[i]);
    /* All ones: an entry every list hypercall refuses (see fit_list). */
    memset(arena[FZ_ARENA_PAGES], 0xff, PAGE_SIZE);
    rc = xt_make_ro(arena[FZ_ARENA_PAGES]);
    if ( rc )
        return rc;
    for ( pfn = 0; pfn < mapped && fz.nr_prot < ARRAY_SIZE(prot_mfns);
          pfn++ )
        if ( !is_arena_pfn(pfn) )
            prot_mfns[fz.nr_prot++] = xt_p2m[pfn];
    sort(prot_mfns, fz.nr_prot);
    fz.prot = prot_mfns;

    /* As mm.c places it: the scratch window is the 2 MiB after us. */
    fz.prot_va_start = XT_VIRT_BASE;
    fz.prot_va_end = ((xt_initial_mapping_end() + MB2 - 1) & ~(MB2 - 1)) +
                     MB2;
    rc = window_init();
    if ( rc )
        return rc;

    fz.l4_va = (unsigned long)xt_cur_l4;
    fz.l4_mfn = xt_virt_to_mfn(xt_cur_l4);
    fz.shinfo_mfn = si->shared_info >> 12;
    fz.cons_port = si->console.domU.evtchn;
    fz.store_port = si->store_evtchn;
    fz.kstack_top = (unsigned long)fz_kstack + sizeof(fz_kstack);
    fz.self = opt_num("self", DOMID_SELF);
    fz.witness = opt_num("witness", DOMID_INVALID);
    fz.nr_other = opt_list("wmfn", fz.other_mfn, FZ_MAX_OTHER / 2);
    fz.nr_other += opt_list("dmfn", fz.other_mfn + fz.nr_other,
                            FZ_MAX_OTHER - fz.nr_other);
    fz.risk = opt_num("risk", 0);
    fz.shapes = opt_num("shapes", 0);
    grant_init();
    m2p_init();
    rc = timer_init();
    if ( rc )
        return rc;
    HYPERVISOR_stack_switch(FLAT_KERNEL_SS, fz.kstack_top);
    xt_event_hook = quiet_event;
    xt_trap_hooks[X86_EXC_NMI] = nmi_hook;
    xt_trap_hooks[X86_EXC_DB] = debug_hook;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Putting things back after a call.                                   */

static void restore(unsigned int r)
{
    struct callback_unregister nmi = { .type = CALLBACKTYPE_nmi };
    struct sched_watchdog wd = { .timeout = 0 };
    unsigned int i;

    if ( r & FZ_R_CALLBACKS )
    {
        xt_register_callback(CALLBACKTYPE_event,
                             (unsigned long)xt_event_entry, 0);
        xt_register_callback(CALLBACKTYPE_failsafe,
                             (unsigned long)xt_failsafe_entry,
                             CALLBACKF_mask_events);
        xt_register_callback(CALLBACKTYPE_syscall,
                             (unsigned long)xt_syscall_entry,
                             CALLBACKF_mask_events);
        HYPERVISOR_callback_op(CALLBACKOP_unregister, &nmi);
    }
    if ( r & (FZ_R_TRAPS | FZ_R_CALLBACKS) )
    {
        HYPERVISOR_set_trap_table(NULL);
        HYPERVISOR_set_trap_table(xt_default_trap_table);
    }
    if ( r & FZ_R_GDT )
        HYPERVISOR_set_gdt(gdt_dummy, 0);
    if ( r & FZ_R_LDT )
        xt_mmuext1(MMUEXT_SET_LDT, 0, 0);
    if ( r & FZ_R_SEGBASE )
    {
        HYPERVISOR_set_segment_base(SEGBASE_FS, 0);
        HYPERVISOR_set_segment_base(SEGBASE_GS_USER, 0);
        HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, 0);
        HYPERVISOR_set_segment_base(SEGBASE_GS_USER_SEL, 0);
    }
    if ( r & FZ_R_FPU )
        HYPERVISOR_fpu_taskswitch(0);
    if ( r & FZ_R_DEBUG )
    {
        HYPERVISOR_set_debugreg(7, 0);
        for ( i = 0; i < 4; i++ )
            HYPERVISOR_set_debugreg(i, 0);
    }
    if ( r & FZ_R_WATCHDOG )
        for ( wd.id = 1; wd.id <= 2; wd.id++ )
            HYPERVISOR_sched_op(SCHEDOP_watchdog, &wd);
    if ( r & FZ_R_STACK )
        HYPERVISOR_stack_switch(FLAT_KERNEL_SS, fz.kstack_top);
    if ( r & FZ_R_FIFO )
    {
        struct evtchn_expand_array ea = { .array_gfn = ~0UL };
        long rc = HYPERVISOR_event_channel_op(EVTCHNOP_expand_array, &ea);

        if ( rc != -XEN_EOPNOTSUPP && rc != -XEN_ENOSYS )
            fifo = true;
    }
    xt_vcpu_info()->evtchn_upcall_mask = 1;
    barrier();
}

/*
 * SCHEDOP_block returns when an event is pending.  Make sure one comes:
 * our VIRQ_TIMER port, still bound to VCPU 0 and unmasked, and a timer.
 * Not once the fuzzer may have switched to FIFO events.
 */
static bool block_prepare(void)
{
    struct evtchn_status st = { .dom = DOMID_SELF, .port = fz.timer_port };
    unsigned int port = fz.timer_port;

    if ( fifo || HYPERVISOR_event_channel_op(EVTCHNOP_status, &st) ||
         st.status != EVTCHNSTAT_virq || st.vcpu != 0 ||
         st.u.virq != VIRQ_TIMER )
        return false;
    __atomic_fetch_and(&xt_shared_info->evtchn_pending[port / 64],
                       ~(1UL << (port % 64)), __ATOMIC_SEQ_CST);
    __atomic_fetch_and(&xt_shared_info->evtchn_mask[port / 64],
                       ~(1UL << (port % 64)), __ATOMIC_SEQ_CST);
    return HYPERVISOR_set_timer_op(xt_system_time() + 200000) == 0;
}

static void block_done(void)
{
    xt_vcpu_info()->evtchn_upcall_mask = 1;
    xt_smp_mask(fz.timer_port);
}

/* ------------------------------------------------------------------ */
/* check=1: after every call, look for damage to protected state.      */

static struct fz_env fz_copy;
static uint64_t fz_copy_planned;
static struct xt_cons_ring *cons_copy;
static uint64_t pte_copy[2048];
static unsigned int nr_pte_copy;

static void paranoid_init(void)
{
    unsigned long va;

    fz_copy = fz;
    fz_copy_planned = ST->planned;
    cons_copy = cons;
    for ( va = fz.prot_va_start; va < fz.prot_va_end &&
          nr_pte_copy < ARRAY_SIZE(pte_copy); va += PAGE_SIZE )
        pte_copy[nr_pte_copy++] = xt_pt_entry(va, 1);
}

/* NULL if nothing changed, else what did. */
static const char *paranoid_check(void)
{
    static char what[80];
    unsigned long va = fz.prot_va_start;
    unsigned int i;

    for ( i = 0; i < sizeof(fz); i++ )
        if ( ((uint8_t *)&fz)[i] != ((uint8_t *)&fz_copy)[i] )
        {
            snprintf(what, sizeof(what), "fz byte %u: %#x -> %#x", i,
                     ((uint8_t *)&fz_copy)[i], ((uint8_t *)&fz)[i]);
            return what;
        }
    if ( cons != cons_copy )
        return "cons";
    if ( ST->magic != FZ_MAGIC || ST->mode != FZ_MODE_FUZZ ||
         ST->phase != FZ_PHASE_RUN || ST->planned != fz_copy_planned )
        return "status page";
    for ( i = 0; i < nr_pte_copy; i++, va += PAGE_SIZE )
        if ( (xt_pt_entry(va, 1) ^ pte_copy[i]) &
             ~(_PAGE_ACCESSED | _PAGE_DIRTY) )
        {
            snprintf(what, sizeof(what), "pte of %#lx: %#lx -> %#lx", va,
                     (unsigned long)pte_copy[i],
                     (unsigned long)xt_pt_entry(va, 1));
            return what;
        }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* The fuzzer.                                                         */

static unsigned long hc_calls[FZ_NR_HC], hc_ok[FZ_NR_HC];

/*
 * The hypercall, through the page or a raw syscall, with known values in
 * the registers the ABI says survive (rbx, rbp, r12-r15): after[] gets
 * what they held on return.
 */
#define FZ_REG_PATTERN(i) (0x5a00000000000a5aUL | ((uint64_t)(i) << 20))

static long issue(const struct fz_call *c, uint64_t after[6])
{
    register uint64_t rdi asm("rdi") = c->a[0];
    register uint64_t rsi asm("rsi") = c->a[1];
    register uint64_t rdx asm("rdx") = c->a[2];
    register uint64_t r10 asm("r10") = c->a[3];
    register uint64_t r8 asm("r8") = c->a[4];
    register uint64_t r9 asm("r9") = (uint64_t)hypercall_page + c->nr * 32;
    uint64_t rax = c->syscall_gate ? c->nr : ~0UL;

    asm volatile ( "push %%rbx; push %%rbp; push %%r12; push %%r13\n\t"
                   "push %%r14; push %%r15; push %[after]\n\t"
                   "movabs %[p0], %%rbx; movabs %[p1], %%rbp\n\t"
                   "movabs %[p2], %%r12; movabs %[p3], %%r13\n\t"
                   "movabs %[p4], %%r14; movabs %[p5], %%r15\n\t"
                   "cmp $-1, %%rax\n\t"
                   "je 1f\n\t"
                   "syscall\n\t"
                   "jmp 2f\n"
                   "1: call *%%r9\n"
                   "2: pop %%r9\n\t"
                   "mov %%rbx, 0(%%r9); mov %%rbp, 8(%%r9)\n\t"
                   "mov %%r12, 16(%%r9); mov %%r13, 24(%%r9)\n\t"
                   "mov %%r14, 32(%%r9); mov %%r15, 40(%%r9)\n\t"
                   "pop %%r15; pop %%r14; pop %%r13; pop %%r12\n\t"
                   "pop %%rbp; pop %%rbx"
                   : "+a" (rax), "+r" (rdi), "+r" (rsi), "+r" (rdx),
                     "+r" (r10), "+r" (r8), "+r" (r9)
                   : [after] "r" (after),
                     [p0] "i" (FZ_REG_PATTERN(0)),
                     [p1] "i" (FZ_REG_PATTERN(1)),
                     [p2] "i" (FZ_REG_PATTERN(2)),
                     [p3] "i" (FZ_REG_PATTERN(3)),
                     [p4] "i" (FZ_REG_PATTERN(4)),
                     [p5] "i" (FZ_REG_PATTERN(5))
                   : "rcx", "r11", "memory", "cc" );
    return rax;
}

static const char *const saved_regs[6] = {
    "rbx", "rbp", "r12", "r13", "r14", "r15",
};
static uint64_t nr_reg_damage;

static void record_call(uint64_t index, const struct fz_call *c)
{
    unsigned int i;

    ST->cur_index = index;
    for ( i = 0; i < 5; i++ )
        ST->cur_args[i] = c->a[i];
    for ( i = 0; i < 4; i++ )
        ST->cur_sub[i] = FZ_IDLE;
    if ( c->nr == __HYPERVISOR_multicall && fz_in_arena(c->a[0], 4 * 64) )
        for ( i = 0; i < 4 && i < (uint32_t)c->a[1]; i++ )
            ST->cur_sub[i] = ((struct multicall_entry *)c->a[0])[i].op;
    barrier();
    ST->cur_nr = c->nr;
    barrier();
}

static void trace_call(uint64_t index, const struct fz_call *c)
{
    unsigned int i, j;

    printf("fuzz: call %lu %s%s (%u) %#lx %#lx %#lx %#lx %#lx\n",
           (unsigned long)index, c->risky ? "risky " : "",
           fz_hc_name(c->nr), c->nr, c->a[0], c->a[1], c->a[2], c->a[3],
           c->a[4]);
    /* The first words of the buffers it passes. */
    for ( i = 0; i < 3; i++ )
    {
        const uint64_t *w = (const uint64_t *)c->a[i];

        if ( !fz_in_arena(c->a[i], 8 * 8) )
            continue;
        printf("fuzz:   arg %u:", i);
        for ( j = 0; j < 8; j++ )
            printf(" %#lx", (unsigned long)w[j]);
        printf("\n");
    }
    cons_drain();
}

/*
 * Data breakpoints (the debug-register shape).  Now and then DR0 watches
 * (reads and writes, 8 bytes) the first arena buffer a call passes, so
 * that the hypervisor's own copy hits it; and now and then a call is
 * followed by a 'mov ss' from a watched word and a raw 'syscall' making
 * xen_version (XSA-260: the #DB is held back past the mov ss and raised
 * on the hypervisor's syscall entry, with our stack pointer).  The
 * hypervisor must ignore breakpoints its own accesses hit or pass them
 * on to us; debug_hook counts the #DBs that reach us and turns DR7 off.
 */
#define DR7_WATCH0 (1UL | (3UL << 16) | (2UL << 18))  /* L0, RW, 8 bytes */

static uint64_t ss_word;
static unsigned long nr_watched, nr_movss;

static bool watch(uint64_t va)
{
    if ( HYPERVISOR_set_debugreg(0, va & ~7UL) )
        return false;
    return HYPERVISOR_set_debugreg(7, DR7_WATCH0) == 0;
}

/* The first argument that points into the arena, or 0. */
static uint64_t watched_buf(const struct fz_call *c)
{
    unsigned int i;

    for ( i = 0; i < ARRAY_SIZE(c->a); i++ )
        if ( fz_in_arena(c->a[i], 8) )
            return c->a[i];
    return 0;
}

static void movss_syscall(void)
{
    register uint64_t rdi asm("rdi") = XENVER_version;
    register uint64_t rsi asm("rsi") = 0;
    uint64_t rax = __HYPERVISOR_xen_version;
    uint16_t ss;

    asm volatile ( "mov %%ss, %0" : "=r" (ss) );
    ss_word = ss;
    if ( !watch((uint64_t)&ss_word) )
        return;
    nr_movss++;
    asm volatile ( "mov %[w], %%ss\n\t"
                   "syscall"
                   : "+a" (rax), "+r" (rdi), "+r" (rsi)
                   : [w] "m" (ss_word)
                   : "rcx", "r11", "memory" );
    HYPERVISOR_set_debugreg(7, 0);
}

/*
 * Linear page tables (the linear-PT shape).  Now and then two sacrificial
 * frames A and B become tables of one level (2, 3 or 4) whose entry i
 * maps themselves read-only; both are pinned; then A's entry j is made
 * to map B (a read-only reference to a table of the same level) and
 * sometimes B's entry j to map A (a two-table cycle).  Usually the
 * references are cleared again and both tables unpinned; otherwise the
 * domain dies with them pinned or in a cycle, and the round's
 * free_pages_restored check sees whether their frames come back.  Any
 * step may fail (the frames may be in use by earlier calls): the shape
 * then stops there.
 */
static unsigned long nr_linear, nr_linear_built;

static uint64_t sacrificial(void)
{
    uint64_t n = fz.nr_pages > fz.map_end_pfn ?
                 fz.nr_pages - fz.map_end_pfn : 0;

    return n ? xt_p2m[fz.map_end_pfn + fz_rand() % n] : 0;
}

/* Write a table of 'mfn': zero but entry 'i' (through the window). */
static long write_table(uint64_t mfn, unsigned int i, uint64_t e)
{
    unsigned long va = fz.win_va + 511 * PAGE_SIZE;
    long rc;

    rc = HYPERVISOR_update_va_mapping(va, (mfn << 12) | PTE_RW,
                                      UVMF_INVLPG);
    if ( rc )
        return rc;
    memset((void *)va, 0, PAGE_SIZE);
    ((uint64_t *)va)[i] = e;
    return HYPERVISOR_update_va_mapping(va, 0, UVMF_INVLPG);
}

static void linear_pt(void)
{
    static const unsigned int pin[] = {
        MMUEXT_PIN_L2_TABLE, MMUEXT_PIN_L3_TABLE, MMUEXT_PIN_L4_TABLE,
    };
    unsigned int level = fz_rand() % 3;
    /* L4 slots 256-271 are the hypervisor's: stay in the guest's. */
    unsigned int i = fz_rand() % (level == 2 ? 256 : 512);
    unsigned int j = (i + 1 + fz_rand() % 255) % (level == 2 ? 256 : 512);
    unsigned int how = fz_rand() % 8;
    uint64_t a = sacrificial(), b = sacrificial();
    uint64_t ro = _PAGE_PRESENT | _PAGE_ACCESSED;
    struct mmu_update u;

    nr_linear++;
    if ( !a || a == b || fz_mfn_protected(a) || fz_mfn_protected(b) )
        return;
    if ( write_table(a, i, (a << 12) | ro) ||
         write_table(b, i, (b << 12) | ro) ||
         xt_mmuext1(pin[level], a, 0) )
        return;
    if ( xt_mmuext1(pin[level], b, 0) )
    {
        xt_mmuext1(MMUEXT_UNPIN_TABLE, a, 0);
        return;
    }
    nr_linear_built++;
    u.ptr = (a << 12) + j * 8;
    u.val = (b << 12) | ro;
    HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF);
    if ( how & 1 )
    {
        u.ptr = (b << 12) + j * 8;
        u.val = (a << 12) | ro;
        HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF);
    }
    if ( how >= 6 )
        return;                  /* the domain dies with them */
    if ( how >= 2 )
    {
        u.val = 0;
        u.ptr = (a << 12) + j * 8;
        HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF);
        u.ptr = (b << 12) + j * 8;
        HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF);
    }
    xt_mmuext1(MMUEXT_UNPIN_TABLE, a, 0);
    xt_mmuext1(MMUEXT_UNPIN_TABLE, b, 0);
}

static void run_one(uint64_t index, bool trace)
{
    struct fz_call c;
    uint64_t regs[6], va;
    unsigned int r, i, dbg;
    bool blocked = false;
    long rc;

    fz_generate(&c);
    /* No draw without shapes: the stream is then as it always was. */
    dbg = fz.shapes ? fz_rand() % 1000 : 1000;
    r = fz_sanitize(&c);
    if ( r & FZ_R_BLOCK )
    {
        blocked = block_prepare();
        if ( !blocked )
            c.a[0] = SCHEDOP_yield;
    }
    if ( trace )
        trace_call(index, &c);
    record_call(index, &c);
    if ( (fz.shapes & FZ_SHAPE_DEBUG) && dbg < 30 &&
         (va = watched_buf(&c)) && watch(va) )
    {
        nr_watched++;
        r |= FZ_R_DEBUG;
    }
    rc = issue(&c, regs);
    restore(r);
    if ( dbg >= 990 && (fz.shapes & FZ_SHAPE_DEBUG) )
        movss_syscall();
    else if ( dbg >= 980 && dbg < 990 && (fz.shapes & FZ_SHAPE_LINEAR) )
        linear_pt();
    for ( i = 0; i < 6 && regs[i] == FZ_REG_PATTERN(i); i++ )
        ;
    if ( i < 6 && !nr_reg_damage++ )
    {
        ST->reg_bad_nr = c.nr;
        ST->reg_bad_call = index + 1;
        printf("fuzz: call %lu %s (%u) returned %ld with %s %#lx\n",
               (unsigned long)index, fz_hc_name(c.nr), c.nr, rc,
               saved_regs[i], (unsigned long)regs[i]);
    }
    if ( blocked )
        block_done();
    ST->cur_nr = FZ_IDLE;
    hc_calls[c.nr % FZ_NR_HC]++;
    if ( rc >= 0 )
    {
        hc_ok[c.nr % FZ_NR_HC]++;
        ST->nr_ok++;
    }
    else
        ST->nr_err++;
    ST->done = index + 1;
}

/*
 * The SMP shape: vCPU 1 runs fz_partner() (partner.c) while we fuzz.  Our
 * own calls may take it down (VCPUOP_down of vCPU 1 is in the stream) or
 * end its loop with a fault; every 256 calls we bring it back up and
 * post it again.
 */
static unsigned long nr_partner_posts, nr_partner_ups;
static long partner_boot_rc = 1;

static void partner_tend(void)
{
    if ( !(fz.shapes & FZ_SHAPE_SMP) || xt_nr_cpus < 2 )
        return;
    if ( partner_boot_rc > 0 )
    {
        partner_boot_rc = xt_smp_boot(1);
        if ( partner_boot_rc )
            printf("fuzz: vCPU 1 did not come up: %ld\n", partner_boot_rc);
    }
    if ( partner_boot_rc )
        return;
    if ( xt_vcpu_is_up(1) == 0 && xt_vcpu_up(1) == 0 )
        nr_partner_ups++;
    if ( xt_smp_call(1, fz_partner, ST) )
        nr_partner_posts++;
}

/* The run is over: the partner stops by itself (phase); wait a little. */
static void partner_finish(void)
{
    if ( partner_boot_rc )
        return;
    if ( xt_vcpu_is_up(1) == 0 )
        xt_vcpu_up(1);
    xt_smp_wait(1, XT_MS(5000));
    printf("fuzz: vCPU 1 made %lu calls (%lu ok) beside ours, posted %lu "
           "times, brought up again %lu times\n",
           (unsigned long)ST->partner_calls, (unsigned long)ST->partner_ok,
           nr_partner_posts, nr_partner_ups);
}

static void print_stats(void)
{
    unsigned int nr;

    for ( nr = 0; nr < FZ_NR_HC; nr++ )
        if ( hc_calls[nr] )
            printf("fuzz: %2u %-29s %6lu calls %6lu ok\n", nr,
                   fz_hc_name(nr), hc_calls[nr], hc_ok[nr]);
    printf("fuzz: %lu events, %lu NMIs, %lu #DB taken; %lu calls with a "
           "watched buffer, %lu mov ss + syscall, %lu huge-count lists, "
           "%lu/%lu linear page-table pairs built\n", nr_events, nr_nmis,
           nr_debug, nr_watched, nr_movss, fz_nr_tail, nr_linear_built,
           nr_linear);
}

/* After the run: do traps, events and the console still work? */
static void self_check(void)
{
    struct evtchn_status st = { .dom = DOMID_SELF, .port = fz.cons_port };
    uint64_t v;
    int vec = xt_probe_read(0, &v);
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_status, &st);

    xt_check("self_intact", vec == X86_EXC_PF && rc == 0 &&
             st.status == EVTCHNSTAT_interdomain,
             "null read vector %d, console port rc %ld status %u", vec, rc,
             st.status);
}

static void fuzz(void)
{
    uint64_t seed = opt_num("seed", 1);
    uint64_t calls = opt_num("calls", 1000);
    uint64_t every = opt_num("progress", 1000) ?: 1000;
    uint64_t trace = opt_num("trace", ~0UL);
    bool paranoid = opt_num("check", 0);
    const char *damage = NULL;
    uint64_t i;
    long rc;

    rc = fuzz_setup();
    ST->seed = seed;
    ST->planned = calls;
    publish_status(FZ_MODE_FUZZ);
    printf("fuzz: seed %#lx n %lu risk %u (domain %u, witness %u, "
           "%u protected frames, %lu sacrificial)\n", seed, calls, fz.risk,
           fz.self, fz.witness, fz.nr_prot,
           (unsigned long)(fz.nr_pages - fz.map_end_pfn));
    if ( rc )
    {
        xt_check("completed", false, "set-up failed: %ld", rc);
        xt_skip("self_intact", "no run");
        xt_skip("registers_preserved", "no run");
        return;
    }
    fz_seed(seed);
    fz_arena_fill();
    ST->phase = FZ_PHASE_RUN;
    if ( paranoid )
        paranoid_init();
    for ( i = 0; i < calls && !damage; i++ )
    {
        if ( i % 256 == 0 )
            partner_tend();
        run_one(i, i >= trace);
        if ( paranoid && (damage = paranoid_check()) )
            printf("fuzz: call %lu damaged %s\n", (unsigned long)i, damage);
        if ( (i + 1) % every == 0 && i + 1 < calls )
            printf("fuzz: %lu/%lu calls, %lu ok, %lu failed\n",
                   (unsigned long)(i + 1), (unsigned long)calls,
                   (unsigned long)ST->nr_ok, (unsigned long)ST->nr_err);
    }
    ST->phase = FZ_PHASE_REPORT;
    partner_finish();
    if ( opt_num("stats", 1) )
        print_stats();
    xt_check("completed", ST->done == calls, "%lu calls (%lu ok), seed %#lx",
             (unsigned long)ST->done, (unsigned long)ST->nr_ok, seed);
    self_check();
    xt_check("registers_preserved", !nr_reg_damage, "%lu calls changed "
             "them, the first call %lu (hypercall %lu)",
             (unsigned long)nr_reg_damage,
             (unsigned long)ST->reg_bad_call - !!nr_reg_damage,
             (unsigned long)ST->reg_bad_nr);
}

/* ------------------------------------------------------------------ */
/* The witness.                                                        */

/*
 * Its pattern lives in two places: a page of its image and the second
 * half of the status page, whose frame the parent hands to the fuzzer
 * as a target.
 */
static uint64_t wpage[512] __attribute__((aligned(PAGE_SIZE)));
#define STATUS_PATTERN ((uint64_t *)(status_page.page + PAGE_SIZE / 2))
#define NR_STATUS_PATTERN (PAGE_SIZE / 2 / 8)

static uint64_t pattern(unsigned int i)
{
    return (i + 1) * 0x9e3779b97f4a7c15UL ^ 0x5a17e55a17e55a17UL;
}

static bool pattern_ok(void)
{
    unsigned int i;

    for ( i = 0; i < 512; i++ )
        if ( wpage[i] != pattern(i) )
            return false;
    for ( i = 0; i < NR_STATUS_PATTERN; i++ )
        if ( STATUS_PATTERN[i] != pattern(i) )
            return false;
    return true;
}

struct wstate
{
    unsigned long va;
    long reservation;
    uint64_t bad_round;
    char what[96];
};

static void wfail(struct wstate *w, unsigned int check, const char *what,
                  long rc)
{
    if ( w->bad_round )
        return;
    w->bad_round = ST->counter + 1;
    snprintf(w->what, sizeof(w->what), "%s rc %ld", what, rc);
    ST->bad_check = check;
    ST->bad_rc = rc;
}

/* Ordinary hypercalls whose results are known. */
static void witness_round(struct wstate *w)
{
    domid_t self = DOMID_SELF;
    struct evtchn_status st = { .dom = DOMID_SELF,
                                .port = xt_start_info->console.domU.evtchn };
    struct gnttab_query_size qs = { .dom = DOMID_SELF };
    uint64_t mfn = xt_virt_to_mfn(wpage);
    long rc;

    rc = HYPERVISOR_xen_version(XENVER_version, NULL);
    if ( rc <= 0 )
        wfail(w, FZ_W_XEN_VERSION, "xen_version", rc);
    /*
     * A page the fuzzer tries to give us with GNTTABOP_transfer counts
     * for a moment in Xen 4.17 (it reserves, then backs out): one extra
     * page is fine here; at the end the count must be exact.
     */
    rc = HYPERVISOR_memory_op(XENMEM_current_reservation, &self);
    if ( rc != w->reservation && rc != w->reservation + 1 )
        wfail(w, FZ_W_RESERVATION, "current_reservation", rc);
    rc = xt_set_pte(w->va, (mfn << 12) | _PAGE_PRESENT | _PAGE_ACCESSED,
                    UVMF_INVLPG);
    if ( rc || *(volatile uint64_t *)w->va != pattern(0) )
        wfail(w, FZ_W_MAP, "map own page", rc);
    rc = xt_set_pte(w->va, 0, UVMF_INVLPG);
    if ( rc )
        wfail(w, FZ_W_UNMAP, "unmap own page", rc);
    rc = HYPERVISOR_event_channel_op(EVTCHNOP_status, &st);
    if ( rc || st.status != EVTCHNSTAT_interdomain )
        wfail(w, FZ_W_EVTCHN, "console port status", rc ?: st.status);
    rc = HC(__HYPERVISOR_grant_table_op, GNTTABOP_query_size, &qs, 1, 0, 0);
    if ( rc || qs.status || !qs.nr_frames )
        wfail(w, FZ_W_GRANT, "grant query_size", rc ?: qs.status);
}

/* Was 'port' pending?  Clears it. */
static bool take_pending(evtchn_port_t port)
{
    unsigned long bit = 1UL << (port % 64);

    return __atomic_fetch_and(&xt_shared_info->evtchn_pending[port / 64],
                              ~bit, __ATOMIC_SEQ_CST) & bit;
}

/*
 * One round trip with dom0 (see FZ_ECHO_* in fuzz.h): false if dom0 has
 * not bound our port yet or we were told to stop first.  No resending:
 * a round trip counts only when its own answer came.
 */
static bool echo_once(evtchn_port_t port)
{
    struct evtchn_status st = { .dom = DOMID_SELF, .port = port };
    struct evtchn_send s = { .port = port };
    evtchn_port_t p = port;

    if ( HYPERVISOR_event_channel_op(EVTCHNOP_status, &st) ||
         st.status != EVTCHNSTAT_interdomain )
        return false;
    take_pending(port);
    if ( HYPERVISOR_event_channel_op(EVTCHNOP_send, &s) )
        return false;
    while ( !ACCESS_ONCE(ST->stop) )
    {
        struct sched_poll poll = { .nr_ports = 1,
                                   .timeout = xt_system_time() + 10000000 };

        if ( take_pending(port) )
            return true;
        set_xen_guest_handle(poll.ports, &p);
        HYPERVISOR_sched_op(SCHEDOP_poll, &poll);
    }
    return false;
}

static void witness(void)
{
    static struct wstate w;
    domid_t self = DOMID_SELF;
    uint64_t bad_pattern = 0;
    unsigned int i;
    long rc;

    for ( i = 0; i < 512; i++ )
        wpage[i] = pattern(i);
    for ( i = 0; i < NR_STATUS_PATTERN; i++ )
        STATUS_PATTERN[i] = pattern(i);
    w.va = xt_scratch_va();
    w.reservation = HYPERVISOR_memory_op(XENMEM_current_reservation, &self);
    publish_status(FZ_MODE_WITNESS);
    {
        struct evtchn_alloc_unbound au = { .dom = DOMID_SELF,
                                           .remote_dom = 0 };

        if ( opt_num("echo", 0) &&
             !HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au) )
            ST->echo_port = au.port;
    }
    while ( !ACCESS_ONCE(ST->stop) )
    {
        struct sched_poll poll = { .nr_ports = 0 };

        if ( !bad_pattern && !pattern_ok() )
        {
            bad_pattern = ST->counter + 1;
            if ( !ST->bad_check )
                ST->bad_check = FZ_W_PATTERN;
        }
        witness_round(&w);
        for ( i = 0; ST->echo_port && i < FZ_ECHO_PER_ROUND &&
                     echo_once(ST->echo_port); i++ )
            ST->echoes++;
        ST->bad = bad_pattern ?: w.bad_round;
        barrier();
        ST->counter++;
        poll.timeout = xt_system_time() + 1000000;
        HYPERVISOR_sched_op(SCHEDOP_poll, &poll);
    }
    xt_check("pattern_intact", !bad_pattern && pattern_ok(), "%lu rounds%s%lu",
             (unsigned long)ST->counter, bad_pattern ? ", first bad " : "",
             (unsigned long)bad_pattern);
    xt_check("hypercalls_ok", !w.bad_round, "%lu rounds%s%s",
             (unsigned long)ST->counter, w.bad_round ? ": " : "", w.what);
    /* The fuzzer is gone by now: no page it tries to give us counts. */
    rc = HYPERVISOR_memory_op(XENMEM_current_reservation, &self);
    xt_check("reservation_exact", rc == w.reservation, "%ld pages, %ld at "
             "the start", rc, w.reservation);
}

/* ------------------------------------------------------------------ */

XTEST(fuzzchild, FZ_CHILD_CHECKS)
{
    const char *mode;

    if ( !is_domu() )
    {
        unsigned int i;

        for ( i = 0; i < FZ_CHILD_CHECKS; i++ )
        {
            char name[16];

            snprintf(name, sizeof(name), "skip%u", i);
            xt_skip(name, "the fuzz child runs as a domU of the fuzz test");
        }
        return;
    }
    xt_traps_init();
    xt_smp_init();
    mode = opt("mode");
    if ( mode && !strncmp(mode, "witness", 7) )
        witness();
    else
        fuzz();
    ST->phase = FZ_PHASE_DONE;
}
