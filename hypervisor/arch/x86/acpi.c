/*
 * Just enough ACPI to find the CPUs: the RSDP in the BIOS area, the RSDT
 * or XSDT, and the MADT's local-APIC entries. Every enabled processor
 * entry is a CPU we bring up.
 */
#include <xenia/lib.h>
#include <xenia/config.h>
#include "x86.h"

struct acpi_header {
    char sig[4];
    uint32_t length;
    uint8_t revision, checksum;
    char oem[6], oem_table[8];
    uint32_t oem_rev, creator, creator_rev;
} __packed;

static bool checksum_ok(const void *p, unsigned long len)
{
    const uint8_t *b = p;
    uint8_t sum = 0;

    while ( len-- )
        sum += *b++;
    return sum == 0;
}

/* A table's hypervisor address, or NULL if it is not one we can read. */
static const struct acpi_header *acpi_table(uint64_t pa)
{
    const struct acpi_header *h;

    if ( !pa || !direct_mapped(pa, sizeof(*h)) )
        return NULL;
    h = __va(pa);
    if ( h->length < sizeof(*h) || !direct_mapped(pa, h->length) ||
         !checksum_ok(h, h->length) )
        return NULL;
    return h;
}

static const uint8_t *find_rsdp(void)
{
    unsigned long pa;

    for ( pa = 0xe0000; pa < 0x100000; pa += 16 )
    {
        const uint8_t *p = __va(pa);

        if ( !memcmp(p, "RSD PTR ", 8) && checksum_ok(p, 20) )
            return p;
    }
    return NULL;
}

static const struct acpi_header *find_table(const char *sig)
{
    const uint8_t *rsdp = find_rsdp();
    const struct acpi_header *root = NULL;
    unsigned int i, n, esz = 4;
    uint64_t pa;

    if ( !rsdp )
        return NULL;
    if ( rsdp[15] >= 2 )
    {
        memcpy(&pa, rsdp + 24, 8);
        root = acpi_table(pa);
        esz = 8;
    }
    if ( !root )
    {
        uint32_t pa32;

        memcpy(&pa32, rsdp + 16, 4);
        root = acpi_table(pa32);
        esz = 4;
    }
    if ( !root )
        return NULL;
    n = (root->length - sizeof(*root)) / esz;
    for ( i = 0; i < n; i++ )
    {
        const struct acpi_header *t;

        pa = 0;
        memcpy(&pa, (const uint8_t *)(root + 1) + i * esz, esz);
        t = acpi_table(pa);
        if ( t && !memcmp(t->sig, sig, 4) )
            return t;
    }
    return NULL;
}

unsigned int acpi_cpu_apic_ids(uint32_t *ids, unsigned int max)
{
    const struct acpi_header *madt = find_table("APIC");
    const uint8_t *p, *end;
    unsigned int n = 0;

    if ( !madt )
        return 0;
    p = (const uint8_t *)(madt + 1) + 8;    /* LAPIC address, flags */
    end = (const uint8_t *)madt + madt->length;
    while ( p + 2 <= end && p[1] >= 2 && p + p[1] <= end )
    {
        /* Type 0: processor local APIC (uid, APIC id, flags bit 0 enabled). */
        if ( p[0] == 0 && p[1] >= 8 && (p[4] & 1) && n < max )
            ids[n++] = p[3];
        /* Type 9: processor local x2APIC. */
        else if ( p[0] == 9 && p[1] >= 16 && (p[8] & 1) && n < max )
            memcpy(&ids[n++], p + 4, 4);
        p += p[1];
    }
    return n;
}
