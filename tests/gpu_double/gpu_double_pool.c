// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * TEST DOUBLE, NOT A GPU: simulated device memory for memtrace's tests
 * (see gpu_double_pool.h). A fixed table under one mutex: neither calls
 * malloc, so the doubles add nothing to a program's host counters.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gpu_double_pool.h"

#define POOL_ENTRIES 1024

struct pool_entry {
	uintptr_t addr;		/* 0: a free slot */
	size_t size;		/* as requested */
	size_t mapped;		/* bytes of the mmap behind it (0 for handles) */
	enum pool_type type;
};

static struct pool_entry entries[POOL_ENTRIES];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long live_bytes;
static unsigned long long capacity;
static uintptr_t next_handle = 0xc0de0000;

/* Read once, under the lock: getenv and strtoull allocate nothing. */
static unsigned long long pool_capacity(void)
{
	const char *env;

	if (capacity)
		return capacity;
	env = getenv("MEMTRACE_DOUBLE_CAPACITY");
	capacity = env && *env ? strtoull(env, NULL, 0) : POOL_DEFAULT_CAPACITY;
	if (!capacity)
		capacity = POOL_DEFAULT_CAPACITY;
	return capacity;
}

static size_t page_round(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return size ? (size + page - 1) / page * page : page;
}

static struct pool_entry *pool_slot(uintptr_t addr, enum pool_type type)
{
	for (int i = 0; i < POOL_ENTRIES; i++)
		if (entries[i].addr == addr && (!addr || entries[i].type == type))
			return &entries[i];
	return NULL;
}

/* The mmap: PROT_NONE for address space, pages that are never touched otherwise. */
static int pool_map(size_t size, int prot, uintptr_t *addr)
{
	void *p = mmap(NULL, page_round(size), prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);

	if (p == MAP_FAILED)
		return POOL_OOM;
	*addr = (uintptr_t)p;
	return POOL_OK;
}

int pool__alloc(enum pool_type type, size_t size, uintptr_t *addr)
{
	struct pool_entry *e;
	uintptr_t a;
	int err = POOL_OOM;

	pthread_mutex_lock(&lock);
	e = pool_slot(0, type);
	/* written so that a huge size cannot wrap the sum */
	if (!e || size > pool_capacity() || live_bytes > pool_capacity() - size)
		goto out;
	if (type == POOL_HANDLE) {
		a = next_handle++;
	} else {
		err = pool_map(size, PROT_READ | PROT_WRITE, &a);
		if (err)
			goto out;
	}
	*e = (struct pool_entry){ .addr = a, .size = size, .type = type,
				  .mapped = type == POOL_HANDLE ? 0 : page_round(size) };
	live_bytes += size;
	*addr = a;
	err = POOL_OK;
out:
	pthread_mutex_unlock(&lock);
	return err;
}

int pool__reserve(size_t size, uintptr_t *addr)
{
	struct pool_entry *e;
	uintptr_t a;
	int err = POOL_OOM;

	pthread_mutex_lock(&lock);
	e = pool_slot(0, POOL_RESERVATION);
	if (!e || pool_map(size, PROT_NONE, &a))
		goto out;
	*e = (struct pool_entry){ .addr = a, .size = size, .type = POOL_RESERVATION,
				  .mapped = page_round(size) };
	*addr = a;
	err = POOL_OK;
out:
	pthread_mutex_unlock(&lock);
	return err;
}

int pool__free(enum pool_type type, uintptr_t addr, size_t size)
{
	struct pool_entry *e;
	int err = POOL_INVALID;

	if (!addr)
		return POOL_INVALID;
	pthread_mutex_lock(&lock);
	e = pool_slot(addr, type);
	if (!e || (size && e->size != size))
		goto out;
	if (e->mapped)
		munmap((void *)e->addr, e->mapped);
	if (type != POOL_RESERVATION)
		live_bytes -= e->size;
	*e = (struct pool_entry){};
	err = POOL_OK;
out:
	pthread_mutex_unlock(&lock);
	return err;
}

size_t pool__size(enum pool_type type, uintptr_t addr)
{
	struct pool_entry *e;
	size_t size = 0;

	if (!addr)
		return 0;
	pthread_mutex_lock(&lock);
	e = pool_slot(addr, type);
	if (e)
		size = e->size;
	pthread_mutex_unlock(&lock);
	return size;
}

int pool__reserved(uintptr_t addr, size_t size)
{
	int found = 0;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < POOL_ENTRIES && !found; i++) {
		const struct pool_entry *e = &entries[i];

		found = e->addr && e->type == POOL_RESERVATION && addr >= e->addr &&
			size <= e->size && addr - e->addr <= e->size - size;
	}
	pthread_mutex_unlock(&lock);
	return found;
}
