/*
 * Threads that take no signals: a signal's handler (the cleanup of a bundle being written) runs
 * on the thread that owns the cleanup, never on a worker in the middle of its work.
 */
#ifndef LOGPACK_THREAD_H
#define LOGPACK_THREAD_H

#include <pthread.h>

/* pthread_create, with every signal but the faults (SIGSEGV, SIGBUS, SIGFPE, SIGILL) blocked in
 * the new thread: 0 or an errno value. */
int thread_start(pthread_t *thread, void *(*fn)(void *), void *arg);

#endif
