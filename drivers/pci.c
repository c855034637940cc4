/* SPDX-License-Identifier: MIT */
/*
 * PCI configuration space through ECAM, and memory BARs (pci.h).
 *
 * Pagoda's QEMU firmware (qboot) enables the q35 ECAM window but places no
 * BARs, so the driver does it: it sizes each memory BAR (write all ones,
 * read back the mask), places it naturally aligned in the PCI hole between
 * the end of the ECAM window and the I/O APIC, above every BAR already
 * placed on bus 0 (a BAR placed above 4 GiB is moved down: sigma0 maps
 * device memory below 4 GiB only), turns on memory decoding and bus mastering, and asks
 * sigma0 for the range (DEVICE, uncached). Device windows land in the
 * driver's space at PCI_VA_BASE + 256 MiB * BAR number. I/O BARs are left
 * alone: user tasks have no port access.
 */
#include "pci.h"
#include <sigma0.h>

#define PCI_ECAM_BUS_LOG2 20                  /* 32 devices * 8 functions * 4 KiB */
#define PCI_CFG_VA 0x50000000000ul
#define PCI_VA_BASE 0x50100000000ul
#define PCI_VA_BAR_LOG2 28
#define PCI_HOLE_BASE 0xc0000000ul
#define PCI_HOLE_END 0xfec00000ul

#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_COMMAND_INTX_OFF 0x400
#define PCI_STATUS 0x06
#define PCI_STATUS_CAPS 0x10
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_CAP_PTR 0x34
#define PCI_BAR_IO 0x1
#define PCI_BAR_64 0x4

static volatile uint8_t *pci_cfg_base;        /* bus 0, mapped by pci_init */

bool pci_init(void)
{
	word_t fp = fpage_make(PCI_ECAM_BASE, PCI_ECAM_BUS_LOG2, FPAGE_RW);

	if (sigma0_device(fp, fpage_make(PCI_CFG_VA, PCI_ECAM_BUS_LOG2, FPAGE_RW)))
		return false;
	pci_cfg_base = (volatile uint8_t *)PCI_CFG_VA;
	return true;
}

static volatile uint8_t *pci_cfg(unsigned dev, unsigned fn)
{
	return pci_cfg_base + ((dev << 15) | (fn << 12));
}

uint32_t pci_read32(const struct pci_dev *d, unsigned off)
{
	return *(volatile uint32_t *)(d->cfg + off);
}

uint16_t pci_read16(const struct pci_dev *d, unsigned off)
{
	return *(volatile uint16_t *)(d->cfg + off);
}

uint8_t pci_read8(const struct pci_dev *d, unsigned off)
{
	return d->cfg[off];
}

void pci_write32(const struct pci_dev *d, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(d->cfg + off) = v;
}

void pci_write16(const struct pci_dev *d, unsigned off, uint16_t v)
{
	*(volatile uint16_t *)(d->cfg + off) = v;
}

bool pci_find(uint16_t vendor, uint16_t device, struct pci_dev *d)
{
	for (unsigned dev = 0; dev < 32; dev++) {
		for (unsigned fn = 0; fn < 8; fn++) {
			volatile uint8_t *c = pci_cfg(dev, fn);
			uint32_t id = *(volatile uint32_t *)c;

			if ((id & 0xffff) == vendor && id >> 16 == device) {
				memset(d, 0, sizeof(*d));
				d->dev = dev;
				d->fn = fn;
				d->cfg = c;
				return true;
			}
			if (fn == 0 && (id == 0xffffffffu || !(c[PCI_HEADER_TYPE] & 0x80)))
				break;                  /* absent, or single-function */
		}
	}
	return false;
}

unsigned pci_cap_find(const struct pci_dev *d, unsigned after, uint8_t id)
{
	unsigned off, steps = 0;

	if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAPS))
		return 0;
	off = after ? pci_read8(d, after + 1) : pci_read8(d, PCI_CAP_PTR);
	for (; off >= 0x40 && steps < 48; steps++) {
		off &= 0xfc;
		if (pci_read8(d, off) == id)
			return off;
		off = pci_read8(d, off + 1);
	}
	return 0;
}

/* Size BAR i (memory decoding off); 0 for an I/O or absent BAR. */
static word_t pci_bar_size(struct pci_dev *d, unsigned i, bool *is64)
{
	unsigned off = PCI_BAR0 + 4 * i;
	uint32_t old = pci_read32(d, off), lo, hi = 0xffffffffu;

	*is64 = !(old & PCI_BAR_IO) && (old & 6) == PCI_BAR_64;
	if (old & PCI_BAR_IO)
		return 0;
	pci_write32(d, off, 0xffffffffu);
	lo = pci_read32(d, off) & ~0xfu;
	pci_write32(d, off, old);
	if (*is64) {
		uint32_t oldhi = pci_read32(d, off + 4);
		pci_write32(d, off + 4, 0xffffffffu);
		hi = pci_read32(d, off + 4);
		pci_write32(d, off + 4, oldhi);
	}
	if (!lo && !(*is64 && hi))
		return 0;
	return ~((word_t)hi << 32 | lo) + 1;
}

/* Where BAR i currently lies (0: not placed). */
static word_t pci_bar_base(const struct pci_dev *d, unsigned i, bool is64)
{
	word_t lo = pci_read32(d, PCI_BAR0 + 4 * i) & ~0xfu;

	return is64 ? lo | (word_t)pci_read32(d, PCI_BAR0 + 4 * i + 4) << 32 : lo;
}

/* The end of the highest memory BAR placed in the PCI hole on bus 0. */
static word_t pci_hole_used(void)
{
	word_t top = PCI_HOLE_BASE;

	for (unsigned dev = 0; dev < 32; dev++) {
		struct pci_dev o = { .cfg = pci_cfg(dev, 0) };
		if (pci_read32(&o, 0) == 0xffffffffu)
			continue;
		for (unsigned i = 0; i < PCI_BARS; i++) {
			uint32_t v = pci_read32(&o, PCI_BAR0 + 4 * i);
			word_t b = v & ~0xfu;
			if (!(v & PCI_BAR_IO) && b >= top && b < PCI_HOLE_END)
				top = b + 4096;             /* at least a page each */
		}
	}
	return top;
}

static bool pci_bar_place(struct pci_dev *d, unsigned i, bool is64, word_t *next)
{
	word_t base = pci_bar_base(d, i, is64), size = d->bar_size[i];

	if (!base || base + size > PCI_HOLE_END) {      /* unplaced, or where sigma0 cannot map */
		base = ALIGN_UP(*next, MAX(size, (word_t)4096));
		if (base + size > PCI_HOLE_END)
			return false;
		pci_write32(d, PCI_BAR0 + 4 * i, (uint32_t)base);
		if (is64)
			pci_write32(d, PCI_BAR0 + 4 * i + 4, 0);
		*next = base + size;
	}
	d->bar_pa[i] = base;
	return true;
}

static bool pci_bar_map(struct pci_dev *d, unsigned i)
{
	word_t size = MAX(d->bar_size[i], (word_t)4096), va = PCI_VA_BASE + ((word_t)i << PCI_VA_BAR_LOG2);
	unsigned log2 = 12;

	while (((word_t)1 << log2) < size)
		log2++;
	if (log2 > PCI_VA_BAR_LOG2 || !IS_ALIGNED(d->bar_pa[i], (word_t)1 << log2))
		return false;
	if (sigma0_device(fpage_make(d->bar_pa[i], log2, FPAGE_RW), fpage_make(va, log2, FPAGE_RW)))
		return false;
	d->bar[i] = (volatile uint8_t *)va;
	return true;
}

bool pci_map_bars(struct pci_dev *d)
{
	uint16_t cmd = pci_read16(d, PCI_COMMAND);
	word_t next = pci_hole_used();
	bool is64;

	pci_write16(d, PCI_COMMAND, cmd & ~(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	for (unsigned i = 0; i < PCI_BARS; i++) {
		d->bar_size[i] = pci_bar_size(d, i, &is64);
		if (d->bar_size[i] && !pci_bar_place(d, i, is64, &next))
			return false;
		if (is64)
			i++;
	}
	pci_write16(d, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_OFF);
	for (unsigned i = 0; i < PCI_BARS; i++)
		if (d->bar_size[i] && !pci_bar_map(d, i))
			return false;
	return true;
}
