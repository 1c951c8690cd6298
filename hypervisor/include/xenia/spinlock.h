/*
 * Ticket spinlocks. Hypervisor code runs with interrupts off, so a plain
 * spin_lock is enough everywhere except where a lock may be wanted while
 * interrupts are on (the idle loop): use spin_lock_irqsave there.
 * Lock order is documented at the top of each file that takes locks; see
 * docs/smp.md for the whole picture.
 */
#ifndef XENIA_SPINLOCK_H
#define XENIA_SPINLOCK_H

#include <xenia/types.h>

typedef struct {
    volatile uint16_t head;     /* ticket being served */
    volatile uint16_t tail;     /* next ticket to hand out */
} spinlock_t;

#define SPIN_LOCK_UNLOCKED { 0, 0 }
#define DEFINE_SPINLOCK(l) spinlock_t l = SPIN_LOCK_UNLOCKED

static inline void spin_lock_init(spinlock_t *l)
{
    l->head = l->tail = 0;
}

static inline void spin_lock(spinlock_t *l)
{
    uint16_t me = __atomic_fetch_add(&l->tail, 1, __ATOMIC_ACQUIRE);

    while ( __atomic_load_n(&l->head, __ATOMIC_ACQUIRE) != me )
        __asm__ __volatile__ ( "pause" ::: "memory" );
}

static inline bool spin_trylock(spinlock_t *l)
{
    uint16_t h = __atomic_load_n(&l->head, __ATOMIC_RELAXED);
    uint32_t old = h | ((uint32_t)h << 16), new = h | ((uint32_t)(h + 1) << 16);

    /* Take a ticket only if nobody holds or waits for the lock. */
    return __atomic_compare_exchange_n((uint32_t *)l, &old, new, false,
                                       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void spin_unlock(spinlock_t *l)
{
    __atomic_store_n(&l->head, (uint16_t)(l->head + 1), __ATOMIC_RELEASE);
}

static inline bool spin_is_locked(const spinlock_t *l)
{
    return l->head != l->tail;
}

static inline unsigned long spin_lock_irqsave(spinlock_t *l)
{
    unsigned long flags;

    __asm__ __volatile__ ( "pushf; pop %0; cli" : "=r" (flags) :: "memory" );
    spin_lock(l);
    return flags;
}

static inline void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
    spin_unlock(l);
    __asm__ __volatile__ ( "push %0; popf" :: "r" (flags) : "memory", "cc" );
}

#endif /* XENIA_SPINLOCK_H */
