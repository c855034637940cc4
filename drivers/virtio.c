/* SPDX-License-Identifier: MIT */
/*
 * The modern virtio PCI transport and a split virtqueue (virtio.h).
 *
 * The device describes where its configuration lives with vendor-specific
 * PCI capabilities (type, BAR, offset): the common configuration (status,
 * features, queue set-up), the notification doorbells, the ISR byte and
 * the device-specific configuration. Bring-up follows the virtio 1.0
 * order: reset (the firmware may have left the device running; write 0 to
 * device_status and wait until it reads 0), ACKNOWLEDGE, DRIVER, features,
 * FEATURES_OK (read back: the device may refuse), queue and interrupt
 * set-up, DRIVER_OK.
 *
 * Queue 0 lives in 16 KiB of physically contiguous DMA memory: the
 * descriptor table at +0, the available ring at +4 KiB, the used ring at
 * +8 KiB (room for 256 entries each). Interrupts: MSI-X is enabled in the
 * PCI capability, table entry 0 gets the kernel's MSI message, the queue
 * raises vector 0, configuration changes raise none.
 */
#include "virtio.h"

#define VIRTIO_PCI_CAP_COMMON 1
#define VIRTIO_PCI_CAP_NOTIFY 2
#define VIRTIO_PCI_CAP_ISR 3
#define VIRTIO_PCI_CAP_DEVICE 4

/* struct virtio_pci_common_cfg */
#define VC_DFSELECT 0
#define VC_DF 4
#define VC_GFSELECT 8
#define VC_GF 12
#define VC_MSIX 16
#define VC_STATUS 20
#define VC_Q_SELECT 22
#define VC_Q_SIZE 24
#define VC_Q_MSIX 26
#define VC_Q_ENABLE 28
#define VC_Q_NOFF 30
#define VC_Q_DESC 32
#define VC_Q_AVAIL 40
#define VC_Q_USED 48

#define VS_ACKNOWLEDGE 1
#define VS_DRIVER 2
#define VS_DRIVER_OK 4
#define VS_FEATURES_OK 8
#define VS_FAILED 128
#define VIRTIO_MSI_NONE 0xffff

#define MSIX_CTRL 2
#define MSIX_TABLE 4
#define MSIX_ENABLE 0x8000
#define MSIX_MASKALL 0x4000

#define VQ_AVAIL_OFF 4096
#define VQ_USED_OFF 8192

static void vc_w8(struct virtio_dev *v, unsigned off, uint8_t x) { v->common[off] = x; }
static uint8_t vc_r8(struct virtio_dev *v, unsigned off) { return v->common[off]; }
static void vc_w16(struct virtio_dev *v, unsigned off, uint16_t x) { *(volatile uint16_t *)(v->common + off) = x; }
static uint16_t vc_r16(struct virtio_dev *v, unsigned off) { return *(volatile uint16_t *)(v->common + off); }
static void vc_w32(struct virtio_dev *v, unsigned off, uint32_t x) { *(volatile uint32_t *)(v->common + off) = x; }
static uint32_t vc_r32(struct virtio_dev *v, unsigned off) { return *(volatile uint32_t *)(v->common + off); }

static void vc_w64(struct virtio_dev *v, unsigned off, uint64_t x)
{
	vc_w32(v, off, (uint32_t)x);
	vc_w32(v, off + 4, (uint32_t)(x >> 32));
}

static void virtio_barrier(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Where capability `cap` points: its BAR mapped, plus offset. */
static volatile uint8_t *virtio_cap_ptr(struct virtio_dev *v, unsigned cap)
{
	unsigned bar = pci_read8(&v->pci, cap + 4);
	uint32_t off = pci_read32(&v->pci, cap + 8), len = pci_read32(&v->pci, cap + 12);

	if (bar >= PCI_BARS || !v->pci.bar[bar] || (word_t)off + len > v->pci.bar_size[bar])
		return NULL;
	return v->pci.bar[bar] + off;
}

/* Find the common, notify, ISR and device structures. */
static bool virtio_find_caps(struct virtio_dev *v)
{
	unsigned cap = 0, notify_cap = 0;

	while ((cap = pci_cap_find(&v->pci, cap, PCI_CAP_VENDOR))) {
		switch (pci_read8(&v->pci, cap + 3)) {
		case VIRTIO_PCI_CAP_COMMON: v->common = virtio_cap_ptr(v, cap); break;
		case VIRTIO_PCI_CAP_ISR: v->isr = virtio_cap_ptr(v, cap); break;
		case VIRTIO_PCI_CAP_DEVICE: v->device = virtio_cap_ptr(v, cap); break;
		case VIRTIO_PCI_CAP_NOTIFY:
			notify_cap = cap;
			v->notify = (volatile uint16_t *)virtio_cap_ptr(v, cap);
			break;
		}
	}
	if (!v->common || !v->isr || !v->device || !v->notify)
		return false;
	vc_w16(v, VC_Q_SELECT, 0);
	v->notify = (volatile uint16_t *)((volatile uint8_t *)v->notify +
		    (word_t)vc_r16(v, VC_Q_NOFF) * pci_read32(&v->pci, notify_cap + 16));
	return true;
}

void virtio_reset(struct virtio_dev *v)
{
	vc_w8(v, VC_STATUS, 0);
	while (vc_r8(v, VC_STATUS))
		;
}

static bool virtio_features(struct virtio_dev *v, uint64_t wanted)
{
	uint64_t offered;

	vc_w32(v, VC_DFSELECT, 0);
	offered = vc_r32(v, VC_DF);
	vc_w32(v, VC_DFSELECT, 1);
	offered |= (uint64_t)vc_r32(v, VC_DF) << 32;
	v->features = offered & (wanted | VIRTIO_F_VERSION_1);
	if (!(v->features & VIRTIO_F_VERSION_1))
		return false;
	vc_w32(v, VC_GFSELECT, 0);
	vc_w32(v, VC_GF, (uint32_t)v->features);
	vc_w32(v, VC_GFSELECT, 1);
	vc_w32(v, VC_GF, (uint32_t)(v->features >> 32));
	vc_w8(v, VC_STATUS, vc_r8(v, VC_STATUS) | VS_FEATURES_OK);
	return vc_r8(v, VC_STATUS) & VS_FEATURES_OK;
}

/* MSI-X on, entry 0 = the kernel's message, unmasked. */
static bool virtio_msix(struct virtio_dev *v, word_t addr, word_t data)
{
	unsigned cap = pci_cap_find(&v->pci, 0, PCI_CAP_MSIX);
	uint32_t table;
	volatile uint32_t *e;

	if (!cap)
		return false;
	table = pci_read32(&v->pci, cap + MSIX_TABLE);
	if ((table & 7) >= PCI_BARS || !v->pci.bar[table & 7] ||
	    (table & ~7u) + 16 > v->pci.bar_size[table & 7])
		return false;
	e = (volatile uint32_t *)(v->pci.bar[table & 7] + (table & ~7u));
	e[0] = (uint32_t)addr;
	e[1] = (uint32_t)(addr >> 32);
	e[2] = (uint32_t)data;
	e[3] = 0;                                     /* unmasked */
	pci_write16(&v->pci, cap + MSIX_CTRL,
		    (pci_read16(&v->pci, cap + MSIX_CTRL) | MSIX_ENABLE) & ~MSIX_MASKALL);
	vc_w16(v, VC_MSIX, VIRTIO_MSI_NONE);
	return true;
}

static bool virtio_queue(struct virtio_dev *v, unsigned qmax, void *mem, word_t pa)
{
	unsigned n = vc_r16(v, (vc_w16(v, VC_Q_SELECT, 0), VC_Q_SIZE));

	if (!n)
		return false;
	for (v->qsize = 1; v->qsize * 2 <= MIN(n, MIN(qmax, VIRTIO_QUEUE_MAX)); v->qsize *= 2)
		;
	memset(mem, 0, 3 * 4096);
	v->desc = mem;
	v->avail = (volatile uint16_t *)((uint8_t *)mem + VQ_AVAIL_OFF);
	v->used = (volatile uint16_t *)((uint8_t *)mem + VQ_USED_OFF);
	v->avail_idx = v->used_seen = 0;
	vc_w16(v, VC_Q_SIZE, (uint16_t)v->qsize);
	vc_w16(v, VC_Q_MSIX, 0);
	if (vc_r16(v, VC_Q_MSIX) != 0)
		return false;                         /* no vector for the queue */
	vc_w64(v, VC_Q_DESC, pa);
	vc_w64(v, VC_Q_AVAIL, pa + VQ_AVAIL_OFF);
	vc_w64(v, VC_Q_USED, pa + VQ_USED_OFF);
	vc_w16(v, VC_Q_ENABLE, 1);
	return true;
}

bool virtio_init(struct virtio_dev *v, uint64_t wanted, unsigned qmax, void *mem, word_t mem_pa,
		 word_t msi_addr, word_t msi_data)
{
	if (!virtio_find_caps(v))
		return false;
	virtio_reset(v);
	vc_w8(v, VC_STATUS, VS_ACKNOWLEDGE);
	vc_w8(v, VC_STATUS, VS_ACKNOWLEDGE | VS_DRIVER);
	if (!virtio_features(v, wanted) || !virtio_msix(v, msi_addr, msi_data) ||
	    !virtio_queue(v, qmax, mem, mem_pa)) {
		vc_w8(v, VC_STATUS, VS_FAILED);
		virtio_reset(v);
		return false;
	}
	vc_w8(v, VC_STATUS, vc_r8(v, VC_STATUS) | VS_DRIVER_OK);
	return true;
}

void virtio_submit(struct virtio_dev *v, uint16_t head)
{
	v->avail[2 + v->avail_idx % v->qsize] = head;
	v->avail_idx++;
	virtio_barrier();
	v->avail[1] = v->avail_idx;
}

void virtio_notify(struct virtio_dev *v)
{
	virtio_barrier();
	*v->notify = 0;
}

bool virtio_used_next(struct virtio_dev *v, uint32_t *head)
{
	volatile struct virtq_used_elem *ring = (volatile struct virtq_used_elem *)(v->used + 2);

	if (v->used[1] == v->used_seen)
		return false;
	virtio_barrier();
	*head = ring[v->used_seen % v->qsize].id;
	v->used_seen++;
	return true;
}
