/* Unit tests: hypervisor/common/page_alloc.c (frame table + buddy). */
#include <stdlib.h>
#include "harness.h"
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/mm.h>

#define NR 4096

static struct page_info frames[NR];
static struct frame_allocator a;

static int setup(void **state)
{
    (void)state;
    falloc_init(&a, frames, NR);
    return 0;
}

static void test_init_all_reserved(void **state)
{
    (void)state;
    assert_int_equal(falloc_free_pages(&a), 0);
    assert_int_equal(falloc_alloc(&a, 0), -1);
    assert_int_equal(frames[0].state, PGS_reserved);
    assert_int_equal(frames[NR - 1].owner, OWNER_NONE);
}

static void test_add_and_exhaust(void **state)
{
    unsigned long i;
    static bool seen[NR];

    (void)state;
    assert_int_equal(falloc_add_range(&a, 0, NR), NR);
    assert_int_equal(falloc_free_pages(&a), NR);
    memset(seen, 0, sizeof(seen));
    for ( i = 0; i < NR; i++ )
    {
        long m = falloc_alloc(&a, 0);

        assert_true(m >= 0 && m < NR);
        assert_false(seen[m]);              /* never handed out twice */
        seen[m] = true;
        assert_int_equal(frames[m].state, PGS_inuse);
        assert_int_equal(frames[m].owner, OWNER_XEN);
    }
    assert_int_equal(falloc_alloc(&a, 0), -1);
    assert_int_equal(falloc_free_pages(&a), 0);
    for ( i = 0; i < NR; i++ )
        assert_int_equal(falloc_free(&a, i, 0), 0);
    /* Everything merged back: a maximal block is available again. */
    assert_int_equal(falloc_free_pages(&a), NR);
    assert_true(falloc_alloc(&a, 12) == 0);
}

static void test_alignment_of_blocks(void **state)
{
    unsigned int order;

    (void)state;
    falloc_add_range(&a, 0, NR);
    for ( order = 0; order <= 8; order++ )
    {
        long m = falloc_alloc(&a, order);

        assert_true(m >= 0);
        assert_int_equal(m & ((1L << order) - 1), 0);
    }
}

static void test_reserved_holes_never_allocated(void **state)
{
    unsigned long i, total = 0;

    (void)state;
    /* RAM in two pieces around a hole [1000, 1100). */
    total += falloc_add_range(&a, 3, 997);
    total += falloc_add_range(&a, 1100, NR - 1100);
    assert_int_equal(total, 997 + NR - 1100);
    for ( ;; )
    {
        long m = falloc_alloc(&a, 0);

        if ( m < 0 )
            break;
        assert_false(m < 3 || (m >= 1000 && m < 1100));
        total--;
    }
    assert_int_equal(total, 0);
    for ( i = 1000; i < 1100; i++ )
        assert_int_equal(frames[i].state, PGS_reserved);
}

static void test_add_range_twice_is_harmless(void **state)
{
    (void)state;
    assert_int_equal(falloc_add_range(&a, 0, 64), 64);
    assert_int_equal(falloc_add_range(&a, 0, 64), 0);
    assert_int_equal(falloc_add_range(&a, NR, 10), 0);
    assert_int_equal(falloc_add_range(&a, NR - 5, 100), 5);
    assert_int_equal(falloc_free_pages(&a), 69);
}

static void test_bad_frees_change_nothing(void **state)
{
    long m;

    (void)state;
    falloc_add_range(&a, 0, 256);
    m = falloc_alloc(&a, 2);
    assert_true(m >= 0);
    assert_int_equal(falloc_free(&a, m + 1, 2), -EINVAL);   /* misaligned */
    assert_int_equal(falloc_free(&a, m, 3), -EINVAL);       /* too big */
    assert_int_equal(falloc_free(&a, NR + 10, 0), -EINVAL); /* out of range */
    assert_int_equal(falloc_free(&a, 300, 0), -EINVAL);     /* reserved */
    assert_int_equal(falloc_free(&a, m, MAX_ORDER + 1), -EINVAL);
    assert_int_equal(falloc_free_pages(&a), 252);
    assert_int_equal(falloc_free(&a, m, 2), 0);
    assert_int_equal(falloc_free(&a, m, 2), -EINVAL);       /* double free */
    assert_int_equal(falloc_free_pages(&a), 256);
}

static void test_order_too_large(void **state)
{
    (void)state;
    falloc_add_range(&a, 0, NR);
    assert_int_equal(falloc_alloc(&a, MAX_ORDER + 1), -1);
    assert_int_equal(falloc_alloc(&a, 13), -1);             /* > 4096 frames */
    assert_true(falloc_alloc(&a, 12) >= 0);
}

static void test_random_alloc_free_keeps_counts(void **state)
{
    long held[512];
    unsigned int orders[512], n = 0, i;

    (void)state;
    srand(12345);
    falloc_add_range(&a, 0, NR);
    for ( i = 0; i < 20000; i++ )
    {
        if ( n < 512 && (rand() & 1) )
        {
            unsigned int o = rand() % 4;
            long m = falloc_alloc(&a, o);

            if ( m >= 0 )
            {
                held[n] = m;
                orders[n++] = o;
            }
        }
        else if ( n )
        {
            unsigned int k = rand() % n;

            assert_int_equal(falloc_free(&a, held[k], orders[k]), 0);
            held[k] = held[--n];
            orders[k] = orders[n];
        }
    }
    while ( n-- )
        assert_int_equal(falloc_free(&a, held[n], orders[n]), 0);
    assert_int_equal(falloc_free_pages(&a), NR);
    assert_true(falloc_alloc(&a, 12) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_init_all_reserved, setup),
        cmocka_unit_test_setup(test_add_and_exhaust, setup),
        cmocka_unit_test_setup(test_alignment_of_blocks, setup),
        cmocka_unit_test_setup(test_reserved_holes_never_allocated, setup),
        cmocka_unit_test_setup(test_add_range_twice_is_harmless, setup),
        cmocka_unit_test_setup(test_bad_frees_change_nothing, setup),
        cmocka_unit_test_setup(test_order_too_large, setup),
        cmocka_unit_test_setup(test_random_alloc_free_keeps_counts, setup),
    };

    return cmocka_run_group_tests_name("page_alloc", tests, NULL, NULL);
}
