/*
 * One collection run's state, shared by collect.c (the pipeline) and collect-scope.c (what a
 * run takes beyond the profile's rules). Nothing outside gather/collect*.c includes this.
 */
#ifndef LOGPACK_COLLECT_PRIVATE_H
#define LOGPACK_COLLECT_PRIVATE_H

#include "gather/collect.h"
#include "gather/containers.h"
#include "gather/host.h"
#include "gather/profile.h"
#include "gather/records.h"
#include "gather/source.h"
#include "gather/throttle.h"
#include "gather/walk.h"

/* Everything one run holds; freed in collect_run. */
/* What the passes before the collection need of the whole list, taken in one read of it. */
struct list_survey {
	uint64_t n_files, file_bytes; /* regular files, for the progress totals */
	uint64_t estimate;            /* the bundle's size, as far as a guess goes */
	int journal;                  /* a systemd journal file is among the files */
	int shadow, master_passwd;    /* etc/shadow, etc/master.passwd are (for accounts.json) */
};

struct collection {
	const struct collect_options *opt;
	struct collect_summary *sum;
	int root_fd;
	char *root_path;
	struct host_facts host;
	struct profile *profile;
	struct userdb *users;
	struct rule *rules; /* the profile's rules, then the unclaimed-log rules; shallow copies */
	size_t n_rules;
	struct rule *other_rules; /* owned: category "other", one per log directory */
	size_t n_other_rules;
	struct walk_result walk;
	struct list_survey survey;
	struct container_list containers; /* live host: running containers, their roots open */
	struct rule container_rule;       /* their log directories, category "container" */
	char **container_notes;           /* for collection.log */
	size_t n_container_notes;
	struct bag_writer *bag;
	struct records records;
	struct source_reader reader;
	char *output_dir;
	char *output_path;
	int partial;
	uint64_t planned_bytes; /* what the plan hook will store, when there is one */
	int has_planned;
	struct throttle_priority priority; /* in force for the run */
};

/* Is the category among those --category chose (or are all chosen)? */
int collect_category_wanted(const struct collect_options *opt, const char *category);
/* The profile's rules, then one rule per system log directory in category "other". */
void collect_add_other_rules(struct collection *c);
/* Is path a systemd journal file? */
int collect_is_journal(const char *path);
/* Expected files that are absent for a known reason (auth events in the journal) set aside;
 * after the survey. */
void collect_explain_absent(struct collection *c);
/* On a live host, each running container's logs, read inside its own root. */
void collect_add_container_logs(struct collection *c, const struct walk_options *host_wo);

#endif
