/* logpack show: what a bundle holds, in one pass and without extracting it. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/mman.h>
#include <unistd.h>
#endif

#include <jansson.h>

#include "base/exitcode.h"
#include "base/log.h"
#include "base/printable.h"
#include "bundle/bundle-read.h"
#include "bundle/verdict.h"
#include "cmd/command.h"
#include "cmd/key-opts.h"
#include "report/coverage.h"
#include "report/incident.h"
#include "trust/sign.h"

static int cmd_show(int argc, char **argv);

/* The file list is spooled rather than held in memory (a bundle may list millions of files).
 * tmpfile() needs /tmp, which an empty root (the static binary run from a USB stick in a
 * chroot) does not have: there the list goes to an anonymous memory file instead. So does the
 * list of an encrypted bundle (in_memory): its names must not reach the disk in the clear. */
static FILE *spool_open(int in_memory)
{
	FILE *f = in_memory ? NULL : tmpfile();
#ifdef __linux__
	if (f == NULL) {
		int saved = errno;
		int fd = memfd_create("logpack-show", MFD_CLOEXEC);

		if (fd < 0) {
			errno = saved;
			return NULL;
		}
		if ((f = fdopen(fd, "w+")) == NULL) {
			saved = errno;
			close(fd);
			errno = saved;
		}
	}
#endif
	return f;
}

const struct command command_show = {
        .name = "show",
        .usage = "show [--json] [--files] [--trust FILE|DIR] [--key KEY [--cert CERT] "
                 "[--passphrase-file FILE]] BUNDLE|BAGDIR",
        .summary = "print what a bundle holds: host, incident report, signer, coverage, files",
        .help = "Options:\n"
                "      --cert CERT        with --key for a CMS pair, as for verify\n"
                "      --files            list every file record (path, category, size, status)\n"
                "      --json             one JSON document on stdout\n"
                "  -k, --key KEY          show an encrypted bundle (X.gpg, X.age, or the CMS\n"
                "                         pair X.p7m + X.enc), decrypted as a stream, as for\n"
                "                         verify; printed only after the cipher's last check\n"
                "      --passphrase-file FILE  the key's passphrase, as for verify\n"
                "  -t, --trust FILE|DIR   trusted signers, as for verify\n"
                "  -h, --help             this text\n"
                "\n"
                "The bundle is verified in the same pass; what it says about the host is only\n"
                "as good as that verdict, which is printed first. The coverage of the logs\n"
                "(time spans, gaps, clock, forwarding: docs/coverage.md) follows the counts.\n"
                "\n"
                "Exit: 0 the bundle is valid (signed or not), 4 INVALID (also: the encrypted\n"
                "file was altered or truncated), 8 incomplete (files to fetch), 9 could not be\n"
                "checked, 3 could not be read (also: encrypted and no --key, or not to the\n"
                "key).\n",
        .run = cmd_show,
};

enum { OPT_FILES = 256, OPT_JSON };

#define TAG_JSON_MAX (1024 * 1024)
/* coverage.json holds a record per log: a few KiB each. */
#define COVERAGE_JSON_MAX (32 * 1024 * 1024)
#define RECORD_MAX (1024 * 1024)
/* Records listed by --files (kept on disk meanwhile, not in memory). */
#define FILES_LIST_MAX 1000000

enum show_member { MEMBER_OTHER, MEMBER_HOST, MEMBER_INCIDENT, MEMBER_FILES, MEMBER_COVERAGE };

struct category_stats {
	char *name;
	uint64_t files;
	uint64_t bytes;
};

struct file_record {
	char *path;
	char *category;
	char *status;
	unsigned long long stored_size;
};

/* What the visitor gathers while the reader verifies. */
struct show_state {
	int want_files;
	enum show_member cur;
	struct strbuf host, incident, line, coverage;
	int host_over, incident_over, line_over, coverage_over;
	struct category_stats *cats;
	size_t n_cats;
	struct category_stats *statuses;
	size_t n_statuses;
	/*
	 * The records for --files, until the verdict is known and they can be printed: files.jsonl
	 * is bounded only by --max-size, so they wait in an unlinked temporary file, not memory.
	 */
	FILE *spool;
	uint64_t n_files;
	uint64_t files_unlisted;
	uint64_t bad_records;
};

#define MAX_CATEGORIES 200

static struct category_stats *stats_get(struct category_stats **list, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*list)[i].name, name) == 0)
			return &(*list)[i];
	/* A hostile files.jsonl could name a new category on every line: lump the rest. */
	if (*n >= MAX_CATEGORIES)
		name = "(other)";
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*list)[i].name, name) == 0)
			return &(*list)[i];
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	(*list)[*n] = (struct category_stats){.name = xstrdup(name)};
	return &(*list)[(*n)++];
}

/* One files.jsonl record: count it by category and status. */
static void files_record(struct show_state *st, const char *text, size_t len)
{
	json_t *rec;
	const char *path, *category, *status;
	json_int_t stored = 0;

	if (len == 0)
		return;
	rec = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(rec)) {
		st->bad_records++;
		json_decref(rec);
		return;
	}
	path = json_string_value(json_object_get(rec, "path"));
	category = json_string_value(json_object_get(rec, "category"));
	status = json_string_value(json_object_get(rec, "status"));
	if (json_is_integer(json_object_get(rec, "stored_size")))
		stored = json_integer_value(json_object_get(rec, "stored_size"));
	if (stored < 0)
		stored = 0;
	if (category == NULL)
		category = "(none)";
	if (status == NULL)
		status = "(none)";
	stats_get(&st->statuses, &st->n_statuses, status)->files++;
	if (strcmp(status, "collected") == 0) {
		struct category_stats *c = stats_get(&st->cats, &st->n_cats, category);

		c->files++;
		c->bytes += (uint64_t)stored;
	}
	if (st->want_files && st->n_files >= FILES_LIST_MAX) {
		st->files_unlisted++;
	} else if (st->want_files) {
		const char *p = path ? path : "(none)";

		/* Lengths first: a path may hold any byte but NUL. */
		fprintf(st->spool, "%zu %zu %zu %llu\n", strlen(p), strlen(category),
		        strlen(status), (unsigned long long)stored);
		fputs(p, st->spool);
		fputs(category, st->spool);
		fputs(status, st->spool);
		st->n_files++;
	}
	json_decref(rec);
}

static void show_begin(void *ctx, const char *name, uint64_t size)
{
	struct show_state *st = ctx;

	if (strcmp(name, "logpack/host.json") == 0)
		st->cur = MEMBER_HOST;
	else if (strcmp(name, "logpack/incident.json") == 0)
		st->cur = MEMBER_INCIDENT;
	else if (strcmp(name, "logpack/files.jsonl") == 0)
		st->cur = MEMBER_FILES;
	else if (strcmp(name, "logpack/coverage.json") == 0)
		st->cur = MEMBER_COVERAGE;
	else
		st->cur = MEMBER_OTHER;
}

static void keep(struct strbuf *sb, int *over, const void *buf, size_t len, size_t max)
{
	if (*over || sb->len + len > max) {
		*over = 1;
		return;
	}
	strbuf_add(sb, buf, len);
}

static void show_data(void *ctx, const void *buf, size_t len)
{
	struct show_state *st = ctx;
	const char *p = buf;

	switch (st->cur) {
	case MEMBER_HOST:
		keep(&st->host, &st->host_over, buf, len, TAG_JSON_MAX);
		break;
	case MEMBER_INCIDENT:
		keep(&st->incident, &st->incident_over, buf, len, TAG_JSON_MAX);
		break;
	case MEMBER_COVERAGE:
		keep(&st->coverage, &st->coverage_over, buf, len, COVERAGE_JSON_MAX);
		break;
	case MEMBER_FILES:
		/* Line by line: files.jsonl may be large; only the tallies are kept. */
		while (len > 0) {
			const char *nl = memchr(p, '\n', len);
			size_t take = nl ? (size_t)(nl - p) : len;

			keep(&st->line, &st->line_over, p, take, RECORD_MAX);
			if (nl == NULL)
				break;
			if (st->line_over)
				st->bad_records++;
			else
				files_record(st, st->line.buf ? st->line.buf : "", st->line.len);
			strbuf_reset(&st->line);
			st->line_over = 0;
			p = nl + 1;
			len -= take + 1;
		}
		break;
	case MEMBER_OTHER:
		break;
	}
}

static void show_end(void *ctx, const char *sha256_hex)
{
	struct show_state *st = ctx;

	(void)sha256_hex;
	if (st->cur == MEMBER_FILES && st->line.len > 0 && !st->line_over)
		files_record(st, st->line.buf, st->line.len);
	strbuf_reset(&st->line);
	st->line_over = 0;
	st->cur = MEMBER_OTHER;
}

static void show_state_free(struct show_state *st)
{
	strbuf_release(&st->host);
	strbuf_release(&st->incident);
	strbuf_release(&st->line);
	strbuf_release(&st->coverage);
	for (size_t i = 0; i < st->n_cats; i++)
		free(st->cats[i].name);
	free(st->cats);
	for (size_t i = 0; i < st->n_statuses; i++)
		free(st->statuses[i].name);
	free(st->statuses);
	if (st->spool)
		fclose(st->spool);
}

static char *read_exact(FILE *fp, size_t len)
{
	char *buf = xmalloc(len + 1);

	if (fread(buf, 1, len, fp) != len) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

/* The next record kept for --files: 1, or 0 at the end (the caller frees the fields). */
static int spool_next(struct show_state *st, struct file_record *r)
{
	size_t lp, lc, ls;

	memset(r, 0, sizeof(*r));
	if (fscanf(st->spool, "%zu %zu %zu %llu\n", &lp, &lc, &ls, &r->stored_size) != 4 ||
	    lp > RECORD_MAX || lc > RECORD_MAX || ls > RECORD_MAX)
		return 0;
	r->path = read_exact(st->spool, lp);
	r->category = read_exact(st->spool, lc);
	r->status = read_exact(st->spool, ls);
	if (r->path && r->category && r->status)
		return 1;
	free(r->path);
	free(r->category);
	free(r->status);
	return 0;
}

static void file_record_free(struct file_record *r)
{
	free(r->path);
	free(r->category);
	free(r->status);
}

/* A string member of a JSON object, by a path of keys ("os", "pretty_name"), or NULL. */
static const char *json_str(json_t *o, const char *k1, const char *k2)
{
	json_t *v = json_object_get(o, k1);

	if (k2)
		v = json_object_get(v, k2);
	return json_string_value(v);
}

/* Text from a bundle, made safe for a terminal (see base/printable.h). Caller frees. */
static char *safe_text(const char *value)
{
	return printable(value ? value : "");
}

/*
 * Set while printing what an INVALID bundle holds: nothing in it is verified, so every field
 * taken from it is said as its claim, never as a fact.
 */
static int show_claims;

static void print_field(const char *label, const char *value)
{
	char *safe;

	if (value == NULL || *value == '\0')
		return;
	safe = safe_text(value);
	printf("%-12s %s%s\n", label, show_claims ? "claims " : "", safe);
	free(safe);
}

static int cmp_stats(const void *a, const void *b)
{
	return strcmp(((const struct category_stats *)a)->name,
	              ((const struct category_stats *)b)->name);
}

/* The coverage summary, each line said as a claim when the bundle is INVALID. */
static void print_coverage(const struct show_state *st, const json_t *coverage)
{
	char *summary;

	if (coverage == NULL) {
		if (st->coverage.len > 0 || st->coverage_over)
			print_field("Coverage:", "logpack/coverage.json is not a readable report");
		return;
	}
	printf("Coverage%s (logpack/coverage.json):\n",
	       show_claims ? ", as the bundle claims" : "");
	summary = coverage_summary(coverage);
	for (const char *l = summary; *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l + 1) : strlen(l);

		printf("%s%.*s", show_claims ? "claims " : "", (int)len, l);
		l += len;
	}
	free(summary);
}

static void print_text(const char *path, const struct bundle_report *rep, struct show_state *st,
                       json_t *host, const struct incident *incident, const json_t *coverage)
{
	char *line = verdict_line(rep);
	char size[32], when[32];
	const char *os;
	int base_claims;

	printf("%-12s %s\n", "Bundle:", path);
	print_field("Status:", line);
	free(line);
	if (rep->cipher) {
		char *enc =
		        xasprintf("%s, opened with %s%s", rep->cipher,
		                  rep->decrypted_with ? rep->decrypted_with
		                                      : "the key given (unknown without --cert)",
		                  rep->among_recipients == 0   ? " (NOT among the named recipients)"
		                  : rep->among_recipients == 1 ? " (a named recipient)"
		                                               : "");

		print_field("Encrypted:", enc);
		free(enc);
	}
	base_claims = !bundle_outcome_valid(rep->outcome);
	/* A tag file the signature does not cover is a claim too, whatever the verdict. */
	show_claims = base_claims || bundle_report_uncovered(rep, "logpack/incident.json");
	/* The incident report comes first after the verdict: whom to call, and what the TLP
	 * label allows the reader to do with the rest. */
	if (incident) {
		char *summary = incident_summary(incident);

		if (show_claims) {
			/* Each line of it: "claims TLP:CLEAR ..." */
			for (const char *l = summary; *l;) {
				const char *nl = strchr(l, '\n');
				size_t len = nl ? (size_t)(nl - l + 1) : strlen(l);

				printf("claims %.*s", (int)len, l);
				l += len;
			}
		} else {
			fputs(summary, stdout);
		}
		printf("  (every answer: logpack/incident.txt, or show --json)\n");
		free(summary);
	} else if (st->incident.len > 0 || st->incident_over) {
		print_field("Incident:", "logpack/incident.json is not a readable report");
	}
	show_claims = base_claims;
	print_field("Bag:", rep->top_dir);
	show_claims = base_claims || bundle_report_uncovered(rep, "logpack/host.json");
	print_field("Host:", json_str(host, "hostname", NULL)
	                             ? json_str(host, "hostname", NULL)
	                             : bundle_report_info(rep, "LogPack-Host"));
	os = json_str(host, "os", "pretty_name");
	if (os == NULL)
		os = json_str(host, "os", "id");
	print_field("OS:", os);
	print_field("Kernel:", json_str(host, "kernel", NULL));
	print_field("Collected:", json_str(host, "collection_start", NULL)
	                                  ? json_str(host, "collection_start", NULL)
	                                  : bundle_report_info(rep, "LogPack-Collection-Start"));
	print_field("Finished:", json_str(host, "collection_end", NULL));
	print_field("Profile:", json_str(host, "profile", "name")
	                                ? json_str(host, "profile", "name")
	                                : bundle_report_info(rep, "LogPack-Profile"));
	print_field("Root:", json_str(host, "root", NULL));
	if (bundle_report_info(rep, "LogPack-Snapshot-Series")) {
		const char *seq = bundle_report_info(rep, "LogPack-Snapshot-Sequence");
		const char *found = bundle_report_info(rep, "LogPack-Snapshot-Anomalies");
		char *text = xasprintf("%s of series %s, %s anomalies", seq ? seq : "?",
		                       bundle_report_info(rep, "LogPack-Snapshot-Series"),
		                       found ? found : "?");

		print_field("Snapshot:", text);
		free(text);
	}
	show_claims = base_claims;
	print_field("Organization:", bundle_report_info(rep, "Source-Organization"));
	if (rep->is_signed && rep->sig.subject) {
		print_field("Signer:", rep->sig.subject);
		print_field("Issuer:", rep->sig.issuer);
		if (rep->sig.signing_time)
			print_field("Signed at:",
			            format_iso8601(rep->sig.signing_time, when, sizeof(when)));
	} else if (!rep->is_signed) {
		print_field("Signer:", "(unsigned)");
	}
	printf("%-12s %llu files, %s\n", "Payload:", (unsigned long long)rep->payload_files,
	       format_size(rep->payload_bytes, size, sizeof(size)));
	show_claims = base_claims || bundle_report_uncovered(rep, "logpack/files.jsonl");
	if (st->n_cats > 0) {
		qsort(st->cats, st->n_cats, sizeof(*st->cats), cmp_stats);
		printf("By category (collected files%s):\n",
		       show_claims ? ", as the bundle claims" : "");
		for (size_t i = 0; i < st->n_cats; i++) {
			char *name = safe_text(st->cats[i].name);

			printf("  %-16s %8llu files %12s\n", name,
			       (unsigned long long)st->cats[i].files,
			       format_size(st->cats[i].bytes, size, sizeof(size)));
			free(name);
		}
	}
	if (st->n_statuses > 0) {
		qsort(st->statuses, st->n_statuses, sizeof(*st->statuses), cmp_stats);
		printf("%-12s", "Records:");
		for (size_t i = 0; i < st->n_statuses; i++) {
			char *name = safe_text(st->statuses[i].name);

			printf("%s %s %llu", i ? "," : "", name,
			       (unsigned long long)st->statuses[i].files);
			free(name);
		}
		putchar('\n');
	}
	if (st->bad_records)
		printf("Unreadable records in files.jsonl: %llu\n",
		       (unsigned long long)st->bad_records);
	print_coverage(st, coverage);
	if (st->want_files) {
		printf("Files%s:\n", show_claims ? " (as the bundle claims)" : "");
		struct file_record r;

		rewind(st->spool);
		while (spool_next(st, &r)) {
			char *status = safe_text(r.status);
			char *category = safe_text(r.category);
			char *fpath = safe_text(r.path);

			printf("  %-12s %-12s %10s  %s\n", status, category,
			       format_size(r.stored_size, size, sizeof(size)), fpath);
			free(status);
			free(category);
			free(fpath);
			file_record_free(&r);
		}
		if (st->files_unlisted)
			printf("  ... and %llu more records, not listed\n",
			       (unsigned long long)st->files_unlisted);
	}
}

static json_t *stats_json(const struct category_stats *list, size_t n, int with_bytes)
{
	json_t *o = json_object();

	for (size_t i = 0; i < n; i++)
		json_object_set_new(o, list[i].name,
		                    with_bytes ? json_pack("{s:I,s:I}", "files",
		                                           (json_int_t)list[i].files, "bytes",
		                                           (json_int_t)list[i].bytes)
		                               : json_integer((json_int_t)list[i].files));
	return o;
}

static void print_json(const char *path, const struct bundle_report *rep, struct show_state *st,
                       json_t *host, json_t *incident, const struct incident *report,
                       json_t *coverage)
{
	json_t *doc = verdict_json(path, rep, VERDICT_REQUIRE_VALID), *info = json_object();
	/* What a bundle that is not valid holds is only its claim: kept apart, under "claims". */
	json_t *facts = !bundle_outcome_valid(rep->outcome) ? json_object() : json_incref(doc);
	/* So is a tag file a signed bag's signature does not cover. */
	json_t *claims = facts != doc ? json_incref(facts) : json_object();
	json_t *incident_home =
	        bundle_report_uncovered(rep, "logpack/incident.json") ? claims : facts;

	json_object_set(bundle_report_uncovered(rep, "logpack/host.json") ? claims : facts, "host",
	                host ? host : json_null());
	if (facts == doc && !json_object_get(doc, "host"))
		json_object_set_new(doc, "host", json_null());
	if (incident) {
		json_t *inc = json_object();
		char *summary = report ? incident_summary(report) : NULL;

		json_object_set_new(inc, "tlp",
		                    report && report->tlp[0] ? json_string(report->tlp)
		                                             : json_null());
		json_object_set_new(inc, "summary", summary ? json_string(summary) : json_null());
		free(summary);
		json_object_set(inc, "report", incident);
		json_object_set_new(incident_home, "incident", inc);
	} else {
		json_object_set_new(facts, "incident", json_null());
	}
	if (facts == doc && !json_object_get(doc, "incident"))
		json_object_set_new(doc, "incident", json_null());
	for (size_t i = 0; i < rep->n_info; i++) {
		/* json_string refuses text that is not UTF-8: such a field is left out. */
		json_t *v = json_object_get(info, rep->info[i].key)
		                    ? NULL
		                    : json_string(rep->info[i].value);

		if (v)
			json_object_set_new(info, rep->info[i].key, v);
	}
	json_object_set_new(facts, "bag_info", info);
	json_object_set(facts, "coverage", coverage ? coverage : json_null());
	if (facts != doc) {
		json_object_set_new(doc, "host", json_null());
		json_object_set_new(doc, "incident", json_null());
		json_object_set_new(doc, "bag_info", json_null());
		json_object_set_new(doc, "coverage", json_null());
		json_object_set(doc, "claims", facts);
	} else if (json_object_size(claims) > 0) {
		json_object_set(doc, "claims", claims);
	}
	json_decref(claims);
	json_decref(facts);
	json_object_set_new(doc, "categories", stats_json(st->cats, st->n_cats, 1));
	json_object_set_new(doc, "statuses", stats_json(st->statuses, st->n_statuses, 0));
	json_object_set_new(doc, "unreadable_records", json_integer((json_int_t)st->bad_records));
	if (!st->want_files) {
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		fputc('\n', stdout);
	} else {
		/* The document, then its "files" written one record at a time. */
		char *text = json_dumps(doc, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		char *close = text ? strrchr(text, '}') : NULL;
		struct file_record r;
		int first = 1;

		if (close) {
			while (close > text && (close[-1] == '\n' || close[-1] == ' '))
				close--;
			*close = '\0';
		}
		fputs(text ? text : "{", stdout);
		printf(",\n  \"files\": [");
		rewind(st->spool);
		while (spool_next(st, &r)) {
			json_t *o = json_object();
			char *line;

			json_object_set_new(o, "path", bundle_json_text(r.path));
			json_object_set_new(o, "category", bundle_json_text(r.category));
			json_object_set_new(o, "status", bundle_json_text(r.status));
			json_object_set_new(o, "stored_size",
			                    json_integer((json_int_t)r.stored_size));
			line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
			printf("%s\n    %s", first ? "" : ",", line ? line : "{}");
			first = 0;
			free(line);
			json_decref(o);
			file_record_free(&r);
		}
		printf("\n  ],\n  \"files_unlisted\": %llu\n}\n",
		       (unsigned long long)st->files_unlisted);
		free(text);
	}
	json_decref(doc);
}

/* Parse a small JSON tag file; NULL when absent, too large or not an object. */
static json_t *parse_tag_json(const struct strbuf *sb, int over)
{
	json_t *o;

	if (over || sb->len == 0)
		return NULL;
	o = json_loadb(sb->buf, sb->len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int cmd_show(int argc, char **argv)
{
	static const struct option options[] = {
	        {"files", no_argument, NULL, OPT_FILES},
	        {"help", no_argument, NULL, 'h'},
	        {"json", no_argument, NULL, OPT_JSON},
	        {"trust", required_argument, NULL, 't'},
	        KEY_LONG_OPTIONS,
	        {NULL, 0, NULL, 0},
	};
	struct show_state st = {0};
	struct bundle_visitor visitor = {.ctx = &st,
	                                 .member_begin = show_begin,
	                                 .member_data = show_data,
	                                 .member_end = show_end};
	struct bundle_read_options ropt = {.visitor = &visitor};
	struct trust_store *trust = NULL;
	struct decrypt_key key = {0};
	struct bundle_report rep;
	const char *trust_path = NULL;
	json_t *host = NULL, *incident = NULL, *coverage = NULL;
	struct incident *report = NULL;
	struct error err;
	int c, json = 0, rc;

	while ((c = command_getopt(argc, argv, "hk:t:", options)) != -1) {
		if (key_opts_option(&key, c, optarg) == 0)
			continue;
		switch (c) {
		case 'h':
			command_print_help(&command_show, stdout);
			return LP_EXIT_OK;
		case 't':
			trust_path = optarg;
			break;
		case OPT_FILES:
			st.want_files = 1;
			break;
		case OPT_JSON:
			json = 1;
			break;
		default:
			return command_option_error(&command_show);
		}
	}
	if (optind + 1 != argc)
		return command_usage_error(&command_show, optind >= argc ? "no bundle given"
		                                                         : "one bundle at a time");
	if (key_opts_check(&key, &command_show) != LP_EXIT_OK)
		return LP_EXIT_USAGE;
	if (trust_path && trust_store_load(&trust, trust_path, &err) < 0) {
		log_error("--trust %s", err.msg);
		return LP_EXIT_FAILURE;
	}
	if (st.want_files && (st.spool = spool_open(key.key != NULL)) == NULL) {
		log_error("cannot make a temporary file for the file list: %s", strerror(errno));
		trust_store_free(trust);
		return LP_EXIT_FAILURE;
	}
	ropt.trust = trust;
	ropt.key = key.key ? &key : NULL;
	bundle_limits_default(&ropt.limits);
	if (bundle_read_path(argv[optind], &ropt, &rep, &err) < 0) {
		log_error("%s", err.msg);
		show_state_free(&st);
		trust_store_free(trust);
		return LP_EXIT_FAILURE;
	}
	if (st.spool && (fflush(st.spool) != 0 || ferror(st.spool))) {
		log_error("cannot keep the file list in a temporary file: %s", strerror(errno));
		bundle_report_free(&rep);
		show_state_free(&st);
		trust_store_free(trust);
		return LP_EXIT_FAILURE;
	}
	host = parse_tag_json(&st.host, st.host_over);
	incident = parse_tag_json(&st.incident, st.incident_over);
	coverage = parse_tag_json(&st.coverage, st.coverage_over);
	if (incident && incident_from_json(st.incident.buf, st.incident.len, &report, &err) < 0)
		log_warn("%s", err.msg);
	if (json)
		print_json(argv[optind], &rep, &st, host, incident, report, coverage);
	else
		print_text(argv[optind], &rep, &st, host, report, coverage);
	rc = bundle_outcome_valid(rep.outcome) ? LP_EXIT_OK
	                                       : verdict_exit(rep.outcome, VERDICT_REQUIRE_VALID);
	json_decref(host);
	json_decref(incident);
	json_decref(coverage);
	incident_free(report);
	bundle_report_free(&rep);
	show_state_free(&st);
	trust_store_free(trust);
	return rc;
}
