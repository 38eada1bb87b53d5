/*
 * verify over many bundles, alone or with worker processes.
 *
 * Workers are processes, not threads: each bundle is hostile input, and a reader that a bundle
 * manages to crash takes only its worker down (the bundle is then "could not be read"), never
 * the run or the other results. A worker gets the index of its next bundle on a pipe and sends
 * back one line of JSON; the parent keeps every result in argument order.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/exitcode.h"
#include "base/log.h"
#include "base/printable.h"
#include "cmd/verify-batch.h"
#include "report/incident.h"
#include "report/journal-seal.h"
#include "series/chain.h"

static void batch_add(struct verify_batch *b, char *path)
{
	b->items = xreallocarray(b->items, b->n + 1, sizeof(*b->items));
	memset(&b->items[b->n], 0, sizeof(b->items[b->n]));
	b->items[b->n].path = path;
	b->items[b->n].outcome = -1;
	b->n++;
}

int verify_batch_expand(struct verify_batch *b, const char *const *paths, size_t n,
                        struct error *err)
{
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		char *bagit, **list = NULL;
		size_t n_list = 0;
		int is_bag;

		if (stat(paths[i], &st) < 0 || !S_ISDIR(st.st_mode)) {
			batch_add(b, xstrdup(paths[i])); /* the reader says what is wrong */
			continue;
		}
		bagit = xasprintf("%s/bagit.txt", paths[i]);
		is_bag = lstat(bagit, &st) == 0;
		free(bagit);
		if (is_bag) {
			batch_add(b, xstrdup(paths[i]));
			continue;
		}
		if (chain_list_bundles(&paths[i], 1, &list, &n_list, err) < 0)
			return -1;
		if (n_list == 0) {
			/* No bundle in it: a bag directory after all, perhaps a damaged one, which
			 * the reader judges (a missing bagit.txt makes it INVALID). */
			free(list);
			batch_add(b, xstrdup(paths[i]));
			continue;
		}
		for (size_t k = 0; k < n_list; k++)
			batch_add(b, list[k]);
		free(list);
	}
	return 0;
}

/* The bag-info facts the table shows. Only a valid bundle's are its sender's word. */
static json_t *bag_info_json(const struct bundle_report *rep)
{
	const char *host = bundle_report_info(rep, "LogPack-Host");
	const char *when = bundle_report_info(rep, "LogPack-Collection-End");
	const char *ref = bundle_report_info(rep, "External-Identifier");

	if (when == NULL)
		when = bundle_report_info(rep, "Bagging-Date");
	return json_pack("{s:o,s:o,s:o,s:b}", "host", host ? json_string(host) : json_null(),
	                 "collected", when ? json_string(when) : json_null(), "case",
	                 ref ? json_string(ref) : json_null(), "claimed",
	                 !bundle_outcome_valid(rep->outcome));
}

/* The journal files of a bundle, each checked for its seal as the reader goes past it. */
struct seal_visit {
	const struct journal_seal_key *key;
	struct journal_seal_check *cur;
	char *cur_name;
	json_t *list;      /* one object per journal file */
	struct strbuf out; /* one line per journal file */
	size_t n_failed;
};

/* Is the member a collected journal file (data/.../X.journal or X.journal~)? */
static int is_journal_member(const char *name)
{
	size_t len = strlen(name);

	return strncmp(name, "data/", 5) == 0 &&
	       ((len > 8 && strcmp(name + len - 8, ".journal") == 0) ||
	        (len > 9 && strcmp(name + len - 9, ".journal~") == 0));
}

static void seal_begin(void *ctx, const char *name, uint64_t size)
{
	struct seal_visit *v = ctx;

	(void)size;
	if (!is_journal_member(name))
		return;
	v->cur = journal_seal_begin(v->key);
	v->cur_name = xstrdup(name);
}

static void seal_data(void *ctx, const void *buf, size_t len)
{
	struct seal_visit *v = ctx;

	if (v->cur)
		journal_seal_feed(v->cur, buf, len);
}

static void seal_end(void *ctx, const char *sha256_hex)
{
	struct seal_visit *v = ctx;
	struct journal_seal_result res;
	char *line, *shown;
	json_t *o;

	(void)sha256_hex;
	if (v->cur == NULL)
		return;
	journal_seal_end(v->cur, &res);
	v->cur = NULL;
	if (res.status == JOURNAL_SEAL_FAILED)
		v->n_failed++;
	line = journal_seal_describe(&res);
	shown = printable(v->cur_name);
	strbuf_addf(&v->out, "\n  journal %s: %s", shown, line);
	o = journal_seal_json(&res);
	json_object_set_new(o, "path", json_string(v->cur_name));
	json_array_append_new(v->list, o);
	free(shown);
	free(line);
	free(v->cur_name);
	v->cur_name = NULL;
}

static void verify_progress(void *ctx, uint64_t bytes_read, uint64_t members)
{
	progress_update(ctx, members, bytes_read);
}

/* Check one bundle into it, with a meter on a terminal when meter is set. */
static void item_run(struct verify_item *it, const struct bundle_read_options *ropt_in,
                     enum verdict_require req, int meter, const struct journal_seal_key *seal)
{
	struct bundle_read_options ropt = *ropt_in;
	struct seal_visit sv = {.key = seal, .out = STRBUF_INIT};
	struct bundle_visitor visitor = {.ctx = &sv,
	                                 .member_begin = seal_begin,
	                                 .member_data = seal_data,
	                                 .member_end = seal_end};
	struct bundle_report rep;
	struct progress pm;
	struct error err;
	char *shown = printable(it->path);
	const char *tlp, *derived;
	enum source_cipher cipher;
	int rc;

	/* Encrypted and no key: who it is for, as far as it says, and never a verdict. */
	if (ropt.key == NULL && strcmp(it->path, "-") != 0 &&
	    (cipher = source_cipher_of(it->path)) != SOURCE_PLAIN) {
		char *to = source_encrypted_to(it->path, cipher);
		char *shown_to = printable(to);

		it->outcome = -1;
		it->code = LP_EXIT_FAILURE;
		it->line =
		        xasprintf("%s: encrypted to %s; contents not verifiable (give --key KEY)",
		                  shown, shown_to);
		it->doc = json_pack("{s:s,s:s,s:s,s:s,s:i}", "path", it->path, "outcome",
		                    "encrypted", "cipher", source_cipher_name(cipher),
		                    "encrypted_to", to, "exit_code", LP_EXIT_FAILURE);
		free(shown_to);
		free(to);
		free(shown);
		return;
	}
	if (seal) {
		sv.list = json_array();
		ropt.visitor = &visitor;
	}
	progress_start(&pm, shown, 0, 0, meter);
	ropt.progress = verify_progress;
	ropt.progress_ctx = &pm;
	/* "-": standard input, a pipe or a file, read as the stream it is. */
	rc = bundle_read_path(strcmp(it->path, "-") == 0 ? "/dev/stdin" : it->path, &ropt, &rep,
	                      &err);
	progress_end(&pm);
	if (sv.cur) { /* the pass stopped inside a journal file */
		seal_end(&sv, NULL);
	}
	if (rc < 0) {
		char *shown_err = printable(err.msg);

		it->outcome = -1;
		it->code = LP_EXIT_FAILURE;
		it->line = xasprintf("%s: cannot read: %s", shown, shown_err);
		it->doc = json_pack("{s:s,s:s,s:i,s:s}", "path", it->path, "outcome", "error",
		                    "exit_code", LP_EXIT_FAILURE, "error", err.msg);
		free(shown_err);
		free(shown);
		json_decref(sv.list);
		strbuf_release(&sv.out);
		return;
	}
	it->outcome = (int)rep.outcome;
	it->code = verdict_exit(rep.outcome, req);
	/* A journal whose seal fails was altered on the host before it was collected: the
	 * bundle may be intact, what it carries is not what journald wrote. */
	if (sv.n_failed)
		it->code = verdict_worst_exit(it->code, LP_EXIT_ANOMALY);
	/* The sharing label, beside the verdict: only a valid bundle's label is its sender's
	 * word; an INVALID one's is shown as a claim. */
	tlp = incident_tlp_label(bundle_report_info(&rep, "LogPack-TLP"));
	{
		char *line = verdict_line(&rep);

		if (sv.n_failed) {
			size_t n = json_array_size(sv.list);
			char *both = bundle_outcome_valid(rep.outcome)
			                     ? xasprintf("JOURNAL SEAL FAILED in %zu of %zu "
			                                 "journal files; "
			                                 "the bundle itself: %s",
			                                 sv.n_failed, n, line)
			                     : xasprintf("%s; JOURNAL SEAL FAILED in %zu of %zu "
			                                 "journal files",
			                                 line, sv.n_failed, n);

			free(line);
			line = both;
		}
		/* A derived bundle says what it came from (bag-info, covered by the signature). */
		if (bundle_outcome_valid(rep.outcome) &&
		    (derived = bundle_report_info(&rep, "LogPack-Derived-From")) != NULL) {
			char *from = printable(derived);
			char *both = xasprintf("%s; derived by redaction from %s", line, from);

			free(from);
			free(line);
			line = both;
		}
		if (tlp == NULL)
			it->line = xasprintf("%s: %s", shown, line);
		else if (!bundle_outcome_valid(rep.outcome))
			it->line = xasprintf("%s: %s; claims %s", shown, line, tlp);
		else
			it->line = xasprintf("%s: %s; %s", shown, line, tlp);
		free(line);
	}
	it->doc = verdict_json(it->path, &rep, req);
	json_object_set_new(it->doc, "tlp", tlp ? json_string(tlp) : json_null());
	json_object_set_new(it->doc, "bag_info", bag_info_json(&rep));
	if (seal) {
		char *lines = xasprintf("%s%s", it->line, sv.out.buf ? sv.out.buf : "");

		free(it->line);
		it->line = lines;
		json_object_set_new(it->doc, "exit_code", json_integer(it->code));
		json_object_set_new(it->doc, "journal_seal_failed",
		                    json_integer((json_int_t)sv.n_failed));
		json_object_set_new(it->doc, "journals", sv.list);
		sv.list = NULL;
	}
	strbuf_release(&sv.out);
	free(shown);
	bundle_report_free(&rep);
}

/* ---- worker processes ---- */

/*
 * One socket pair per worker: the parent sends the index of the next bundle (a uint32) and
 * shuts its side for writing when there is none left; the worker answers each index with one
 * line of JSON. A socket, not a pipe, so that the parent's send to a dead worker fails with
 * EPIPE (MSG_NOSIGNAL) instead of raising SIGPIPE.
 */
struct worker {
	pid_t pid;
	int fd;
	int more;  /* it may still be given bundles */
	long busy; /* the index it is checking, or -1 */
	struct strbuf in;
};

static int read_index(int fd, uint32_t *idx)
{
	size_t got = 0;

	while (got < sizeof(*idx)) {
		ssize_t n = read(fd, (char *)idx + got, sizeof(*idx) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/*
 * For the tests: a worker that checked the bundle named by LOGPACK_TEST_VERIFY_WORKER_DIE dies
 * as a reader crash would, so that the test can see the run go on without it.
 */
static void test_hook_worker(const char *path)
{
	const char *name = getenv("LOGPACK_TEST_VERIFY_WORKER_DIE");
	const char *base = strrchr(path, '/');

	if (name && strcmp(base ? base + 1 : path, name) == 0)
		raise(SIGKILL);
}

static _Noreturn void worker_main(struct verify_batch *b, const struct bundle_read_options *ropt,
                                  enum verdict_require req, int fd)
{
	uint32_t idx;

	while (read_index(fd, &idx) == 0 && idx < b->n) {
		struct verify_item *it = &b->items[idx];
		json_t *msg;
		char *text;
		int ok;

		item_run(it, ropt, req, 0, b->seal_key);
		test_hook_worker(it->path);
		msg = json_pack("{s:I,s:i,s:i,s:s,s:O}", "index", (json_int_t)idx, "outcome",
		                it->outcome, "code", it->code, "line", it->line, "doc", it->doc);
		text = msg ? json_dumps(msg, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
		ok = text && write_all(fd, text, strlen(text)) == 0 && write_all(fd, "\n", 1) == 0;
		free(text);
		json_decref(msg);
		if (!ok)
			_exit(LP_EXIT_FAILURE);
	}
	_exit(LP_EXIT_OK);
}

static int worker_start(struct worker *all, size_t k, struct verify_batch *b,
                        const struct bundle_read_options *ropt, enum verdict_require req)
{
	struct worker *w = &all[k];
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	fflush(NULL);
	w->pid = fork();
	if (w->pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (w->pid == 0) {
		/* The other workers' sockets are not this one's: an open end would keep a
		 * sibling from seeing the end of its work. */
		for (size_t i = 0; i < k; i++)
			close(all[i].fd);
		close(sv[0]);
		worker_main(b, ropt, req, sv[1]);
	}
	close(sv[1]);
	w->fd = sv[0];
	w->more = 1;
	w->busy = -1;
	w->in = (struct strbuf)STRBUF_INIT;
	return 0;
}

/* Take one result line from a worker into its item. 0, or -1 if it is not one. */
static int take_result(struct verify_batch *b, struct worker *w, const char *line)
{
	json_error_t jerr;
	json_t *msg = json_loads(line, 0, &jerr);
	json_int_t idx = -1;
	int outcome = -1, code = LP_EXIT_FAILURE;
	const char *text = NULL;
	json_t *doc = NULL;
	struct verify_item *it;

	if (msg == NULL ||
	    json_unpack(msg, "{s:I,s:i,s:i,s:s,s:o}", "index", &idx, "outcome", &outcome, "code",
	                &code, "line", &text, "doc", &doc) < 0 ||
	    idx != w->busy) {
		json_decref(msg);
		return -1;
	}
	it = &b->items[idx];
	it->outcome = outcome;
	it->code = code;
	it->line = xstrdup(text);
	it->doc = json_incref(doc);
	json_decref(msg);
	w->busy = -1;
	return 0;
}

/* A bundle whose worker ended without a result. */
static void item_lost(struct verify_item *it, int status)
{
	char *shown = printable(it->path);
	char *why = WIFSIGNALED(status) ? xasprintf("the checking process was killed by signal %d",
	                                            WTERMSIG(status))
	                                : xasprintf("the checking process ended without a result");

	it->outcome = -1;
	it->code = LP_EXIT_FAILURE;
	it->line = xasprintf("%s: cannot read: %s", shown, why);
	it->doc = json_pack("{s:s,s:s,s:i,s:s}", "path", it->path, "outcome", "error", "exit_code",
	                    LP_EXIT_FAILURE, "error", why);
	free(why);
	free(shown);
}

/* Hand the worker the next bundle, or tell it there is none. */
static void worker_give(struct worker *w, size_t *next, size_t n)
{
	uint32_t idx;

	if (!w->more)
		return;
	if (*next < n) {
		idx = (uint32_t)*next;
		if (send(w->fd, &idx, sizeof(idx), MSG_NOSIGNAL) == (ssize_t)sizeof(idx)) {
			w->busy = (long)*next;
			(*next)++;
			return;
		}
	}
	shutdown(w->fd, SHUT_WR);
	w->more = 0;
}

/* The worker's side closed: reap it, and fail the bundle it had if it sent nothing. */
static void worker_end(struct verify_batch *b, struct worker *w)
{
	int status = 0;

	close(w->fd);
	w->fd = -1;
	while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
		;
	if (w->busy >= 0)
		item_lost(&b->items[w->busy], status);
	w->busy = -1;
	strbuf_release(&w->in);
}

/* Read what a worker sent; 1 when its side is closed. */
static int worker_read(struct verify_batch *b, struct worker *w, size_t *next)
{
	char buf[65536];
	ssize_t got = read(w->fd, buf, sizeof(buf));
	char *nl;

	if (got < 0 && errno == EINTR)
		return 0;
	if (got <= 0)
		return 1;
	strbuf_add(&w->in, buf, (size_t)got);
	while ((nl = memchr(w->in.buf, '\n', w->in.len)) != NULL) {
		size_t len = (size_t)(nl - w->in.buf) + 1;

		*nl = '\0';
		if (take_result(b, w, w->in.buf) < 0) {
			/* Not what a worker writes: stop trusting this one. */
			kill(w->pid, SIGKILL);
			w->more = 0;
		} else {
			worker_give(w, next, b->n);
		}
		memmove(w->in.buf, w->in.buf + len, w->in.len - len + 1);
		w->in.len -= len;
	}
	return 0;
}

static void run_parallel(struct verify_batch *b, const struct bundle_read_options *ropt,
                         enum verdict_require req, unsigned n_workers)
{
	struct worker *w = xreallocarray(NULL, n_workers, sizeof(*w));
	struct pollfd *pfd = xreallocarray(NULL, n_workers, sizeof(*pfd));
	size_t started = 0, next = 0, live;

	for (; started < n_workers; started++)
		if (worker_start(w, started, b, ropt, req) < 0)
			break;
	live = started;
	for (size_t k = 0; k < started; k++)
		worker_give(&w[k], &next, b->n);
	while (live > 0) {
		for (size_t k = 0; k < started; k++) {
			pfd[k].fd = w[k].fd; /* poll skips a negative fd */
			pfd[k].events = POLLIN;
			pfd[k].revents = 0;
		}
		if (poll(pfd, started, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (size_t k = 0; k < started; k++)
			if (w[k].fd >= 0 && pfd[k].revents != 0 && worker_read(b, &w[k], &next)) {
				worker_end(b, &w[k]);
				live--;
			}
	}
	for (size_t k = 0; k < started; k++)
		if (w[k].fd >= 0) {
			kill(w[k].pid, SIGKILL);
			worker_end(b, &w[k]);
		}
	/* Bundles no worker took (fork failed, or the workers died first): here, one by one. */
	for (size_t i = 0; i < b->n; i++)
		if (b->items[i].line == NULL)
			item_run(&b->items[i], ropt, req, 0, b->seal_key);
	free(pfd);
	free(w);
}

void verify_batch_run(struct verify_batch *b, const struct bundle_read_options *ropt,
                      enum verdict_require req, unsigned workers, int quiet_meter)
{
	if (workers > b->n)
		workers = (unsigned)b->n;
	if (workers <= 1) {
		for (size_t i = 0; i < b->n; i++)
			item_run(&b->items[i], ropt, req, !quiet_meter, b->seal_key);
		return;
	}
	run_parallel(b, ropt, req, workers);
}

/* ---- the table ---- */

enum {
	COL_BUNDLE,
	COL_HOST,
	COL_TIME,
	COL_SIGNER,
	COL_TRUST,
	COL_TLP,
	COL_CASE,
	COL_VERDICT,
	N_COLS
};

#define CELL_MAX 40

/* A cell: printable, at most CELL_MAX characters (bytes, for the ASCII it mostly is). */
static char *cell(const char *text)
{
	char *p = printable(text && *text ? text : "-");

	if (strlen(p) > CELL_MAX) {
		p[CELL_MAX - 3] = '\0';
		strcat(p, "...");
	}
	return p;
}

/* A subject's CN if it has one ("/O=Org/CN=host1" -> "host1"), else the whole subject. */
static const char *subject_name(const char *subject)
{
	const char *cn = subject ? strstr(subject, "CN=") : NULL;

	return cn ? cn + 3 : subject;
}

static void row_cells(const struct verify_item *it, char *cells[N_COLS])
{
	json_t *info = json_object_get(it->doc, "bag_info");
	json_t *signer = json_object_get(it->doc, "signer");
	const char *host = json_string_value(json_object_get(info, "host"));
	const char *when = json_string_value(json_object_get(info, "collected"));
	const char *ref = json_string_value(json_object_get(info, "case"));
	const char *tlp = json_string_value(json_object_get(it->doc, "tlp"));
	const char *subject = json_string_value(json_object_get(signer, "subject"));
	const char *trust = "-";
	const char *verdict, *base;
	char *cn = NULL;

	switch (it->outcome) {
	case BUNDLE_VALID_TRUSTED:
		verdict = "valid";
		trust = "trusted";
		break;
	case BUNDLE_VALID_UNTRUSTED:
		verdict = "valid";
		trust = "NOT trusted";
		break;
	case BUNDLE_VALID_UNSIGNED:
		verdict = "valid";
		trust = "unsigned";
		break;
	case BUNDLE_INVALID:
		verdict = "INVALID";
		break;
	case BUNDLE_INCOMPLETE:
		verdict = "incomplete";
		break;
	case BUNDLE_UNCHECKED:
		verdict = "not checked";
		break;
	default: {
		json_t *o = json_object_get(it->doc, "outcome");

		/* Encrypted and no key: not unreadable, unverifiable. */
		verdict = o && json_is_string(o) && strcmp(json_string_value(o), "encrypted") == 0
		                  ? "encrypted"
		                  : "unreadable";
		break;
	}
	}
	if (json_integer_value(json_object_get(it->doc, "journal_seal_failed")) > 0 &&
	    it->outcome >= 0 && bundle_outcome_valid((enum bundle_outcome)it->outcome))
		verdict = "SEAL FAILED";
	if (subject) {
		const char *name = subject_name(subject);

		cn = xstrndup(name, strcspn(name, "/"));
	}
	base = strrchr(it->path, '/');
	cells[COL_BUNDLE] = cell(base && base[1] ? base + 1 : it->path);
	cells[COL_HOST] = cell(host);
	cells[COL_TIME] = cell(when);
	cells[COL_SIGNER] = cell(cn);
	cells[COL_TRUST] = cell(trust);
	cells[COL_TLP] = cell(tlp);
	cells[COL_CASE] = cell(ref);
	cells[COL_VERDICT] = cell(verdict);
	free(cn);
	/* The bag-info of a bundle that is not valid is only what it claims. */
	if (it->outcome >= 0 && !bundle_outcome_valid((enum bundle_outcome)it->outcome))
		for (int c = COL_HOST; c <= COL_CASE; c++)
			if (c != COL_TRUST && strcmp(cells[c], "-") != 0) {
				char *claimed = xasprintf("%s?", cells[c]);

				free(cells[c]);
				cells[c] = claimed;
			}
}

static void print_cell(FILE *fp, const char *text, size_t width, int last)
{
	if (last)
		fprintf(fp, "%s\n", text);
	else
		fprintf(fp, "%-*s  ", (int)width, text);
}

void verify_batch_print_table(const struct verify_batch *b, FILE *fp)
{
	static const char *const head[N_COLS] = {"BUNDLE", "HOST", "TIME", "SIGNER",
	                                         "TRUST",  "TLP",  "CASE", "VERDICT"};
	char *(*cells)[N_COLS] = xreallocarray(NULL, b->n, sizeof(*cells));
	size_t width[N_COLS];

	for (int c = 0; c < N_COLS; c++)
		width[c] = strlen(head[c]);
	for (size_t i = 0; i < b->n; i++) {
		row_cells(&b->items[i], cells[i]);
		for (int c = 0; c < N_COLS; c++)
			if (strlen(cells[i][c]) > width[c])
				width[c] = strlen(cells[i][c]);
	}
	for (int c = 0; c < N_COLS; c++)
		print_cell(fp, head[c], width[c], c + 1 == N_COLS);
	for (size_t i = 0; i < b->n; i++)
		for (int c = 0; c < N_COLS; c++) {
			print_cell(fp, cells[i][c], width[c], c + 1 == N_COLS);
			free(cells[i][c]);
		}
	free(cells);
}

void verify_batch_free(struct verify_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->items[i].path);
		free(b->items[i].line);
		json_decref(b->items[i].doc);
	}
	free(b->items);
	b->items = NULL;
	b->n = 0;
}
