/*
 * libFuzzer target for the redaction tokeniser, which reads attacker-written log lines: both
 * passes (noting the addresses, then replacing through a worker, as redact's pool does, with an
 * observer) over the input split at newlines, with user names (common words among them), host
 * names and words listed and an address kept. Each line
 * must finish without a crash or a leak, and the output must have as many newlines as the
 * input. Build and run it with tests/fuzz-tokenise.sh ("make fuzz" runs it).
 */
#include "config.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trust/tokenise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What redact's observer is told: each (type, original) once, and never an empty token. */
static void observe(void *arg, enum pseudo_type type, const char *orig, size_t len,
                    const char *repl)
{
	(void)arg;
	(void)type;
	(void)orig;
	(void)len;
	if (repl[0] == '\0')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[PSEUDO_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
	static struct pseudo_keys keys;
	static int ready;
	struct addrmap *am;
	struct tokeniser *tk, *worker;
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct strbuf out = STRBUF_INIT;
	struct error err;
	const char *text = (const char *)data;
	size_t nl_in = 0, nl_out = 0;

	if (!ready) {
		if (pseudo_keys_derive(key, &keys, &err) < 0)
			abort();
		ready = 1;
	}
	am = addrmap_new(keys.sub[PSEUDO_ADDRESSES], &err);
	if (am == NULL)
		abort();
	addrmap_keep(am, "45.77.0.0/16", &err);
	tk = tokeniser_new(&keys, am);
	tokeniser_add(tk, PSEUDO_USERS, "karin", &err);
	tokeniser_add(tk, PSEUDO_USERS, "admin", &err);
	tokeniser_add(tk, PSEUDO_HOSTS, "web01", &err);
	tokeniser_add(tk, PSEUDO_HOSTS, "corp.example.com", &err);
	tokeniser_add(tk, PSEUDO_WORDS, "projectx", &err);
	tokeniser_add_phone(tk, "+46 8 123 456 78", &err);
	tokeniser_set_observer(tk, observe, NULL);
	/* The second pass through a worker, as redact's pool runs it. */
	worker = tokeniser_worker(tk, &lock);
	for (int pass = 0; pass < 2; pass++) {
		size_t at = 0;

		while (at < size) {
			const char *nl = memchr(text + at, '\n', size - at);
			size_t len = nl ? (size_t)(nl - (text + at)) : size - at;
			int rc = pass == 0 ? tokeniser_scan(tk, text + at, len, &err)
			                   : tokeniser_line(worker, text + at, len, &out, &err);

			if (rc < 0)
				abort();
			if (pass == 1 && nl)
				strbuf_addch(&out, '\n');
			at += len + (nl ? 1 : 0);
		}
		if (pass == 0 && addrmap_seal(am, &err) < 0)
			abort();
	}
	for (size_t i = 0; i < size; i++)
		nl_in += data[i] == '\n';
	for (size_t i = 0; i < out.len; i++)
		nl_out += out.buf[i] == '\n';
	if (nl_in != nl_out)
		abort();
	strbuf_release(&out);
	tokeniser_free(worker);
	tokeniser_free(tk);
	addrmap_free(am);
	return 0;
}
