/* Unit tests: hypervisor/common/cmdline.c */
#include "harness.h"
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/cmdline.h>

static bool opt_flag;
static unsigned long opt_num;
static unsigned long long opt_size;
static char opt_str[8];
static char custom_seen[32];
static int reports;
static char last_report[64];

static int custom(const char *v)
{
    if ( !strcmp(v, "bad") )
        return -EINVAL;
    strlcpy(custom_seen, v, sizeof(custom_seen));
    return 0;
}

static const struct param params[] = {
    { "flag", PARAM_BOOL, &opt_flag, 0, NULL },
    { "num", PARAM_UINT, &opt_num, 0, NULL },
    { "size", PARAM_SIZE, &opt_size, 0, NULL },
    { "str", PARAM_STRING, opt_str, sizeof(opt_str), NULL },
    { "custom", PARAM_CUSTOM, NULL, 0, custom },
};

static void report(const char *what, const char *opt)
{
    reports++;
    snprintf(last_report, sizeof(last_report), "%s:%s", what, opt);
}

static int setup(void **state)
{
    (void)state;
    opt_flag = false;
    opt_num = 0;
    opt_size = 0;
    opt_str[0] = custom_seen[0] = last_report[0] = '\0';
    reports = 0;
    return 0;
}

static int parse(const char *line)
{
    return cmdline_parse(line, params, sizeof(params) / sizeof(params[0]),
                         report);
}

static void test_all_types(void **state)
{
    (void)state;
    assert_int_equal(parse("flag num=0x20 size=16M str=abc custom=hello"), 0);
    assert_true(opt_flag);
    assert_int_equal(opt_num, 32);
    assert_int_equal(opt_size, 16ULL << 20);
    assert_string_equal(opt_str, "abc");
    assert_string_equal(custom_seen, "hello");
}

static void test_bool_forms(void **state)
{
    (void)state;
    assert_int_equal(parse("flag=yes"), 0);
    assert_true(opt_flag);
    assert_int_equal(parse("no-flag"), 0);
    assert_false(opt_flag);
    assert_int_equal(parse("flag=on flag=off"), 0);
    assert_false(opt_flag);
    assert_int_equal(parse("flag=maybe"), 1);
    assert_string_equal(last_report, "bad value for option:flag");
}

static void test_unknown_is_reported_not_fatal(void **state)
{
    (void)state;
    assert_int_equal(parse("bogus num=5 other=1"), 2);
    assert_int_equal(opt_num, 5);
    assert_int_equal(reports, 2);
    assert_string_equal(last_report, "unknown option:other");
}

static void test_bad_values(void **state)
{
    (void)state;
    assert_int_equal(parse("num=12x"), 1);
    assert_int_equal(parse("num"), 1);
    assert_int_equal(parse("size=lots"), 1);
    assert_int_equal(parse("str=toolongvalue"), 1);
    assert_string_equal(opt_str, "");
    assert_int_equal(parse("custom=bad"), 1);
    assert_int_equal(parse("no-num"), 1);
}

static void test_spacing_and_empty(void **state)
{
    (void)state;
    assert_int_equal(parse(""), 0);
    assert_int_equal(parse("   \t  "), 0);
    assert_int_equal(parse("  num=7   flag  "), 0);
    assert_int_equal(opt_num, 7);
    assert_true(opt_flag);
}

static void test_overlong_option(void **state)
{
    char line[400];

    (void)state;
    memset(line, 'a', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\0';
    assert_int_equal(parse(line), 1);
    assert_int_equal(reports, 1);
}

static void test_parse_size(void **state)
{
    unsigned long long v;
    const char *end;

    (void)state;
    assert_int_equal(parse_size("512", &end, &v), 0);
    assert_int_equal(v, 512);
    assert_int_equal(parse_size("4k", &end, &v), 0);
    assert_int_equal(v, 4096);
    assert_int_equal(parse_size("2G,", &end, &v), 0);
    assert_int_equal(v, 2ULL << 30);
    assert_int_equal(*end, ',');
    assert_int_equal(parse_size("1T", NULL, &v), 0);
    assert_int_equal(v, 1ULL << 40);
    assert_int_equal(parse_size("x", &end, &v), -EINVAL);
    assert_int_equal(parse_size("99999999999T", &end, &v), -ERANGE);
}

static void test_dom0_mem(void **state)
{
    struct dom0_mem_spec s;

    (void)state;
    assert_int_equal(parse_dom0_mem("512M", &s), 0);
    assert_true(s.have_amount);
    assert_int_equal(s.amount, 512ULL << 20);
    assert_int_equal(parse_dom0_mem("512M,max:1G", &s), 0);
    assert_true(s.have_max);
    assert_int_equal(s.max, 1ULL << 30);
    assert_int_equal(parse_dom0_mem("min:64M,max:128M", &s), 0);
    assert_false(s.have_amount);
    assert_int_equal(parse_dom0_mem("-256M", &s), 0);
    assert_true(s.amount_is_negative);

    assert_int_equal(parse_dom0_mem("min:2G,max:1G", &s), -EINVAL);
    assert_int_equal(parse_dom0_mem("512M,512M", &s), -EINVAL);
    assert_int_equal(parse_dom0_mem("abc", &s), -EINVAL);
    assert_int_equal(parse_dom0_mem("64M;", &s), -EINVAL);
    assert_int_equal(parse_dom0_mem("max:", &s), -EINVAL);
}

static void test_dom0_mem_resolve(void **state)
{
    struct dom0_mem_spec s;
    const unsigned long long avail = 1ULL << 30;

    (void)state;
    parse_dom0_mem("256M", &s);
    assert_int_equal(dom0_mem_resolve(&s, avail), 256ULL << 20);
    parse_dom0_mem("4G", &s);
    assert_int_equal(dom0_mem_resolve(&s, avail), avail);
    parse_dom0_mem("-256M", &s);
    assert_int_equal(dom0_mem_resolve(&s, avail), 768ULL << 20);
    parse_dom0_mem("-4G", &s);
    assert_int_equal(dom0_mem_resolve(&s, avail), 0);
    parse_dom0_mem("max:128M", &s);
    assert_int_equal(dom0_mem_resolve(&s, avail), 128ULL << 20);
    parse_dom0_mem("16M,min:64M", &s);
    assert_int_equal(dom0_mem_resolve(&s, avail), 64ULL << 20);
    memset(&s, 0, sizeof(s));
    /* Default: all but min(1/16, 128 MiB). */
    assert_int_equal(dom0_mem_resolve(&s, avail), avail - (avail / 16));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_all_types, setup),
        cmocka_unit_test_setup(test_bool_forms, setup),
        cmocka_unit_test_setup(test_unknown_is_reported_not_fatal, setup),
        cmocka_unit_test_setup(test_bad_values, setup),
        cmocka_unit_test_setup(test_spacing_and_empty, setup),
        cmocka_unit_test_setup(test_overlong_option, setup),
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_dom0_mem),
        cmocka_unit_test(test_dom0_mem_resolve),
    };

    return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
