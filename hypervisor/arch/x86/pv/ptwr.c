/*
 * Writable page tables (VMASST_TYPE_writable_pagetables): a guest kernel
 * store into one of its own L1 tables, which are always mapped read-only,
 * faults; the hypervisor decodes the store (mov, xchg, cmpxchg, and the
 * read-modify-write forms Linux uses on PTEs: add/or/adc/sbb/and/sub/xor
 * with a register or immediate, bts/btr/btc; 1, 2, 4 or 8 bytes, naturally
 * aligned, inside the faulting page), computes it, merges it into the
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

enum ptwr_op { OP_MOV, OP_XCHG, OP_CMPXCHG, OP_ALU, OP_BIT };

/* ALU operations (group 1 order) and bit operations (0f ba order). */
enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };
enum { BIT_BT, BIT_BTS, BIT_BTR, BIT_BTC };

struct decoded {
    unsigned int len, bytes;
    enum ptwr_op op;
    unsigned int sub;       /* ALU_* or BIT_* */
    uint64_t src;           /* value to store, second operand or bit index */
    uint64_t *reg;          /* register operand (xchg/cmpxchg result) */
};

struct insn_bytes {
    uint8_t b[15];
    unsigned int n, i;
    bool opsz16, rex, rex_w, rex_r;
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

/* Fetches the instruction and consumes its legacy and REX prefixes. */
static bool fetch_prefixes(const struct cpu_regs *regs, struct insn_bytes *x)
{
    while ( x->n < sizeof(x->b) &&
            !copy_from_guest(&x->b[x->n], regs->rip + x->n, 1) )
        x->n++;
    for ( ; x->i < x->n; x->i++ )
    {
        uint8_t c = x->b[x->i];

        if ( c == 0x66 )
            x->opsz16 = true;
        else if ( c != 0xf0 && c != 0x2e && c != 0x3e && c != 0x26 &&
                  c != 0x36 && c != 0x64 && c != 0x65 )
            break;
    }
    if ( x->i < x->n && (x->b[x->i] & 0xf0) == 0x40 )
    {
        x->rex = true;
        x->rex_w = x->b[x->i] & 8;
        x->rex_r = x->b[x->i] & 4;
        x->i++;
    }
    return x->i < x->n;
}

/*
 * Classifies the opcode: the stores Linux uses on page-table entries (mov,
 * xchg, cmpxchg) and the read-modify-write forms it uses to change bits in
 * them (and/or/... with a register or an immediate, bts/btr/btc). Sets
 * d->op, d->sub and how many immediate bytes follow the ModRM operand;
 * returns the opcode byte that decides the operand size, or -1.
 */
static int classify(struct insn_bytes *x, struct decoded *d, unsigned int *imm)
{
    uint8_t op = x->b[x->i++];
    uint8_t ext = x->i < x->n ? (x->b[x->i] >> 3) & 7 : 0;

    *imm = 0;
    if ( op == 0x0f )
    {
        if ( x->i >= x->n )
            return -1;
        op = x->b[x->i++];
        ext = x->i < x->n ? (x->b[x->i] >> 3) & 7 : 0;
        switch ( op )
        {
        case 0xb0: case 0xb1:
            d->op = OP_CMPXCHG;
            return op;
        case 0xab: case 0xb3: case 0xbb:            /* bts/btr/btc r/m, reg */
            d->op = OP_BIT;
            d->sub = op == 0xab ? BIT_BTS : op == 0xb3 ? BIT_BTR : BIT_BTC;
            return 0x01;
        case 0xba:                                  /* bt* r/m, imm8 */
            if ( ext < 5 )
                return -1;
            d->op = OP_BIT;
            d->sub = ext - 4;
            *imm = 1;
            return 0x01;
        }
        return -1;
    }
    if ( op < 0x40 && (op & 7) < 2 && (op >> 3) != ALU_CMP )
    {
        d->op = OP_ALU;                             /* op r/m, reg */
        d->sub = op >> 3;
        return op & 1;
    }
    switch ( op )
    {
    case 0x88: case 0x89:
        d->op = OP_MOV;
        return op;
    case 0xc6: case 0xc7:
        if ( ext )
            return -1;                              /* only /0 is mov */
        d->op = OP_MOV;
        *imm = 4;
        return op;
    case 0x86: case 0x87:
        d->op = OP_XCHG;
        return op;
    case 0x80: case 0x81: case 0x83:                /* group 1, imm */
        if ( ext == ALU_CMP )
            return -1;
        d->op = OP_ALU;
        d->sub = ext;
        *imm = op == 0x81 ? 4 : 1;
        return op == 0x80 ? 0 : 1;
    }
    return -1;
}

/* Reads the immediate, sign-extended to 64 bits. */
static bool read_imm(struct insn_bytes *x, unsigned int isz, uint64_t *val)
{
    int64_t imm = 0;

    if ( x->i + isz > x->n )
        return false;
    memcpy(&imm, &x->b[x->i], isz);
    if ( isz == 1 )
        imm = (int8_t)imm;
    else if ( isz == 2 )
        imm = (int16_t)imm;
    else if ( isz == 4 )
        imm = (int32_t)imm;
    x->i += isz;
    *val = imm;
    return true;
}

static bool ptwr_decode(struct cpu_regs *regs, struct decoded *d)
{
    struct insn_bytes x = { .n = 0 };
    unsigned int ml, reg, imm;
    int szop;

    if ( !fetch_prefixes(regs, &x) || (szop = classify(&x, d, &imm)) < 0 )
        return false;
    ml = modrm_len(&x.b[x.i], x.n - x.i);
    if ( !ml )
        return false;
    reg = ((x.b[x.i] >> 3) & 7) | (x.rex_r ? 8 : 0);
    d->bytes = (szop & 1) ? (x.rex_w ? 8 : x.opsz16 ? 2 : 4) : 1;
    x.i += ml;
    if ( imm )
    {
        /* imm32 shrinks to imm16 with a 16-bit operand; byte ops take imm8. */
        if ( imm == 4 && d->bytes < 4 )
            imm = d->bytes;
        if ( !read_imm(&x, imm, &d->src) )
            return false;
    }
    else if ( d->bytes == 1 && !x.rex && reg >= 4 && reg < 8 )
    {
        /* Byte registers 4-7 without REX are ah, ch, dh, bh. */
        d->reg = NULL;
        d->src = (*gpr_n(regs, reg - 4) >> 8) & 0xff;
        if ( d->op == OP_XCHG || d->op == OP_CMPXCHG )
            return false;
    }
    else
    {
        d->reg = gpr_n(regs, reg);
        d->src = *d->reg;
    }
    d->len = x.i;
    return true;
}

static uint64_t size_mask(unsigned int bytes)
{
    return bytes == 8 ? ~0UL : (1UL << (bytes * 8)) - 1;
}

#define FLAG_CF (1UL << 0)
#define FLAG_PF (1UL << 2)
#define FLAG_AF (1UL << 4)
#define FLAG_ZF (1UL << 6)
#define FLAG_SF (1UL << 7)
#define FLAG_OF (1UL << 11)
#define ALU_FLAGS (FLAG_CF | FLAG_PF | FLAG_AF | FLAG_ZF | FLAG_SF | FLAG_OF)

/* a OP b at the operand size, with the arithmetic flags the CPU sets. */
static uint64_t alu_apply(unsigned int alu, unsigned int bytes, uint64_t a,
                          uint64_t b, uint64_t *rflags)
{
    uint64_t m = size_mask(bytes), sign = 1UL << (bytes * 8 - 1), r;
    uint64_t cin = *rflags & FLAG_CF, f = 0;
    bool cf = false, of = false;

    a &= m;
    b &= m;
    switch ( alu )
    {
    case ALU_ADD: case ALU_ADC:
        cin = alu == ALU_ADC ? cin : 0;
        r = (a + b + cin) & m;
        cf = cin ? r <= a : r < a;
        of = (a ^ r) & (b ^ r) & sign;
        f |= (a ^ b ^ r) & FLAG_AF;
        break;
    case ALU_SUB: case ALU_SBB:
        cin = alu == ALU_SBB ? cin : 0;
        r = (a - b - cin) & m;
        cf = cin ? a <= b : a < b;
        of = (a ^ b) & (a ^ r) & sign;
        f |= (a ^ b ^ r) & FLAG_AF;
        break;
    case ALU_OR:  r = a | b; break;
    case ALU_AND: r = a & b; break;
    default:      r = a ^ b; break;
    }
    f |= (cf ? FLAG_CF : 0) | (of ? FLAG_OF : 0) | (r ? 0 : FLAG_ZF) |
         (r & sign ? FLAG_SF : 0) |
         (__builtin_parity(r & 0xff) ? 0 : FLAG_PF);
    *rflags = (*rflags & ~ALU_FLAGS) | f;
    return r;
}

/* The bit operation on the operand; CF gets the bit's old value. */
static uint64_t bit_apply(unsigned int op, unsigned int bytes, uint64_t a,
                          uint64_t bit, uint64_t *rflags)
{
    uint64_t mask = 1UL << (bit & (bytes * 8 - 1));

    *rflags = (*rflags & ~FLAG_CF) | (a & mask ? FLAG_CF : 0);
    switch ( op )
    {
    case BIT_BTS: return a | mask;
    case BIT_BTR: return a & ~mask;
    case BIT_BTC: return a ^ mask;
    default:      return a;
    }
}

/*
 * Whether a #PF is ptwr's to handle. As Xen 4.17: a kernel-mode write to
 * a present page, with the writable_pagetables assist, and always for
 * the hardware domain (Xen reaches the same emulation through its
 * read-only-MMIO path for dom0).
 */
static bool ptwr_applies(const struct vcpu *v, const struct cpu_regs *regs)
{
    const struct domain *d = v->domain;

    return v->kernel_mode &&
           ((d->vm_assist & (1u << VMASST_TYPE_writable_pagetables)) ||
            d == hardware_domain) &&
           !(regs->error_code & (PFEC_RSVD | PFEC_FETCH)) &&
           (regs->error_code & (PFEC_PRESENT | PFEC_WRITE)) ==
           (PFEC_PRESENT | PFEC_WRITE);
}

/*
 * The L1 table the faulting write hits: a read-only mapping of an L1 of
 * the domain's, in use. Its MFN, or ~0UL if the fault is something else.
 */
static unsigned long ptwr_target_l1(struct vcpu *v, unsigned long addr)
{
    unsigned long l1mfn_of_pte, target;
    struct page_info *pg;
    uint64_t *pte = guest_l1e_ptr(v, addr, &l1mfn_of_pte);

    if ( !pte || (*pte & (_PAGE_PRESENT | _PAGE_RW)) != _PAGE_PRESENT )
        return ~0UL;
    target = PTE_MFN(*pte);
    if ( !mfn_valid(target) )
        return ~0UL;
    pg = mfn_to_page(target);
    if ( pg->owner != v->domain->domain_id ||
         (pg->type_info & PGT_type_mask) != PGT_l1_page_table ||
         !(pg->type_info & PGT_count_mask) )
        return ~0UL;
    return target;
}

/*
 * The entry's new value: the decoded write (after its ALU or bit
 * operation on the old bytes) merged into the old entry. *flags gets the
 * EFLAGS that operation leaves.
 */
static uint64_t ptwr_new_entry(struct decoded *dec, uint64_t oldv,
                               unsigned int shift, uint64_t *flags)
{
    if ( dec->op == OP_ALU )
        dec->src = alu_apply(dec->sub, dec->bytes, oldv >> shift, dec->src,
                             flags);
    else if ( dec->op == OP_BIT )
        dec->src = bit_apply(dec->sub, dec->bytes, oldv >> shift, dec->src,
                             flags);
    return (oldv & ~(size_mask(dec->bytes) << shift)) |
           ((dec->src & size_mask(dec->bytes)) << shift);
}

/* A cmpxchg whose comparison failed: load rax, clear ZF, store nothing. */
static void ptwr_cmpxchg_failed(struct cpu_regs *regs,
                                const struct decoded *dec, uint64_t cur)
{
    if ( dec->bytes == 4 )
        regs->rax = cur;
    else
        regs->rax = (regs->rax & ~size_mask(dec->bytes)) | cur;
    regs->rflags &= ~(1UL << 6);
    regs->rip += dec->len;
}

/* After the store: the instruction's register and flag results. */
static void ptwr_complete(struct cpu_regs *regs, const struct decoded *dec,
                          uint64_t oldv, unsigned int shift, uint64_t flags)
{
    if ( dec->op == OP_XCHG && dec->reg )
    {
        uint64_t o = (oldv >> shift) & size_mask(dec->bytes);

        *dec->reg = dec->bytes == 4 ? o
                    : (*dec->reg & ~size_mask(dec->bytes)) | o;
    }
    else if ( dec->op == OP_CMPXCHG )
        regs->rflags |= 1UL << 6;   /* ZF */
    else
        regs->rflags = flags;       /* ALU and bit operations */
    regs->rip += dec->len;
}

bool pv_ptwr_fault(struct cpu_regs *regs, unsigned long addr)
{
    struct vcpu *v = current;
    unsigned long target;
    uint64_t *entry, oldv, newv, flags = regs->rflags;
    struct decoded dec = { 0 };
    unsigned int slot, shift;

    if ( !ptwr_applies(v, regs) ||
         (target = ptwr_target_l1(v, addr)) == ~0UL )
        return false;
    if ( !ptwr_decode(regs, &dec) || (addr & (dec.bytes - 1)) )
        return false;
    slot = (addr & ~PAGE_MASK) >> 3;
    entry = (uint64_t *)mfn_to_virt(target) + slot;
    oldv = *entry;
    shift = (addr & 7) * 8;
    newv = ptwr_new_entry(&dec, oldv, shift, &flags);
    if ( dec.op == OP_CMPXCHG &&
         ((oldv >> shift) & size_mask(dec.bytes)) !=
         (regs->rax & size_mask(dec.bytes)) )
    {
        ptwr_cmpxchg_failed(regs, &dec, (oldv >> shift) & size_mask(dec.bytes));
        return true;
    }
    if ( pv_mod_l1_entry(v->domain, target, slot, newv, false) )
        return false;               /* invalid entry: the guest gets #PF */
    ptwr_complete(regs, &dec, oldv, shift, flags);
    return true;
}
