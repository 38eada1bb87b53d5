/*
 * Taking one snapshot: lock and load the state, resolve what a killed run left, plan against
 * the state through the collection pipeline's hooks, commit the new state, apply retention.
 * The pieces: state.c (the state file), recovery.c (the pending record), plan.c (change and
 * rotation planning), hooks.c (the collect hooks), journal.c (the snapshot's own records),
 * retention.c, rawlog.c (decompressing rotated logs).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "bundle/bag.h"
#include "bundle/bundle-encrypt.h"
#include "gather/host.h"
#include "series/hooks.h"
#include "series/recovery.h"
#include "series/retention.h"
#include "series/snapshot.h"

/* The bundle's final name: host, series, sequence and time, in the output directory. */
static char *bundle_path_for(const struct collect_options *co, const char *series,
                             uint64_t sequence, struct error *err)
{
	const char *dir = co->output ? co->output : ".";
	struct host_facts hf;
	struct stat st;
	char stamp[32], *host, *absdir, *path;
	time_t now = time(NULL);
	struct tm tm;
	int root_fd;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		error_set(err, "-o %s: %s; a snapshot needs an output directory", dir,
		          stat(dir, &st) < 0 ? strerror(errno) : "not a directory");
		return NULL;
	}
	root_fd = open(co->root ? co->root : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		error_set(err, "--root %s: %s", co->root ? co->root : "/", strerror(errno));
		return NULL;
	}
	memset(&hf, 0, sizeof(hf));
	if (host_facts_gather(root_fd, &hf, err) < 0) {
		close(root_fd);
		return NULL;
	}
	close(root_fd);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	host = host_name_for_file(hf.hostname);
	absdir = realpath(dir, NULL);
	if (co->make_filter && !co->keep_name) {
		/* Encrypted: a name that says nothing of the host (pending.json records it). */
		path = bundle_encrypted_name(absdir ? absdir : dir, NULL, co->filter_suffix, err);
	} else {
		/* The series in the name keeps series apart that share an output directory. */
		path = xasprintf("%s/logpack-%s-snapshot-%.8s-%06llu-%s%s%s", absdir ? absdir : dir,
		                 host, series, (unsigned long long)sequence, stamp,
		                 bag_compression_suffix(co->compression),
		                 co->make_filter ? co->filter_suffix : "");
	}
	recovery_remove_leftovers(absdir ? absdir : dir, series);
	free(absdir);
	free(host);
	host_facts_free(&hf);
	return path;
}

/*
 * When the state directory is inside the root, an --exclude pattern for it: state.json is
 * replaced on every run and would look like a log replaced by an intruder. NULL otherwise.
 */
static char *state_exclude(const char *root, const char *state_dir)
{
	char *state = realpath(state_dir, NULL), *pattern = NULL;
	size_t len = strlen(root);
	struct strbuf sb = STRBUF_INIT;

	if (state == NULL)
		return NULL;
	if (strcmp(root, "/") == 0)
		len = 0;
	if (strncmp(state, root, len) == 0 && state[len] == '/') {
		for (const char *p = state + len; *p; p++) {
			if (strchr("*?[\\", *p))
				strbuf_addch(&sb, '\\');
			strbuf_addch(&sb, *p);
		}
		strbuf_addstr(&sb, "/*");
		pattern = strbuf_detach(&sb);
	}
	free(state);
	return pattern;
}

/* The state the new snapshot starts from: the old one's series and bundles, or a new series. */
static int next_state(const struct series_state *old, const char *root, struct series_state *next,
                      struct error *err)
{
	memset(next, 0, sizeof(*next));
	if (old->sequence) {
		memcpy(next->series, old->series, sizeof(next->series));
		for (size_t i = 0; i < old->n_bundles; i++)
			state_add_bundle(next, old->bundles[i].sequence, old->bundles[i].path,
			                 old->bundles[i].created);
	} else {
		unsigned char id[SNAPSHOT_SERIES_LEN / 2];

		if (RAND_bytes(id, sizeof(id)) != 1) {
			error_set_openssl(err, "random series id");
			return -1;
		}
		for (size_t i = 0; i < sizeof(id); i++)
			snprintf(next->series + 2 * i, 3, "%02x", id[i]);
	}
	next->sequence = old->sequence + 1;
	next->root = xstrdup(root);
	memset(next->last_tagmanifest, '0', SHA256_HEX_LEN);
	return 0;
}

/* Make next the series' state: state.json replaced, the pending record gone. */
static int commit(struct state_dir *sd, const struct series_state *next, struct error *err)
{
	json_t *o = state_to_json(next);
	int w = state_dir_write_json(sd, "state.json", o, err);

	json_decref(o);
	if (w < 0)
		return -1;
	return state_dir_remove(sd, "pending.json", err);
}

static void retention(const struct snapshot_options *opt, struct state_dir *sd,
                      struct series_state *next, struct snapshot_summary *sum)
{
	struct retention_policy pol = {
	        .keep = opt->keep,
	        .keep_for = opt->keep_for,
	        .now = (int64_t)time(NULL),
	};
	struct error ignored;

	if (retention_apply(&pol, next, &sum->removed, &sum->n_removed) > 0) {
		json_t *o = state_to_json(next);

		/* A failure here only delays the removal of the list entries to the next run. */
		(void)state_dir_write_json(sd, "state.json", o, &ignored);
		json_decref(o);
	}
}

int snapshot_run(const struct snapshot_options *opt, struct snapshot_summary *sum,
                 struct error *err)
{
	struct state_dir sd = {.fd = -1, .lock_fd = -1};
	struct series_state old, next;
	struct snapshot_journal journal;
	struct plan plan;
	struct snapshot_hooks_ctx hctx;
	struct collect_options co = opt->collect;
	struct collect_hooks hooks;
	char *root = NULL, *exclude = NULL, *bundle = NULL;
	const char **excludes = NULL;
	int rc = -1, crc;

	memset(sum, 0, sizeof(*sum));
	memset(&old, 0, sizeof(old));
	memset(&next, 0, sizeof(next));
	memset(&journal, 0, sizeof(journal));
	memset(&plan, 0, sizeof(plan));
	if (state_dir_open(&sd, opt->state_dir, err) < 0 || state_dir_load(&sd, &old, err) < 0 ||
	    recovery_resolve(&sd, &old, &sum->recovered, err) < 0)
		goto out;
	root = realpath(co.root ? co.root : "/", NULL);
	if (root == NULL) {
		error_set(err, "--root %s: %s", co.root ? co.root : "/", strerror(errno));
		goto out;
	}
	if (old.sequence && strcmp(old.root, root) != 0) {
		error_set(err, "%s/state.json belongs to a series of --root %s, not %s",
		          opt->state_dir, old.root, root);
		goto out;
	}
	if (next_state(&old, root, &next, err) < 0)
		goto out;
	if (old.sequence)
		memcpy(sum->previous, old.last_tagmanifest, sizeof(sum->previous));
	memcpy(sum->series, next.series, sizeof(sum->series));
	sum->sequence = next.sequence;
	if ((bundle = bundle_path_for(&opt->collect, next.series, next.sequence, err)) == NULL)
		goto out;
	journal.sequence = next.sequence;
	journal.sum = sum;
	plan_init(&plan, &old, next.sequence, &journal);
	hctx = (struct snapshot_hooks_ctx){
	        .plan = &plan,
	        .next = &next,
	        .journal = &journal,
	        .sum = sum,
	        .state = &sd,
	        .bundle_path = bundle,
	        .encrypted = co.make_filter != NULL,
	};
	snapshot_hooks_bind(&hctx, &hooks);
	co.output = bundle;
	co.hooks = &hooks;
	if ((exclude = state_exclude(root, opt->state_dir)) != NULL) {
		excludes = xcalloc(co.n_excludes + 1, sizeof(*excludes));
		for (size_t i = 0; i < co.n_excludes; i++)
			excludes[i] = co.excludes[i];
		excludes[co.n_excludes++] = exclude;
		co.excludes = excludes;
	}
	crc = collect_run(&co, &sum->collect, err);
	if (crc < 0) {
		struct error ignored;

		/* Nothing got its final name: the pending state must not be adopted. */
		(void)recovery_drop_pending(&sd, &ignored);
		goto out;
	}
	recovery_crash_point("after-bundle-rename");
	memcpy(next.last_tagmanifest, sum->collect.tagmanifest_sha256, SHA256_HEX_LEN + 1);
	if (commit(&sd, &next, err) < 0)
		goto out;
	retention(opt, &sd, &next, sum);
	rc = crc;
out:
	plan_free(&plan);
	journal_release(&journal);
	state_free(&old);
	state_free(&next);
	state_dir_close(&sd);
	free(bundle);
	free(root);
	free(exclude);
	free(excludes);
	return rc;
}

void snapshot_summary_free(struct snapshot_summary *sum)
{
	collect_summary_free(&sum->collect);
	for (size_t i = 0; i < sum->n_anomalies; i++) {
		free(sum->anomalies[i].kind);
		free(sum->anomalies[i].path);
		free(sum->anomalies[i].detail);
	}
	free(sum->anomalies);
	free(sum->recovered);
	for (size_t i = 0; i < sum->n_removed; i++)
		free(sum->removed[i]);
	free(sum->removed);
	memset(sum, 0, sizeof(*sum));
}
