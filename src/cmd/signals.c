/* The signal policy of commands that write a bundle: clean up the temporary file and exit. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "bundle/bag.h"
#include "cmd/signals.h"

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
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_bundle_signal;
	/* One cleanup at a time: a second signal waits until the first handler has exited. */
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGXFSZ, SIG_IGN);
}
