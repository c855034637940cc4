/* SPDX-License-Identifier: MIT */
/*
 * The PC platform: the COM1 serial console, the legacy 8259 interrupt
 * controllers and the 8254 timer (PIT). The local APIC is left in
 * virtual-wire mode so the 8259 reaches the CPU.
 */
#include <arch.h>
#include <klib.h>
#include "x86.h"

#define COM1 0x3f8
#define PIC1 0x20
#define PIC2 0xa0
#define PIC_EOI 0x20
#define PIT_HZ 1193182u
#define LAPIC_BASE 0xfee00000ull
#define LAPIC_SVR 0xf0
#define LAPIC_LINT0 0x350
#define LAPIC_LINT1 0x360

#define IOAPIC_BASE 0xfec00000ull
#define HPET_BASE 0xfed00000ull

static uint16_t pic_mask = 0xffff;   /* all lines masked until attached */

/* The interrupt controllers and timers: whoever maps them can stop the
 * clock or mask every interrupt, so they stay the kernel's even when it
 * does not drive them itself (I/O APIC, HPET). */
void arch_kernel_devices(void (*fn)(word_t base, word_t size))
{
	fn(LAPIC_BASE, 4096);
	fn(IOAPIC_BASE, 4096);
	fn(HPET_BASE, 4096);
}

void arch_console_init(void)
{
	x86_outb(COM1 + 1, 0x00);    /* no interrupts */
	x86_outb(COM1 + 3, 0x80);    /* DLAB */
	x86_outb(COM1 + 0, 0x01);    /* 115200 baud */
	x86_outb(COM1 + 1, 0x00);
	x86_outb(COM1 + 3, 0x03);    /* 8N1 */
	x86_outb(COM1 + 2, 0xc7);    /* FIFO */
	x86_outb(COM1 + 4, 0x03);
}

static void serial_putc(char c)
{
	while (!(x86_inb(COM1 + 5) & 0x20))
		;
	x86_outb(COM1, (uint8_t)c);
}

void arch_console_putc(char c)
{
	if (c == '\n')
		serial_putc('\r');
	serial_putc(c);
}

static void pic_write_mask(void)
{
	x86_outb(PIC1 + 1, pic_mask & 0xff);
	x86_outb(PIC2 + 1, pic_mask >> 8);
}

/* ICW1..ICW4: vectors 32..47, cascade on line 2, 8086 mode. */
static void pic_init(void)
{
	x86_outb(PIC1, 0x11);
	x86_outb(PIC2, 0x11);
	x86_outb(PIC1 + 1, 32);
	x86_outb(PIC2 + 1, 40);
	x86_outb(PIC1 + 1, 4);
	x86_outb(PIC2 + 1, 2);
	x86_outb(PIC1 + 1, 1);
	x86_outb(PIC2 + 1, 1);
	pic_mask = 0xffff & ~(1u << 2);
	pic_write_mask();
}

static void lapic_write(unsigned reg, uint32_t v)
{
	*(volatile uint32_t *)phys_to_virt(LAPIC_BASE + reg) = v;
}

/* Virtual-wire mode: LINT0 delivers ExtINT (the 8259), LINT1 NMI. */
static void lapic_virtual_wire(void)
{
	lapic_write(LAPIC_SVR, 0x1ff);
	lapic_write(LAPIC_LINT0, 0x700);
	lapic_write(LAPIC_LINT1, 0x400);
}

static void pit_init(unsigned hz)
{
	unsigned div = PIT_HZ / hz;

	x86_outb(0x43, 0x34);        /* channel 0, lo/hi, rate generator */
	x86_outb(0x40, div & 0xff);
	x86_outb(0x40, div >> 8);
}

void arch_irq_init(unsigned timer_hz)
{
	pic_init();
	lapic_virtual_wire();
	pit_init(timer_hz);
	arch_irq_unmask(ARCH_TIMER_IRQ);
}

/* MSI lines are edge messages the device sends: nothing to mask here. */
void arch_irq_mask(unsigned irq)
{
	if (irq >= ARCH_IRQ_MSI_FIRST)
		return;
	pic_mask |= 1u << irq;
	pic_write_mask();
}

void arch_irq_unmask(unsigned irq)
{
	if (irq >= ARCH_IRQ_MSI_FIRST)
		return;
	pic_mask &= ~(1u << irq);
	pic_write_mask();
}

/* End of interrupt for a line of the 8259 pair, or an MSI vector. */
void arch_irq_eoi(unsigned irq)
{
	if (irq >= ARCH_IRQ_MSI_FIRST) {
		msi_eoi();
		return;
	}
	if (irq >= 8)
		x86_outb(PIC2, PIC_EOI);
	x86_outb(PIC1, PIC_EOI);
}
