/* SPDX-License-Identifier: MIT */
/*
 * A modern (virtio 1.0) PCI device with one split virtqueue, interrupts by
 * MSI-X through a kernel MSI line (docs/abi.md §13). Layouts as in
 * /usr/include/linux/virtio_pci.h and virtio_ring.h.
 */
#ifndef DRIVERS_VIRTIO_H
#define DRIVERS_VIRTIO_H

#include "pci.h"

#define VIRTIO_F_VERSION_1 (1ull << 32)
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTIO_QUEUE_MAX 256

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};
_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc");

struct virtq_used_elem {
	uint32_t id, len;
};

struct virtio_dev {
	struct pci_dev pci;
	volatile uint8_t *common, *isr, *device;     /* the config structures */
	volatile uint16_t *notify;                    /* queue 0's doorbell */
	uint64_t features;                            /* negotiated */
	/* queue 0, in DMA memory the driver knows the physical address of */
	unsigned qsize;
	volatile struct virtq_desc *desc;
	volatile uint16_t *avail;                     /* flags, idx, ring[qsize] */
	volatile uint16_t *used;                      /* flags, idx, then elems */
	uint16_t avail_idx, used_seen;
};

/*
 * Reset the device found at pci (BARs mapped), negotiate `wanted` features
 * (VERSION_1 is required), set up queue 0 of at most `qmax` entries in the
 * 16 KiB of DMA memory at `mem` (physical `mem_pa`) and route its
 * interrupts to MSI-X entry 0 = the message (msi_addr, msi_data). The
 * device is left DRIVER_OK. Returns false (device left reset) on failure.
 */
bool virtio_init(struct virtio_dev *v, uint64_t wanted, unsigned qmax, void *mem, word_t mem_pa,
		 word_t msi_addr, word_t msi_data);
/* Put chain `head` into the available ring (no notification). */
void virtio_submit(struct virtio_dev *v, uint16_t head);
/* Tell the device to look at queue 0. */
void virtio_notify(struct virtio_dev *v);
/* Take the next used element; false when there is none. */
bool virtio_used_next(struct virtio_dev *v, uint32_t *head);
/* Reset the device: it stops all DMA. */
void virtio_reset(struct virtio_dev *v);

#endif
