/*
 * Writable page tables (VMASST_TYPE_writable_pagetables): a guest kernel
 * store into one of its own L1 tables, which are always mapped read-only,
 * faults; the hypervisor decodes the store (mov, xchg, cmpxchg; 1, 2, 4 or
 * 8 bytes, naturally aligned, inside the faulting page), merges it into the
 * full 8-byte entry, validates it exactly as mmu_update would and writes
 * it. If anything does not fit, the #PF goes to the guest unchanged.
 *
 * Locking: runs under the hypervisor lock (docs/smp.md) and takes no
 * lock of its own.
 */
#include <xenia/lib.h>
#include <xenia/errno.h>
#include <xenia/processor.h>
#include <xenia/sched.h>
#include <xenia/guest_access.h>
#include <xenia/pv_traps.h>
#include <xenia/pv_mm.h>
#include <public/xen.h>
#include "../x86.h"

#define PFEC_PRESENT    (1u << 0)
#define PFEC_WRITE      (1u << 1)
#define PFEC_RSVD       (1u << 3)
#define PFEC_FETCH      (1u << 4)

struct decoded {
    unsigned int len, bytes;
    enum { OP_MOV, OP_XCHG, OP_CMPXCHG } op;
    uint64_t src;           /* value to store */
    uint64_t *reg;          /* register operand (xchg/cmpxchg result) */
};

static uint64_t *gpr_n(struct cpu_regs *r, unsigned int n)
{
    uint64_t *map[16] = {
        &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi,
        &r->rdi, &r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13,
        &r->r14, &r->r15,
    };

    return map[n & 15];
}

/* Bytes of ModRM + SIB + displacement for a memory operand, or 0. */
static unsigned int modrm_len(const uint8_t *p, unsigned int avail)
{
    unsigned int mod, rm, len = 1;

    if ( !avail )
        return 0;
    mod = p[0] >> 6;
    rm = p[0] & 7;
    if ( mod == 3 )
        return 0;
    if ( rm == 4 )
    {
        if ( avail < 2 )
            return 0;
        len++;
        if ( mod == 0 && (p[1] & 7) == 5 )
            len += 4;
    }
    else if ( mod == 0 && rm == 5 )
        len += 4;
    if ( mod == 1 )
        len += 1;
    else if ( mod == 2 )
        len += 4;
    return len <= avail ? len : 0;
}

static bool decode(struct cpu_regs *regs, struct decoded *d)
{
    uint8_t b[15];
    unsigned int n = 0, i = 0, ml, reg;
    bool opsz16 = false, rex = false, rex_w = false, rex_r = false;
    uint8_t op;

    while ( n < sizeof(b) && !copy_from_guest(&b[n], regs->rip + n, 1) )
        n++;
    for ( ; i < n; i++ )
    {
        if ( b[i] == 0x66 )
            opsz16 = true;
        else if ( b[i] != 0xf0 && b[i] != 0x2e && b[i] != 0x3e &&
                  b[i] != 0x26 && b[i] != 0x36 && b[i] != 0x64 && b[i] != 0x65 )
            break;
    }
    if ( i < n && (b[i] & 0xf0) == 0x40 )
    {
        rex = true;
        rex_w = b[i] & 8;
        rex_r = b[i] & 4;
        i++;
    }
    if ( i >= n )
        return false;
    op = b[i++];
    if ( op == 0x0f )
    {
        if ( i >= n || (b[i] != 0xb0 && b[i] != 0xb1) )
            return false;
        op = b[i++] == 0xb0 ? 0xb0 : 0xb1;
        d->op = OP_CMPXCHG;
    }
    else if ( op == 0x88 || op == 0x89 || op == 0xc6 || op == 0xc7 )
        d->op = OP_MOV;
    else if ( op == 0x86 || op == 0x87 )
        d->op = OP_XCHG;
    else
        return false;

    ml = modrm_len(&b[i], n - i);
    if ( !ml )
        return false;
    reg = ((b[i] >> 3) & 7) | (rex_r ? 8 : 0);
    d->bytes = (op & 1) ? (rex_w ? 8 : opsz16 ? 2 : 4) : 1;
    i += ml;
    if ( op == 0xc6 || op == 0xc7 )
    {
        unsigned int isz = d->bytes == 8 ? 4 : d->bytes;
        int64_t imm = 0;

        if ( (b[i - ml] >> 3) & 7 )
            return false;               /* only /0 is mov */
        if ( i + isz > n )
            return false;
        memcpy(&imm, &b[i], isz);
        if ( isz == 4 )
            imm = (int32_t)imm;         /* sign-extended to 64 bits */
        d->src = imm;
        i += isz;
    }
    else
    {
        /* Byte registers 4-7 without REX are ah, ch, dh, bh. */
        if ( d->bytes == 1 && !rex && reg >= 4 && reg < 8 )
        {
            d->reg = NULL;
            d->src = (*gpr_n(regs, reg - 4) >> 8) & 0xff;
            if ( d->op != OP_MOV )
                return false;
        }
        else
        {
            d->reg = gpr_n(regs, reg);
            d->src = *d->reg;
        }
    }
    d->len = i;
    return true;
}

static uint64_t size_mask(unsigned int bytes)
{
    return bytes == 8 ? ~0UL : (1UL << (bytes * 8)) - 1;
}

bool pv_ptwr_fault(struct cpu_regs *regs, unsigned long addr)
{
    struct vcpu *v = current;
    struct domain *d = v->domain;
    unsigned long l1mfn_of_pte, target, shift;
    uint64_t *pte, *entry, oldv, newv;
    struct page_info *pg;
    struct decoded dec = { 0 };
    unsigned int slot;

    /*
     * As Xen 4.17: with the writable_pagetables assist, and always for the
     * hardware domain (Xen reaches the same emulation through its
     * read-only-MMIO path for dom0).
     */
    if ( !v->kernel_mode ||
         (!(d->vm_assist & (1u << VMASST_TYPE_writable_pagetables)) &&
          d != hardware_domain) ||
         (regs->error_code & (PFEC_RSVD | PFEC_FETCH)) ||
         (regs->error_code & (PFEC_PRESENT | PFEC_WRITE)) !=
         (PFEC_PRESENT | PFEC_WRITE) )
        return false;

    /* The faulting page must be a read-only mapping of one of our L1s. */
    pte = guest_l1e_ptr(v, addr, &l1mfn_of_pte);
    if ( !pte || (*pte & (_PAGE_PRESENT | _PAGE_RW)) != _PAGE_PRESENT )
        return false;
    target = PTE_MFN(*pte);
    if ( !mfn_valid(target) )
        return false;
    pg = mfn_to_page(target);
    if ( pg->owner != d->domain_id ||
         (pg->type_info & PGT_type_mask) != PGT_l1_page_table ||
         !(pg->type_info & PGT_count_mask) )
        return false;

    if ( !decode(regs, &dec) || (addr & (dec.bytes - 1)) )
        return false;
    slot = (addr & ~PAGE_MASK) >> 3;
    entry = (uint64_t *)mfn_to_virt(target) + slot;
    oldv = *entry;
    shift = (addr & 7) * 8;
    newv = (oldv & ~(size_mask(dec.bytes) << shift)) |
           ((dec.src & size_mask(dec.bytes)) << shift);

    if ( dec.op == OP_CMPXCHG )
    {
        uint64_t cur = (oldv >> shift) & size_mask(dec.bytes);
        uint64_t want = regs->rax & size_mask(dec.bytes);

        if ( cur != want )
        {
            /* Comparison failed: load rax, clear ZF, store nothing. */
            if ( dec.bytes == 4 )
                regs->rax = cur;
            else
                regs->rax = (regs->rax & ~size_mask(dec.bytes)) | cur;
            regs->rflags &= ~(1UL << 6);
            regs->rip += dec.len;
            return true;
        }
    }
    if ( pv_mod_l1_entry(d, target, slot, newv, false) )
        return false;               /* invalid entry: the guest gets #PF */

    if ( dec.op == OP_XCHG && dec.reg )
    {
        uint64_t o = (oldv >> shift) & size_mask(dec.bytes);

        *dec.reg = dec.bytes == 4 ? o : (*dec.reg & ~size_mask(dec.bytes)) | o;
    }
    else if ( dec.op == OP_CMPXCHG )
        regs->rflags |= 1UL << 6;   /* ZF */
    regs->rip += dec.len;
    return true;
}
