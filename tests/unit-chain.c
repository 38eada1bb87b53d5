/* Unit tests for chains of snapshots: a whole series, a gap, a broken link, a repeat. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/hash.h"
#include "series/chain.h"
#include "tap.h"

static char root[] = "/tmp/unit-chain-XXXXXX";

static void write_file(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *fp = fopen(path, "w");

	if (fp) {
		fputs(text, fp);
		fclose(fp);
	}
	free(path);
}

static void hash_line(struct strbuf *sb, const char *text, const char *name)
{
	char hex[SHA256_HEX_LEN + 1];
	struct error err;

	sha256_hex(text, strlen(text), hex, &err);
	strbuf_addf(sb, "%s  %s\n", hex, name);
}

/*
 * A snapshot bag directory: one payload file, bag-info.txt naming the series, the sequence and
 * the previous bag's tagmanifest hash. Returns the path; tm_hex gets this bag's tagmanifest hash.
 */
static char *make_snapshot(const char *series, unsigned seq, const char *previous,
                           char tm_hex[SHA256_HEX_LEN + 1])
{
	char *dir = xasprintf("%s/snap-%s-%u", root, series, seq), *sub;
	char *payload = xasprintf("log of snapshot %u\n", seq);
	struct strbuf info = STRBUF_INIT, manifest = STRBUF_INIT, tags = STRBUF_INIT;
	const char *bagit = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
	struct error err;

	mkdir(dir, 0700);
	sub = xasprintf("%s/data", dir);
	mkdir(sub, 0700);
	free(sub);
	write_file(dir, "data/syslog", payload);
	strbuf_addf(&info, "Payload-Oxum: %zu.1\nLogPack-Snapshot-Series: %s\n", strlen(payload),
	            series);
	strbuf_addf(&info, "LogPack-Snapshot-Sequence: %u\n", seq);
	if (previous)
		strbuf_addf(&info, "LogPack-Snapshot-Previous: %s\n", previous);
	hash_line(&manifest, payload, "data/syslog");
	write_file(dir, "bagit.txt", bagit);
	write_file(dir, "bag-info.txt", info.buf);
	write_file(dir, "manifest-sha256.txt", manifest.buf);
	hash_line(&tags, bagit, "bagit.txt");
	hash_line(&tags, info.buf, "bag-info.txt");
	hash_line(&tags, manifest.buf, "manifest-sha256.txt");
	write_file(dir, "tagmanifest-sha256.txt", tags.buf);
	sha256_hex(tags.buf, tags.len, tm_hex, &err);
	strbuf_release(&info);
	strbuf_release(&manifest);
	strbuf_release(&tags);
	free(payload);
	return dir;
}

static int has_problem(const struct chain_report *rep, const char *text)
{
	for (size_t i = 0; i < rep->n_problems; i++)
		if (strstr(rep->problems[i], text))
			return 1;
	return 0;
}

static void show_problems(const struct chain_report *rep)
{
	for (size_t i = 0; i < rep->n_problems; i++)
		printf("#   %s\n", rep->problems[i]);
}

int main(void)
{
	char tm[4][SHA256_HEX_LEN + 1], other[SHA256_HEX_LEN + 1];
	char *bags[4], *forged;
	struct bundle_read_options ropt = {0};
	struct chain_report rep;
	struct error err;
	char *cmd;

	if (mkdtemp(root) == NULL)
		return 1;
	bundle_limits_default(&ropt.limits);
	bags[0] = make_snapshot("s1", 1, NULL, tm[0]);
	bags[1] = make_snapshot("s1", 2, tm[0], tm[1]);
	bags[2] = make_snapshot("s1", 3, tm[1], tm[2]);
	bags[3] = make_snapshot("s1", 4, tm[2], tm[3]);

	{
		/* Given out of order: the chain is taken in sequence order. */
		const char *series[] = {bags[2], bags[0], bags[3], bags[1]};

		ok(chain_verify(series, 4, &ropt, &rep, &err) == 0 && rep.n_problems == 0 &&
		           rep.n_bundles == 4,
		   "a series of four snapshots is whole");
		show_problems(&rep);
		ok(rep.n_bundles == 4 && rep.bundles[0].sequence == 1 &&
		           rep.bundles[3].sequence == 4 && rep.bundles[2].intact &&
		           strcmp(rep.bundles[1].tagmanifest_sha256, tm[1]) == 0,
		   "in sequence order, each intact, with its tagmanifest hash");
		chain_report_free(&rep);
	}
	{
		const char *gap[] = {bags[0], bags[1], bags[3]};

		ok(chain_verify(gap, 3, &ropt, &rep, &err) == 0 &&
		           has_problem(&rep,
		                       "sequence 4 where 3 was expected: a snapshot is missing") &&
		           has_problem(&rep, "does not link to"),
		   "a gap is found: the missing sequence, and the broken link");
		show_problems(&rep);
		chain_report_free(&rep);
	}
	{
		const char *repeat[] = {bags[0], bags[1], bags[1]};

		ok(chain_verify(repeat, 3, &ropt, &rep, &err) == 0 &&
		           has_problem(&rep, "a snapshot appears twice"),
		   "a snapshot given twice is found");
		chain_report_free(&rep);
	}
	{
		/* Sequence 2 replaced by one of another lineage: it names a previous that is not 1.
		 */
		forged = make_snapshot(
		        "s1x", 2,
		        "0000000000000000000000000000000000000000000000000000000000000000", other);
		{
			const char *series[] = {bags[0], forged};

			ok(chain_verify(series, 2, &ropt, &rep, &err) == 0 &&
			           has_problem(&rep, "more than one series") &&
			           has_problem(&rep,
			                       "a snapshot was replaced, removed or reordered"),
			   "a replaced snapshot breaks the link");
			chain_report_free(&rep);
		}
		free(forged);
	}
	{
		const char *first_missing[] = {bags[1], bags[2]};

		ok(chain_verify(first_missing, 2, &ropt, &rep, &err) == 0 &&
		           has_problem(&rep, "sequence 2 where 1 was expected"),
		   "a series that does not start at 1 is found");
		chain_report_free(&rep);
	}
	{
		/* A payload changed after the fact: that bundle is INVALID, so the chain is not
		 * whole. */
		const char *series[] = {bags[0], bags[1]};

		write_file(bags[1], "data/syslog", "rewritten\n");
		ok(chain_verify(series, 2, &ropt, &rep, &err) == 0 && !rep.bundles[1].intact &&
		           rep.n_problems > 0,
		   "a tampered snapshot makes the chain broken");
		chain_report_free(&rep);
	}
	for (int i = 0; i < 4; i++)
		free(bags[i]);
	cmd = xasprintf("rm -rf '%s'", root);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", root);
	free(cmd);
	return tap_done();
}
