/* SPDX-License-Identifier: MIT */
/*
 * PCI for user-level drivers: configuration space through the PCIe ECAM
 * window (q35: 0xb0000000), mapped through sigma0's DEVICE request, and
 * memory BARs placed, enabled and mapped the same way. Bus 0 only.
 */
#ifndef DRIVERS_PCI_H
#define DRIVERS_PCI_H

#include <libmap.h>

#define PCI_ECAM_BASE 0xb0000000ul          /* q35's MMCONFIG window */
#define PCI_BARS 6

#define PCI_CAP_MSIX 0x11
#define PCI_CAP_VENDOR 0x09

struct pci_dev {
	unsigned dev, fn;                    /* on bus 0 */
	volatile uint8_t *cfg;               /* its 4 KiB of configuration space */
	word_t bar_pa[PCI_BARS];             /* physical base, 0 if unused */
	word_t bar_size[PCI_BARS];
	volatile uint8_t *bar[PCI_BARS];     /* where the driver sees it, NULL if unmapped */
};

/* Map bus 0's configuration space; false if sigma0 refuses. */
bool pci_init(void);
/* The first function on bus 0 with this vendor and device id. */
bool pci_find(uint16_t vendor, uint16_t device, struct pci_dev *d);

uint32_t pci_read32(const struct pci_dev *d, unsigned off);
uint16_t pci_read16(const struct pci_dev *d, unsigned off);
uint8_t pci_read8(const struct pci_dev *d, unsigned off);
void pci_write32(const struct pci_dev *d, unsigned off, uint32_t v);
void pci_write16(const struct pci_dev *d, unsigned off, uint16_t v);

/* Offset of the next capability with this id after `after` (0: from the
 * start), or 0 if there is none. */
unsigned pci_cap_find(const struct pci_dev *d, unsigned after, uint8_t id);

/* Size every memory BAR, place those the firmware left unplaced above
 * every BAR already placed on bus 0, enable memory decoding and bus
 * mastering (INTx off), and map each BAR uncached into the driver. */
bool pci_map_bars(struct pci_dev *d);

#endif
