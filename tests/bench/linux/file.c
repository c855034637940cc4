/* SPDX-License-Identifier: MIT */
/*
 * The file benchmarks on Linux reading from a virtio disk: the same
 * 64 MiB FAT32 image as the Pagoda side (tests/bench/file_disk.py, with a
 * 16 MiB /BIG.BIN), attached as a virtio-blk-pci disk, mounted as vfat,
 * the file mapped shared and writable. Run in a boot of its own
 * (file_only=1 on the kernel command line, tools/bench.py), since the
 * disk and the modules would change the boot of the other benchmarks.
 *
 * Debian builds virtio_blk (and virtio, virtio_ring, virtio_pci, fat,
 * vfat, the code pages) as modules: tools/bench.py puts them in the
 * initramfs under /modules with /modules/order, the order to load them
 * in (dependencies first), and this program loads each with
 * finit_module.
 *
 *   lx_file_seq_read_16m_disk_requests   read requests the disk completed
 *                       for a sequential mapped read of the 16 MiB (each
 *                       page touched once, in order; from
 *                       /sys/block/vda/stat), and lx_file_seq_read_16m_sectors
 *                       the 512-byte sectors they read.
 *   lx_file_writeback_16m_disk_requests  write requests for one msync
 *                       (MS_SYNC) of the 16 MiB after one word was written
 *                       to each page, and ..._sectors.
 *
 * As on the Pagoda side the time of these is printed on "#" lines only:
 * while the device works the guest idles, and under -icount sleep=off
 * its clock jumps to the next timer event, so ticks are not instructions.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "lbench.h"

#define FILE_BIG "/mnt/BIG.BIN"
#define FILE_PAGES 4096
#define FILE_DISK_WAIT_MS 5000

/* /sys/block/vda/stat: reads, merges, sectors, ticks, writes, ... */
struct file_io {
	unsigned long long rd, rd_merged, rd_sect, rd_ticks, wr, wr_merged, wr_sect;
};

/* Open and close a window of tools/insncount.c, as on the Pagoda side
 * (no-ops on a CPU). */
static inline void file_window_open(void)
{
	__asm__ volatile(".byte 0x66, 0x87, 0xdb" ::: "memory");   /* xchg %bx,%bx */
}

static inline void file_window_close(void)
{
	__asm__ volatile(".byte 0x66, 0x87, 0xc9" ::: "memory");   /* xchg %cx,%cx */
}

static void file_io(struct file_io *io)
{
	FILE *f = fopen("/sys/block/vda/stat", "r");

	if (!f || fscanf(f, "%llu %llu %llu %llu %llu %llu %llu", &io->rd, &io->rd_merged,
			 &io->rd_sect, &io->rd_ticks, &io->wr, &io->wr_merged, &io->wr_sect) != 7)
		lbench_fail("reading /sys/block/vda/stat");
	fclose(f);
}

/* Load every module /modules/order names, in its order. */
static void file_modules(void)
{
	char name[256], path[300];
	FILE *order = fopen("/modules/order", "r");

	if (!order)
		lbench_fail("opening /modules/order (no modules in the initramfs)");
	while (fscanf(order, "%255s", name) == 1) {
		int fd;

		snprintf(path, sizeof(path), "/modules/%s", name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || syscall(SYS_finit_module, fd, "", 0)) {
			printf("not ok - linux bench: loading %s failed\n", path);
			lbench_fail("finit_module");
		}
		close(fd);
	}
	fclose(order);
}

/* Modules loaded, /dev and /sys mounted, the disk's FAT volume on /mnt. */
static void file_mount(void)
{
	struct stat st;

	file_modules();
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mkdir("/sys", 0555);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	for (int ms = 0; stat("/dev/vda", &st); ms++) {
		if (ms >= FILE_DISK_WAIT_MS)
			lbench_fail("waiting for /dev/vda");
		usleep(1000);
	}
	mkdir("/mnt", 0755);
	if (mount("/dev/vda", "/mnt", "vfat", 0, ""))
		lbench_fail("mounting /dev/vda as vfat");
}

static void file_one(const char *name, const char *unit, uint64_t v)
{
	stats_begin(&lbench_stats, name, unit);
	stats_add(&lbench_stats, v);
	stats_report(&lbench_stats);
}

static void file_seq_read(volatile uint8_t *big)
{
	struct file_io a, b;
	uint64_t t0, t1;
	unsigned sum = 0;

	file_io(&a);
	t0 = stats_rdtsc();
	file_window_open();
	for (unsigned i = 0; i < FILE_PAGES; i++)
		sum += big[(size_t)i * 4096];
	file_window_close();
	t1 = stats_rdtsc();
	file_io(&b);
	printf("# lx_file_fault_cold: %llu ticks a page over 16 MiB (device time included; sum %u)\n",
	       (unsigned long long)(t1 - t0) / FILE_PAGES, sum);
	file_one("lx_file_seq_read_16m_disk_requests", "requests", b.rd - a.rd);
	file_one("lx_file_seq_read_16m_sectors", "sectors", b.rd_sect - a.rd_sect);
}

static void file_writeback(volatile uint8_t *big)
{
	struct file_io a, b;
	uint64_t t0, t1;

	for (unsigned i = 0; i < FILE_PAGES; i++)
		*(volatile uint64_t *)(big + (size_t)i * 4096 + 8) = i;
	file_io(&a);
	t0 = stats_rdtsc();
	file_window_open();
	if (msync((void *)big, (size_t)FILE_PAGES * 4096, MS_SYNC))
		lbench_fail("msync");
	file_window_close();
	t1 = stats_rdtsc();
	file_io(&b);
	printf("# lx_file_writeback_16m: %llu ticks a page (device time included)\n",
	       (unsigned long long)(t1 - t0) / FILE_PAGES);
	file_one("lx_file_writeback_16m_disk_requests", "requests", b.wr - a.wr);
	file_one("lx_file_writeback_16m_sectors", "sectors", b.wr_sect - a.wr_sect);
}

void lbench_file(void)
{
	struct file_io all;
	void *big;
	int fd;

	file_mount();
	if ((fd = open(FILE_BIG, O_RDWR)) < 0)
		lbench_fail("opening " FILE_BIG);
	big = mmap(NULL, (size_t)FILE_PAGES * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (big == MAP_FAILED)
		lbench_fail("mmap of " FILE_BIG);
	file_seq_read(big);
	file_writeback(big);
	munmap(big, (size_t)FILE_PAGES * 4096);
	close(fd);
	sync();
	umount("/mnt");
	file_io(&all);
	file_one("lx_file_total_disk_requests", "requests", all.rd + all.wr);
}
