/* 16550 UART on COM1 (I/O port 0x3f8), polled output and input at 115200 8N1. */
#include <xenia/lib.h>
#include <xenia/processor.h>
#include <xenia/console.h>

#define COM1        0x3f8
#define UART_THR    0
#define UART_IER    1
#define UART_FCR    2
#define UART_LCR    3
#define UART_MCR    4
#define UART_LSR    5
#define LSR_DR      0x01
#define LSR_THRE    0x20
#define UART_RBR    0

static bool serial_ready;

void serial_init(void)
{
    outb(COM1 + UART_IER, 0x00);        /* no interrupts */
    outb(COM1 + UART_LCR, 0x80);        /* DLAB */
    outb(COM1 + 0, 0x01);               /* divisor 1: 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + UART_LCR, 0x03);        /* 8N1 */
    outb(COM1 + UART_FCR, 0x07);        /* FIFOs on, cleared */
    outb(COM1 + UART_MCR, 0x03);        /* DTR, RTS */
    serial_ready = true;
}

void serial_putc(char c)
{
    unsigned int spins = 0;

    if ( !serial_ready )
        return;
    if ( c == '\n' )
        serial_putc('\r');
    while ( !(inb(COM1 + UART_LSR) & LSR_THRE) && ++spins < 100000 )
        cpu_relax();
    outb(COM1 + UART_THR, (uint8_t)c);
}

int serial_getc(void)
{
    if ( !serial_ready || !(inb(COM1 + UART_LSR) & LSR_DR) )
        return -1;
    return inb(COM1 + UART_RBR);
}

void serial_write(const char *s, size_t n)
{
    while ( n-- )
        serial_putc(*s++);
}
