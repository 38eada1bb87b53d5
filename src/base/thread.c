/* Threads that take no signals (base/thread.h). */
#include "config.h"

#include <signal.h>

#include "base/thread.h"

int thread_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	sigset_t all, saved;
	int rc;

	/* The new thread inherits the mask in force when it is made. A fault stays a fault: with
	 * SIGSEGV blocked a crash would be undefined, and a sanitizer's report lost. */
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	pthread_sigmask(SIG_BLOCK, &all, &saved);
	rc = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	return rc;
}
