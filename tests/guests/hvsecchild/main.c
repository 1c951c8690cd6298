/*
 * hvsecchild: built as a domU by the hvsec image (issue 12 item 2). It
 * pins empty L2 tables of its own and tries to link them with read-only
 * L2 entries into a two-table cycle and a 1000-table chain, leaves them
 * pinned and linked, and powers off. The parent then destroys it: the
 * domain must go and give its memory back (a cycle kept it dying for
 * ever; the chain's teardown overflowed Xenia's stack). Its RESULT lines
 * go to console_io, which a domU may not use on Xen: it shuts down with
 * SHUTDOWN_reboot instead of poweroff when a link was not answered as on
 * Xen 4.17 (the second link of the cycle and of the chain: -EINVAL).
 */
#include "xtpv.h"

#define NR_TABLES 1000

static uint8_t tables[NR_TABLES][4096] __attribute__((aligned(4096)));

static uint64_t mfn_of(unsigned int i)
{
    return xt_virt_to_mfn(tables[i]);
}

static long link(unsigned int i, unsigned int j)
{
    return xt_mmu_update1((mfn_of(i) << 12) | MMU_NORMAL_PT_UPDATE,
                          (mfn_of(j) << 12) | _PAGE_PRESENT | _PAGE_ACCESSED);
}

XTEST(hvsecchild, 2)
{
    unsigned int i, pinned = 0, links = 0;
    long rc1 = -1, rc2 = -1;

    xt_mm_init();
    for ( i = 0; i < NR_TABLES; i++, pinned++ )
        if ( xt_make_ro(tables[i]) ||
             xt_mmuext1(MMUEXT_PIN_L2_TABLE, mfn_of(i), 0) )
            break;
    if ( pinned >= 2 )
    {
        rc1 = link(0, 1);
        rc2 = link(1, 0);
    }
    xt_check("cycle", pinned >= 2 && rc1 == 0 && rc2 == -XEN_EINVAL,
             "pinned %u: 0->1 %ld 1->0 %ld", pinned, rc1, rc2);
    for ( i = 3; i < pinned; i++, links++ )
        if ( link(i, i - 1) )
            break;
    xt_check("chain", links == 1, "%u links", links);
    /* The parent cannot read our console: say it with the reason. */
    if ( !(pinned >= 2 && rc1 == 0 && rc2 == -XEN_EINVAL && links == 1) )
        xt_shutdown(SHUTDOWN_reboot);
}
