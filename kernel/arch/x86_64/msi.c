/* SPDX-License-Identifier: MIT */
/*
 * Message-signalled interrupts (PCI MSI and MSI-X) through the local APIC.
 *
 * A device raises an MSI by writing a 32-bit `data` word to an `address`
 * in the 0xfee00000 window; the chipset turns the write into an interrupt
 * message for the local APIC named in address bits 19..12, and the APIC
 * raises the vector in data bits 7..0 (fixed delivery, edge). MSI line n
 * (ARCH_IRQ_MSI_FIRST <= n < ARCH_IRQ_COUNT) is vector 32 + n on this CPU;
 * the driver that attached the line programs the device (its MSI
 * capability or an MSI-X table entry in one of its BARs) with the pair
 * arch_irq_msi_message returns. Nothing needs masking in the kernel: an
 * MSI is one message, not a level, so a second one before the handler's
 * acknowledgement simply leaves the line pending (kernel/irq.c). The end
 * of interrupt goes to the local APIC, not the 8259.
 */
#include <arch.h>
#include "x86.h"

#define LAPIC_BASE 0xfee00000ull
#define LAPIC_ID 0x20
#define LAPIC_EOI 0xb0
#define MSI_ADDR_BASE 0xfee00000ull
#define MSI_ADDR_DEST_SHIFT 12

static volatile uint32_t *msi_lapic(unsigned reg)
{
	return (volatile uint32_t *)phys_to_virt(LAPIC_BASE + reg);
}

void arch_irq_msi_message(unsigned irq, word_t *addr, word_t *data)
{
	word_t apic_id = *msi_lapic(LAPIC_ID) >> 24;

	*addr = MSI_ADDR_BASE | apic_id << MSI_ADDR_DEST_SHIFT;
	*data = 32 + irq;                    /* fixed delivery, edge, vector */
}

void msi_eoi(void)
{
	*msi_lapic(LAPIC_EOI) = 0;
}
