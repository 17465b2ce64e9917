// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "attach/ringbuf_check.h"

int ringbuf_check__size(uint64_t bytes)
{
	unsigned long long mib = (unsigned long long)(bytes >> 20);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	void *cons = MAP_FAILED, *prod = MAP_FAILED;
	int fd, err = 0;

	fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ringbuf_check", 0, 0, (__u32)bytes, NULL);
	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "memtrace: --ringbuf-size %llu: the kernel refused a ring buffer of "
				"%llu MiB: %s\n",
			mib, mib, strerror(-err));
		return err;
	}
	cons = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (cons != MAP_FAILED)
		prod = mmap(NULL, page + 2 * bytes, PROT_READ, MAP_SHARED, fd, (off_t)page);
	if (cons == MAP_FAILED || prod == MAP_FAILED) {
		err = -errno;
		fprintf(stderr, "memtrace: --ringbuf-size %llu: cannot map a ring buffer of %llu MiB: "
				"%s\n",
			mib, mib, strerror(-err));
	}
	if (prod != MAP_FAILED)
		munmap(prod, page + 2 * bytes);
	if (cons != MAP_FAILED)
		munmap(cons, page);
	close(fd);
	return err;
}
