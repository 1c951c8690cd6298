/* Console: serial output, log levels, and the console ring. */
#ifndef XENIA_CONSOLE_H
#define XENIA_CONSOLE_H

#include <xenia/types.h>

void serial_init(void);
void serial_putc(char c);
void serial_write(const char *s, size_t n);
/* The next received byte, or -1 when none is waiting (polled). */
int serial_getc(void);

/*
 * Console input: polled from the UART on CPU 0's tick, kept in a ring,
 * read by the hardware domain with CONSOLEIO_read after VIRQ_CONSOLE.
 */
void console_poll_input(void);

/* From the command line: "loglvl=" and "console=". */
int console_parse_loglvl(const char *v);
int console_parse_console(const char *v);
/* Guest console output, written raw (no hypervisor prefix) for dom0. */
void console_guest_write(unsigned int domid, const char *s, size_t n);
/* XEN_SYSCTL_readconsole (common/console.c). */
int console_read_ring(vaddr_t buf, uint32_t *count, uint32_t *index,
                      bool incremental, bool clear);

#endif /* XENIA_CONSOLE_H */
