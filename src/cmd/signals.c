/* The signal policy of every command: clean up and exit, or stop an upload and keep the bundle. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "base/atomic-file.h"
#include "bundle/bag.h"
#include "bundle/stage.h"
#include "cmd/signals.h"
#include "transport/upload.h"

/* The signals both policies handle, each with its handler. */
static void install(void (*handler)(int))
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	/* One cleanup at a time: a second signal waits until the first handler has exited. */
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGXFSZ, SIG_IGN);
}

/* Only async-signal-safe calls here: unlink (in the cleanup), write and _exit. */
static void on_bundle_signal(int sig)
{
	static const char msg[] = "\nlogpack: interrupted; the partial bundle was removed\n";

	bag_writer_signal_cleanup();
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(128 + sig);
}

void signals_install_bundle_cleanup(void)
{
	install(on_bundle_signal);
}

/* Only async-signal-safe calls here: open, getdents64, unlinkat (in the cleanup), write, _exit. */
static void on_extract_signal(int sig)
{
	static const char msg[] = "\nlogpack: interrupted; the staging directory was removed\n";

	stage_signal_cleanup();
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(128 + sig);
}

void signals_install_extract_cleanup(void)
{
	install(on_extract_signal);
}

/* upload_interrupt only sets a flag the transfer checks: async-signal-safe. */
static void on_upload_signal(int sig)
{
	(void)sig;
	upload_interrupt();
}

void signals_install_upload_stop(void)
{
	install(on_upload_signal);
}

/* Only async-signal-safe calls here: unlink (in the cleanup), write and _exit. */
static void on_file_signal(int sig)
{
	static const char msg[] = "\nlogpack: interrupted; nothing was written\n";

	atomic_file_signal_cleanup();
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(128 + sig);
}

void signals_install_file_cleanup(void)
{
	install(on_file_signal);
}

static volatile sig_atomic_t stop_requested;

/* Only sets a flag: the watch loop checks it between bundles and after every wait. */
static void on_receive_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

void signals_install_receive_stop(void)
{
	install(on_receive_signal);
}

int signals_stop_requested(void)
{
	return stop_requested != 0;
}
