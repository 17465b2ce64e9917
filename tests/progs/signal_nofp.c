// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * An allocation in a signal handler (-O2 -fomit-frame-pointer): raise()
 * from a call chain, the handler leaks 2345 bytes. Its stack goes through
 * the kernel's signal frame (glibc's __restore_rt) to where the signal
 * came, in raise, and on to main.
 */
#include <signal.h>
#include <stdlib.h>

static void *volatile sink;

static void on_signal(int sig)
{
	(void)sig;
	sink = malloc(2345); /* MARK: on_signal */
}

__attribute__((noinline)) void send_signal(void)
{
	raise(SIGUSR1); /* MARK: send_signal */
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	signal(SIGUSR1, on_signal);
	send_signal(); /* MARK: main */
	__asm__ volatile("" ::: "memory");
	return 0;
}
