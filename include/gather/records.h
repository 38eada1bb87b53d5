/*
 * What a collection writes about itself: one files.jsonl record and one body file line per
 * path considered, the human-readable collection.log, and host.json. The first three grow
 * during the run in unlinked temporary files and become tag files at the end.
 */
#ifndef LOGPACK_RECORDS_H
#define LOGPACK_RECORDS_H

#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "base/json-line.h"
#include "base/util.h"
#include "bundle/bag.h"
#include "gather/collect.h"
#include "gather/host.h"
#include "gather/profile.h"
#include "gather/throttle.h"
#include "gather/walk.h"

struct records {
	FILE *files_jsonl;
	FILE *log;      /* collection.log */
	FILE *bodyfile; /* bodyfile.txt */
	char *bufs[3];  /* the three streams' buffers */
	/* The files.jsonl record being written, and its path for the body file: kept across
	 * records, so that a file costs no allocation for them. */
	struct json_line rec;
	struct strbuf rec_path;
	struct strbuf scratch;  /* a field's value being put together */
	struct strbuf log_line; /* a collection.log line, escaped */
	const struct userdb *users;
	const struct collect_observer *observer; /* told of warnings; may be NULL */
};

/* Create the temporary files in dir (the output directory, so no other disk fills up). */
int records_open(struct records *r, const char *dir, const struct userdb *users,
                 const struct collect_observer *observer, struct error *err);
void records_close(struct records *r);

/* A line in collection.log, time-stamped and escaped (one event per line, UTF-8). */
void records_log(struct records *r, const char *fmt, ...) LP_ATTR_PRINTF(2, 3);
/* A note for the observer (the terminal), if there is one. */
void records_note(struct records *r, enum collect_note kind, const char *fmt, ...)
        LP_ATTR_PRINTF(3, 4);
/* A path from the source tree as shown to people: escaped like a bag name. Caller frees. */
char *records_shown_path(const char *path);

/*
 * The fields every files.jsonl record has (names, rule, metadata of st, btime when known);
 * *bagname_out receives the payload name under data/ (caller frees).
 */
struct json_line *record_new(struct records *r, const struct walk_entry *e, const struct stat *st,
                             const struct timespec *btime, char **bagname_out);
/* The path of the record record_new began, as files.jsonl shows it ("/" and the escaped path). */
static inline const char *record_path(const struct records *r)
{
	return r->rec_path.buf;
}
/* The record record_new began, with the fields added since, as a line of files.jsonl. */
int record_write(struct records *r, struct error *err);
/* The body file line for a record (link_target: escaped, for links; else NULL). */
void record_body_line(struct records *r, const struct stat *st, const struct timespec *btime,
                      const char *link_target);
/* A path not stored: status ("skipped", "link") and reason; links get their target. */
int record_skip(struct records *r, const struct walk_entry *e, const char *status,
                const char *reason, struct error *err);
/* A source that a hook chose not to store (snapshot: unchanged, already held). */
int record_hook_skip(struct records *r, const struct walk_entry *e, struct collect_decision *d,
                     struct error *err);

/* Add files.jsonl, collection.log and bodyfile.txt to the bag as tag files. */
int records_add_to_bag(struct records *r, struct bag_writer *bag, struct error *err);

/* What host.json says. */
struct host_record {
	const struct host_facts *host;
	const char *root_path;
	const struct profile *profile;
	const char *profile_reason;
	const struct walk_result *walk; /* for the expected rules that matched nothing */
	const struct collect_options *opt;
	const struct throttle_priority *priority; /* in force while sources were read */
	int64_t started, finished;
};

/* host.json's text. Caller frees. */
char *records_host_json(const struct host_record *h);

#endif
