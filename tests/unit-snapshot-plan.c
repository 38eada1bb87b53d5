/*
 * Unit tests: the snapshot state file parser (round trip, every malformed field refused),
 * retention's choice, and change and rotation planning over real files in a scratch root
 * (appends, renames, copytruncate, compressed rotations, and the anomalies).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "gather/walk.h"
#include "series/journal.h"
#include "series/plan.h"
#include "series/retention.h"
#include "series/state.h"
#include "tap.h"

static const char *const HEX_A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char *const HEX_B = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/* ---- the state file ---- */

static void sample_state(struct series_state *st)
{
	struct tracked_file *t;

	memset(st, 0, sizeof(*st));
	memcpy(st->series, "0123456789abcdef0123456789abcdef", SNAPSHOT_SERIES_LEN + 1);
	st->sequence = 7;
	memcpy(st->last_tagmanifest, HEX_B, SHA256_HEX_LEN + 1);
	st->root = xstrdup("/srv/host root");
	t = state_add_file(st);
	t->id = xstrdup("3.17");
	t->path = xstrdup("var/log/odd\nname%.log");
	t->dev = 2049;
	t->ino = 1234567;
	t->size = 5000;
	t->mtime_s = 1700000000;
	t->mtime_ns = 123;
	t->ctime_s = 1700000001;
	t->ctime_ns = 456;
	t->head_len = SNAPSHOT_HEAD_BYTES;
	memcpy(t->head, HEX_A, SHA256_HEX_LEN + 1);
	memcpy(t->prefix, HEX_B, SHA256_HEX_LEN + 1);
	t->compressed = 1;
	state_add_bundle(st, 7, "/out/logpack-h-snapshot-01234567-000007-x.tar.zst", 1700000002);
}

static char *state_text(const struct series_state *st)
{
	json_t *o = state_to_json(st);
	char *text = json_dumps(o, JSON_INDENT(1) | JSON_ENSURE_ASCII);

	json_decref(o);
	return text;
}

/* Parse the sample after edit changed its JSON form; the error text, or NULL if accepted. */
static char *parse_edited(void (*edit)(json_t *o))
{
	struct series_state st, back;
	struct error err;
	json_t *o;
	char *text;
	int rc;

	sample_state(&st);
	o = state_to_json(&st);
	edit(o);
	text = json_dumps(o, JSON_COMPACT);
	rc = state_parse(text, strlen(text), &back, &err);
	free(text);
	json_decref(o);
	state_free(&st);
	state_free(&back);
	return rc < 0 ? xstrdup(err.msg) : NULL;
}

static json_t *first_file(json_t *o)
{
	return json_array_get(json_object_get(o, "files"), 0);
}

static void edit_format(json_t *o)
{
	json_object_set_new(o, "format", json_string("logpack-snapshot-state/2"));
}
static void edit_series_upper(json_t *o)
{
	json_object_set_new(o, "series", json_string("0123456789ABCDEF0123456789abcdef"));
}
static void edit_series_short(json_t *o)
{
	json_object_set_new(o, "series", json_string("0123456789abcdef"));
}
static void edit_sequence_zero(json_t *o)
{
	json_object_set_new(o, "sequence", json_integer(0));
}
static void edit_sequence_negative(json_t *o)
{
	json_object_set_new(o, "sequence", json_integer(-3));
}
static void edit_tagmanifest(json_t *o)
{
	json_object_set_new(o, "last_tagmanifest_sha256", json_string("zz"));
}
static void edit_no_files(json_t *o)
{
	json_object_del(o, "files");
}
static void edit_head_len_over_size(json_t *o)
{
	json_object_set_new(first_file(o), "size", json_integer(100));
}
static void edit_head_len_over_head(json_t *o)
{
	json_object_set_new(first_file(o), "head_len", json_integer(SNAPSHOT_HEAD_BYTES + 1));
}
static void edit_path_nul(json_t *o)
{
	json_object_set_new(first_file(o), "path", json_string("var/log/a\\x00b"));
}
static void edit_prefix(json_t *o)
{
	json_object_set_new(first_file(o), "prefix_sha256", json_string(HEX_A + 1));
}
static void edit_mtime(json_t *o)
{
	json_object_set_new(first_file(o), "mtime", json_integer(5));
}
static void edit_dev_negative(json_t *o)
{
	json_object_set_new(first_file(o), "dev", json_integer(-1));
}
static void edit_bundle_created(json_t *o)
{
	json_object_del(json_array_get(json_object_get(o, "bundles"), 0), "created");
}

static void refused(void (*edit)(json_t *o), const char *want, const char *what)
{
	char *msg = parse_edited(edit);

	ok(msg != NULL && strstr(msg, want) != NULL, "state refused: %s", what);
	if (msg == NULL || strstr(msg, want) == NULL)
		printf("#   got '%s', want '%s'\n", msg ? msg : "(accepted)", want);
	free(msg);
}

static void test_state_file(void)
{
	struct series_state st, back;
	struct error err;
	char *text, *again;

	sample_state(&st);
	text = state_text(&st);
	ok(state_parse(text, strlen(text), &back, &err) == 0, "the state's own text parses");
	ok(back.sequence == 7 && strcmp(back.series, st.series) == 0 &&
	           strcmp(back.root, "/srv/host root") == 0 &&
	           strcmp(back.last_tagmanifest, HEX_B) == 0,
	   "series, sequence, root and tagmanifest hash read back");
	ok(back.n_files == 1 && strcmp(back.files[0].path, "var/log/odd\nname%.log") == 0,
	   "a path with a newline and %% reads back as raw bytes");
	ok(back.files[0].ino == 1234567 && back.files[0].size == 5000 &&
	           back.files[0].mtime_ns == 123 && back.files[0].ctime_s == 1700000001 &&
	           back.files[0].compressed == 1 && strcmp(back.files[0].id, "3.17") == 0,
	   "a file record's fields read back");
	ok(back.n_bundles == 1 && back.bundles[0].created == 1700000002 &&
	           back.bundles[0].sequence == 7,
	   "the bundle list reads back");
	again = state_text(&back);
	is_str(again, text, "written again, the text is the same byte for byte");
	free(again);
	free(text);
	state_free(&back);
	state_free(&st);

	ok(state_parse("{\"format\":", 10, &back, &err) < 0, "truncated JSON is refused");
	ok(state_parse("[1,2]", 5, &back, &err) < 0 && strstr(err.msg, "not a JSON object"),
	   "a JSON array is refused");
	refused(edit_format, "unknown format", "another format version");
	refused(edit_series_upper, "series", "a series id in capitals");
	refused(edit_series_short, "series", "a series id too short");
	refused(edit_sequence_zero, "sequence", "sequence 0");
	refused(edit_sequence_negative, "sequence", "a negative sequence");
	refused(edit_tagmanifest, "tagmanifest", "a malformed tagmanifest hash");
	refused(edit_no_files, "list", "no file list");
	refused(edit_head_len_over_size, "file record 1 is malformed", "head longer than the file");
	refused(edit_head_len_over_head, "file record 1 is malformed", "head over 4096 bytes");
	refused(edit_path_nul, "file record 1 is malformed", "a path holding a NUL byte");
	refused(edit_prefix, "file record 1 is malformed", "a 63-digit prefix hash");
	refused(edit_mtime, "file record 1 is malformed", "an mtime that is not [s, ns]");
	refused(edit_dev_negative, "file record 1 is malformed", "a negative device");
	refused(edit_bundle_created, "bundle record 1 is malformed", "a bundle without a time");
}

/* ---- retention ---- */

static void test_retention(void)
{
	struct retention_policy keep2 = {.keep = 2, .now = 1000};
	struct retention_policy week = {.keep_for = 100, .now = 1000};
	struct retention_policy all = {.now = 1000};

	ok(retention_drops(&keep2, 0, 4, 0) && retention_drops(&keep2, 1, 4, 0) &&
	           !retention_drops(&keep2, 2, 4, 0) && !retention_drops(&keep2, 3, 4, 0),
	   "--keep 2 of 4: the two oldest go");
	ok(retention_drops(&week, 0, 3, 899) && !retention_drops(&week, 1, 3, 900),
	   "--keep-for: older than the duration goes, at the limit stays");
	ok(!retention_drops(&week, 2, 3, 0), "--keep-for never drops the newest");
	ok(!retention_drops(&all, 0, 3, 0), "no policy: nothing goes");
}

/* ---- planning over real files ---- */

static char scratch[] = "/tmp/unit-snapshot-plan.XXXXXX";
static int case_no;
static char root[256];
static int root_fd = -1;

static void new_root(void)
{
	if (root_fd >= 0)
		close(root_fd);
	snprintf(root, sizeof(root), "%s/%d", scratch, ++case_no);
	if (mkdir(root, 0700) < 0 || (root_fd = open(root, O_RDONLY | O_DIRECTORY)) < 0)
		abort();
}

static void put(const char *rel, const char *text, const char *mode)
{
	char *path = xasprintf("%s/%s", root, rel);
	FILE *f = fopen(path, mode);

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
	free(path);
}

/* Run "TOOL ROOT/a SEP ROOT/b" (SEP "" or ">") with the shell. */
static void run(const char *tool, const char *a, const char *sep, const char *b)
{
	char *cmd = xasprintf("%s %s/%s %s%s/%s", tool, root, a, sep, root, b);

	if (system(cmd) != 0)
		abort();
	free(cmd);
}

/* Track rel as the series would after taking it whole. */
static void track(struct series_state *st, const char *rel, const char *id)
{
	char *path = xasprintf("%s/%s", root, rel), *data = NULL;
	size_t len;
	struct tracked_file *t = state_add_file(st);
	struct stat sb;
	struct error err;

	if (read_small_file(path, 1 << 20, &data, &len) < 0 || stat(path, &sb) < 0)
		abort();
	t->id = xstrdup(id);
	plan_stat_into(t, rel, &sb);
	t->size = len;
	t->head_len = len < SNAPSHOT_HEAD_BYTES ? len : SNAPSHOT_HEAD_BYTES;
	if (sha256_hex(data, t->head_len, t->head, &err) < 0 ||
	    sha256_hex(data, len, t->prefix, &err) < 0)
		abort();
	free(data);
	free(path);
}

struct planned {
	struct plan plan;
	struct snapshot_journal journal;
	struct snapshot_summary sum;
	struct walk_result walk;
	uint64_t store;
	int rc;
};

/* Plan the files named (sorted, regular files under root) against old. */
static void plan_files(struct planned *pl, const struct series_state *old, const char *const *paths,
                       size_t n)
{
	struct error err;

	memset(pl, 0, sizeof(*pl));
	pl->walk.entries = xcalloc(n + 1, sizeof(*pl->walk.entries));
	for (size_t i = 0; i < n; i++) {
		struct walk_entry *e = &pl->walk.entries[pl->walk.count++];

		e->path = xstrdup(paths[i]);
		e->kind = ENTRY_FILE;
		if (fstatat(root_fd, paths[i], &e->st, AT_SYMLINK_NOFOLLOW) < 0)
			abort();
	}
	pl->journal.sequence = old->sequence + 1;
	pl->journal.sum = &pl->sum;
	plan_init(&pl->plan, old, old->sequence + 1, &pl->journal);
	pl->rc = plan_run(&pl->plan, root_fd, &pl->walk, &pl->store, &err);
	if (pl->rc < 0)
		printf("#   plan_run: %s\n", err.msg);
}

static void planned_free(struct planned *pl)
{
	plan_free(&pl->plan);
	journal_release(&pl->journal);
	snapshot_summary_free(&pl->sum);
	for (size_t i = 0; i < pl->walk.count; i++)
		free(pl->walk.entries[i].path);
	free(pl->walk.entries);
}

static const struct plan_item *item(const struct planned *pl, const char *path)
{
	for (size_t i = 0; i < pl->walk.count; i++)
		if (strcmp(pl->walk.entries[i].path, path) == 0)
			return &pl->plan.items[i];
	return NULL;
}

static int notes_have(const struct planned *pl, const char *text)
{
	return pl->journal.notes.buf && strstr(pl->journal.notes.buf, text) != NULL;
}

static void test_plan_unchanged_and_appended(void)
{
	struct series_state old = {.sequence = 1};
	const char *const files[] = {"auth.log", "syslog"};
	struct planned pl;
	const struct plan_item *it;

	new_root();
	put("auth.log", "auth one\n", "w");
	put("syslog", "syslog one\nsyslog two\n", "w");
	track(&old, "auth.log", "1.1");
	track(&old, "syslog", "1.2");
	put("syslog", "syslog three\n", "a");
	plan_files(&pl, &old, files, 2);
	ok(pl.rc == 0, "plan: untouched and appended files");
	it = item(&pl, "auth.log");
	ok(it->act == PLAN_UNCHANGED && strcmp(it->kind, "unchanged") == 0 &&
	           strcmp(it->id, "1.1") == 0,
	   "an untouched file is unchanged and keeps its id");
	it = item(&pl, "syslog");
	ok(it->act == PLAN_CONTINUE && strcmp(it->kind, "appended") == 0 && it->offset == 22 &&
	           strcmp(it->id, "1.2") == 0,
	   "an appended file continues at the bytes held");
	ok(pl.store == 13, "only the appended bytes are to be stored (%llu)",
	   (unsigned long long)pl.store);
	ok(pl.sum.n_anomalies == 0, "no anomaly");
	planned_free(&pl);
	state_free(&old);
}

static void test_plan_rename_rotation(void)
{
	struct series_state old = {.sequence = 1};
	const char *const files[] = {"syslog", "syslog.1"};
	struct planned pl;
	const struct plan_item *it;

	new_root();
	put("syslog", "before rotation\n", "w");
	track(&old, "syslog", "1.1");
	run("mv", "syslog", "", "syslog.1");
	put("syslog", "after rotation\n", "w");
	plan_files(&pl, &old, files, 2);
	ok(pl.rc == 0, "plan: rotation by rename");
	it = item(&pl, "syslog.1");
	/* (A rename changes the ctime: the held bytes are checked again.) */
	ok(it->act == PLAN_CONTINUE && it->offset == 16 && strcmp(it->kind, "rotated") == 0 &&
	           strcmp(it->from->path, "syslog") == 0 && strcmp(it->id, "1.1") == 0,
	   "the renamed file is the tracked one, rotated");
	it = item(&pl, "syslog");
	ok(it->act == PLAN_NEW && strcmp(it->kind, "new") == 0 && strcmp(it->id, "2.1") == 0,
	   "the new file at the old name is new, with a new id");
	ok(pl.sum.n_anomalies == 0, "no anomaly");
	planned_free(&pl);
	state_free(&old);
}

static void test_plan_copytruncate(void)
{
	struct series_state old = {.sequence = 4};
	const char *const files[] = {"app.log", "app.log.1"};
	struct planned pl;
	const struct plan_item *it;

	new_root();
	put("app.log", "first\nsecond\n", "w");
	track(&old, "app.log", "2.3");
	put("app.log", "third\n", "a");
	run("cp", "app.log", "", "app.log.1");
	put("app.log", "fresh\n", "w");
	plan_files(&pl, &old, files, 2);
	ok(pl.rc == 0, "plan: copytruncate");
	it = item(&pl, "app.log.1");
	ok(it->act == PLAN_CONTINUE && strcmp(it->kind, "copied") == 0 && it->offset == 13 &&
	           strcmp(it->id, "2.3") == 0,
	   "the copy continues the tracked file after the bytes held");
	it = item(&pl, "app.log");
	ok(it->act == PLAN_NEW, "the truncated original is taken whole");
	ok(pl.sum.n_anomalies == 0, "copytruncate is no anomaly");
	ok(notes_have(&pl, "app.log: rotated to app.log.1 (copied)"), "the rotation is noted");
	planned_free(&pl);
	state_free(&old);
}

static void test_plan_compressed(void)
{
	struct series_state old = {.sequence = 1};
	const char *const files[] = {"dpkg.log", "dpkg.log.1.gz", "kern.log.1.gz"};
	struct planned pl;
	const struct plan_item *it;

	new_root();
	put("dpkg.log", "install a\ninstall b\n", "w");
	put("kern.log", "kernel line\n", "w");
	put("kern.more", "kernel line\nkernel more\n", "w");
	track(&old, "dpkg.log", "1.1");
	track(&old, "kern.log", "1.2");
	/* dpkg.log compressed as it was, and emptied; kern.log got one more line first. */
	run("gzip -n -c", "dpkg.log", ">", "dpkg.log.1.gz");
	put("dpkg.log", "install c\n", "w");
	run("gzip -n -c", "kern.more", ">", "kern.log.1.gz");
	/* Removed last, so that no new file can get its inode number. */
	run("rm", "kern.log", "", "kern.more");
	plan_files(&pl, &old, files, 3);
	ok(pl.rc == 0, "plan: compressed rotations");
	it = item(&pl, "dpkg.log.1.gz");
	ok(it->act == PLAN_HELD && strcmp(it->kind, "compressed") == 0 &&
	           strcmp(it->id, "1.1") == 0 && it->held.compressed == 1,
	   "a .gz holding exactly the bytes held is held, not taken");
	it = item(&pl, "kern.log.1.gz");
	ok(it->act == PLAN_NEW && strcmp(it->kind, "compressed-new") == 0,
	   "a .gz holding more than was held is taken whole");
	ok(pl.sum.n_anomalies == 0, "no anomaly");
	planned_free(&pl);
	state_free(&old);
}

static void test_plan_anomalies(void)
{
	struct series_state old = {.sequence = 1};
	const char *const files[] = {"auth.log", "btmp", "messages", "syslog", "syslog.1"};
	struct planned pl;
	int kinds = 0;

	new_root();
	put("auth.log", "accepted for alice\naccepted for bob\n", "w");
	put("messages", "message one\n", "w");
	put("secure", "secure line\n", "w");
	put("btmp", "bad login one\n", "w");
	put("syslog", "sys\n", "w");
	put("syslog.4", "old generation\n", "w");
	track(&old, "auth.log", "1.1");
	track(&old, "messages", "1.2");
	track(&old, "secure", "1.3");
	track(&old, "btmp", "1.4");
	track(&old, "syslog", "1.5");
	track(&old, "syslog.4", "1.6");
	/* An intruder: auth.log cut, messages edited in place, secure deleted, btmp replaced. */
	put("auth.log", "accepted for alice\n", "w");
	put("messages", "massage one\nand more\n", "r+");
	/* logrotate: syslog renamed, a new syslog, syslog.4 aged out. */
	run("mv", "syslog", "", "syslog.1");
	put("syslog", "new\n", "w");
	/* After the new syslog, so that it cannot reuse the inode the old btmp frees. */
	put("btmp.new", "something else\n", "w");
	run("mv", "btmp.new", "", "btmp");
	/* Removed last, so that no new file can get their inode numbers. */
	run("rm", "secure", "", "syslog.4");
	plan_files(&pl, &old, files, 5);
	ok(pl.rc == 0, "plan: anomalies");
	for (size_t i = 0; i < pl.sum.n_anomalies; i++) {
		const struct snapshot_anomaly *a = &pl.sum.anomalies[i];

		if (strcmp(a->kind, "truncated") == 0 && strcmp(a->path, "/auth.log") == 0)
			kinds |= 1;
		else if (strcmp(a->kind, "rewritten") == 0 && strcmp(a->path, "/messages") == 0)
			kinds |= 2;
		else if (strcmp(a->kind, "disappeared") == 0 && strcmp(a->path, "/secure") == 0)
			kinds |= 4;
		else if (strcmp(a->kind, "replaced") == 0 && strcmp(a->path, "/btmp") == 0)
			kinds |= 8;
		else
			printf("#   unexpected anomaly %s %s\n", a->kind, a->path);
	}
	ok(kinds == 15 && pl.sum.n_anomalies == 4,
	   "truncated, rewritten, disappeared and replaced, each named once (%zu found)",
	   pl.sum.n_anomalies);
	ok(notes_have(&pl, "syslog.4: an old rotated generation, removed by rotation"),
	   "an old generation that aged out is a note, not an anomaly");
	ok(item(&pl, "auth.log")->act == PLAN_NEW && item(&pl, "messages")->act == PLAN_NEW &&
	           item(&pl, "btmp")->act == PLAN_NEW,
	   "after an anomaly the file is taken whole again");
	ok(pl.journal.anomalies.buf && strstr(pl.journal.anomalies.buf, "\"kind\":\"truncated\""),
	   "anomalies.jsonl has the records");
	planned_free(&pl);
	state_free(&old);
}

static void test_pure_helpers(void)
{
	char syslog[] = "var/log/syslog", auth[] = "var/log/auth.log";
	char *bases[] = {syslog, auth};
	struct tracked_file t;
	struct stat sb;

	ok(plan_expired_generation(bases, 2, "var/log/syslog.4.gz"), "syslog.4.gz aged out");
	ok(plan_expired_generation(bases, 2, "var/log/auth.log-20240501"),
	   "auth.log-20240501 aged out");
	ok(!plan_expired_generation(bases, 2, "var/log/syslog"),
	   "the base name itself is no old generation");
	ok(!plan_expired_generation(bases, 2, "var/log/kern.log.1"),
	   "a family that did not rotate did not age out");

	memset(&t, 0, sizeof(t));
	memset(&sb, 0, sizeof(sb));
	sb.st_dev = 1;
	sb.st_ino = 2;
	sb.st_size = 3;
	sb.st_mtim.tv_sec = 4;
	sb.st_ctim.tv_sec = 5;
	plan_stat_into(&t, "x", &sb);
	t.size = 3;
	ok(plan_unchanged(&t, &sb), "same inode, size and times: unchanged");
	sb.st_ctim.tv_nsec = 1;
	ok(!plan_unchanged(&t, &sb), "a ctime one nanosecond later: changed");
	sb.st_ctim.tv_nsec = 0;
	sb.st_size = 4;
	ok(!plan_unchanged(&t, &sb), "another size: changed");
	tracked_file_free(&t);
}

int main(void)
{
	test_state_file();
	test_retention();
	test_pure_helpers();
	if (mkdtemp(scratch) == NULL)
		abort();
	test_plan_unchanged_and_appended();
	test_plan_rename_rotation();
	test_plan_copytruncate();
	test_plan_compressed();
	test_plan_anomalies();
	if (root_fd >= 0)
		close(root_fd);
	{
		char *cmd = xasprintf("rm -rf %s", scratch);

		if (system(cmd) != 0)
			printf("# could not remove %s\n", scratch);
		free(cmd);
	}
	return tap_done();
}
