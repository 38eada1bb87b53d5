/* logpack extract: verify a bundle, then unpack it safely into a directory. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "base/exitcode.h"
#include "base/log.h"
#include "bundle/bundle-read.h"
#include "bundle/verdict.h"
#include "cmd/cmd-chain.h"
#include "cmd/command.h"
#include "trust/sign.h"

static int cmd_extract(int argc, char **argv);

const struct command command_extract = {
        .name = "extract",
        .usage = "extract [--force] [--trust FILE|DIR] BUNDLE DIR | --chain BUNDLE|DIR... DIR",
        .summary = "verify a bundle, then unpack it safely into a directory",
        .help = "Options:\n"
                "      --chain            rebuild the files of a series of snapshots from their\n"
                "                         segments (each at its latest path; content later\n"
                "                         wiped beside it as PATH.~ID~), after verifying every\n"
                "                         bundle and the chain; nothing unless both are whole\n"
                "  -f, --force            extract even an INVALID bundle (still never outside "
                "DIR,\n"
                "                         never over an existing file, never a link or device)\n"
                "  -t, --trust FILE|DIR   trusted signers, as for verify\n"
                "      --max-members N    as for verify\n"
                "      --max-size SIZE    as for verify\n"
                "      --max-ratio N      as for verify\n"
                "  -h, --help             this text\n"
                "\n"
                "DIR is created (mode 0700) if needed; the bag lands in DIR/<bag name>. Extracted\n"
                "files are private to you (mode 0600), their times are restored, their owners "
                "not.\n"
                "\n"
                "Exit: as verify (0 trusted, 5 NOT trusted, 6 unsigned) once extracted; 4 INVALID\n"
                "(nothing extracted unless --force); 3 a file could not be written.\n",
        .run = cmd_extract,
};

enum { OPT_MAX_MEMBERS = 256, OPT_MAX_RATIO, OPT_MAX_SIZE, OPT_CHAIN };

struct extract_cli {
	const char *bundle;
	const char *dir;
	const char *trust_path;
	int force;
	int chain;
	struct bundle_limits limits;
};

/* Is this entry one we would ever write: a regular file or directory with a safe name? */
static const char *entry_refused(struct archive_entry *ae)
{
	const char *name = archive_entry_pathname(ae);
	const char *why;

	if (name == NULL)
		return "unreadable name";
	if ((why = bundle_name_unsafe(name)) != NULL)
		return why;
	if (archive_entry_hardlink(ae) || archive_entry_symlink(ae))
		return "is a link";
	if (archive_entry_filetype(ae) != AE_IFREG && archive_entry_filetype(ae) != AE_IFDIR)
		return "is not a regular file or directory";
	return NULL;
}

/*
 * The second pass: read the bundle from fd and write it under the current directory (DIR).
 * Returns the number of members that could not be written, or -1 when the bundle could not
 * be read.
 */
static long extract_members(int fd, const struct extract_cli *cli, char **top_out, long *skipped)
{
	const int flags = ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
	                  ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_NO_OVERWRITE |
	                  ARCHIVE_EXTRACT_TIME;
	struct archive *in = archive_read_new(), *out = archive_write_disk_new();
	struct archive_entry *ae;
	uint64_t members = 0, bytes = 0;
	struct stat st;
	char *shown = NULL;
	long failed = 0;
	int rc;

	if (in == NULL || out == NULL)
		abort();
	archive_read_support_filter_all(in);
	archive_read_support_format_tar(in);
	archive_write_disk_set_options(out, flags);
	if (archive_read_open_fd(in, fd, 65536) != ARCHIVE_OK) {
		log_error("%s: %s", cli->bundle, archive_error_string(in));
		failed = -1;
		goto out;
	}
	while ((rc = archive_read_next_header(in, &ae)) != ARCHIVE_EOF) {
		const char *why, *name;

		if (rc < ARCHIVE_WARN) {
			log_error("%s: %s", cli->bundle, archive_error_string(in));
			failed++;
			break;
		}
		/* Write names as the UTF-8 bytes the bundle holds, whatever the locale. */
		if (archive_entry_pathname_utf8(ae))
			archive_entry_copy_pathname(ae, archive_entry_pathname_utf8(ae));
		name = archive_entry_pathname(ae);
		free(shown);
		shown = bundle_printable_name(name ? name : "?");
		if (++members > cli->limits.max_members) {
			log_error("%s: more than %llu members: stopped", cli->bundle,
			          (unsigned long long)cli->limits.max_members);
			failed++;
			break;
		}
		if ((why = entry_refused(ae)) != NULL) {
			log_warn("not extracted: '%s' %s", shown, why);
			(*skipped)++;
			continue;
		}
		if (*top_out == NULL) {
			const char *n = name;

			while (n[0] == '.' && n[1] == '/')
				n += 2;
			*top_out = xstrndup(n, strcspn(n, "/"));
		}
		/* libarchive's NO_OVERWRITE skips an existing file silently; say so instead. */
		if (archive_entry_filetype(ae) == AE_IFREG && lstat(name, &st) == 0) {
			log_warn("not extracted: '%s' already exists (never overwritten)", shown);
			failed++;
			continue;
		}
		archive_entry_set_perm(ae, archive_entry_filetype(ae) == AE_IFDIR ? 0700 : 0600);
		if (archive_write_header(out, ae) != ARCHIVE_OK) {
			log_warn("not extracted: '%s': %s", shown, archive_error_string(out));
			failed++;
			continue;
		}
		for (;;) {
			const void *buf;
			size_t len;
			la_int64_t offset;

			rc = archive_read_data_block(in, &buf, &len, &offset);
			if (rc == ARCHIVE_EOF)
				break;
			if (rc < ARCHIVE_WARN) {
				log_error("%s: %s", cli->bundle, archive_error_string(in));
				failed++;
				goto out;
			}
			bytes += len;
			if (bytes > cli->limits.max_size) {
				log_error("%s: more content than --max-size: stopped", cli->bundle);
				failed++;
				goto out;
			}
			/* As in verify: with --force, a decompression bomb must not fill the disk.
			 */
			if (bytes > 64ULL * 1024 * 1024 && archive_filter_bytes(in, -1) > 0 &&
			    bytes / (uint64_t)archive_filter_bytes(in, -1) >
			            cli->limits.max_ratio) {
				log_error("%s: compression ratio above %llu: stopped", cli->bundle,
				          (unsigned long long)cli->limits.max_ratio);
				failed++;
				goto out;
			}
			if (archive_write_data_block(out, buf, len, offset) < ARCHIVE_WARN) {
				log_warn("'%s': %s", shown, archive_error_string(out));
				failed++;
				break;
			}
		}
		if (archive_write_finish_entry(out) < ARCHIVE_WARN) {
			log_warn("'%s': %s", shown, archive_error_string(out));
			failed++;
		}
	}
out:
	if (archive_write_close(out) != ARCHIVE_OK) {
		log_warn("%s", archive_error_string(out));
		failed++;
	}
	archive_write_free(out);
	archive_read_free(in);
	free(shown);
	return failed;
}

static int cmd_extract(int argc, char **argv)
{
	static const struct option options[] = {
	        {"chain", no_argument, NULL, OPT_CHAIN},
	        {"force", no_argument, NULL, 'f'},
	        {"help", no_argument, NULL, 'h'},
	        {"max-members", required_argument, NULL, OPT_MAX_MEMBERS},
	        {"max-ratio", required_argument, NULL, OPT_MAX_RATIO},
	        {"max-size", required_argument, NULL, OPT_MAX_SIZE},
	        {"trust", required_argument, NULL, 't'},
	        {NULL, 0, NULL, 0},
	};
	struct extract_cli cli = {0};
	struct bundle_read_options ropt = {0};
	struct trust_store *trust = NULL;
	struct bundle_report rep = {0};
	struct stat st_fd, st_path;
	char *line = NULL, *top = NULL;
	struct error err;
	int c, fd = -1, rc = LP_EXIT_FAILURE, have_rep = 0;
	long failed, skipped = 0;

	bundle_limits_default(&cli.limits);
	while ((c = command_getopt(argc, argv, "fht:", options)) != -1) {
		switch (c) {
		case OPT_CHAIN:
			cli.chain = 1;
			break;
		case 'f':
			cli.force = 1;
			break;
		case 'h':
			command_print_help(&command_extract, stdout);
			return LP_EXIT_OK;
		case 't':
			cli.trust_path = optarg;
			break;
		case OPT_MAX_MEMBERS:
			if (verdict_parse_limit("--max-members", optarg, 0,
			                        &cli.limits.max_members))
				return command_usage_error(&command_extract,
				                           "--max-members: not a count: '%s'",
				                           optarg);
			break;
		case OPT_MAX_RATIO:
			if (verdict_parse_limit("--max-ratio", optarg, 0, &cli.limits.max_ratio))
				return command_usage_error(&command_extract,
				                           "--max-ratio: not a number: '%s'",
				                           optarg);
			break;
		case OPT_MAX_SIZE:
			if (verdict_parse_limit("--max-size", optarg, 1, &cli.limits.max_size))
				return command_usage_error(&command_extract,
				                           "--max-size: not a size: '%s'", optarg);
			break;
		default:
			return command_option_error(&command_extract);
		}
	}
	if (cli.chain) {
		if (cli.force)
			return command_usage_error(
			        &command_extract,
			        "--chain rebuilds only from a whole, valid series: "
			        "no --force");
		if (argc - optind < 2)
			return command_usage_error(&command_extract, "need bundles and a DIR");
		if (cli.trust_path && trust_store_load(&trust, cli.trust_path, &err) < 0) {
			log_error("--trust %s", err.msg);
			return LP_EXIT_FAILURE;
		}
		ropt.limits = cli.limits;
		ropt.trust = trust;
		rc = chain_cmd_extract((const char *const *)argv + optind,
		                       (size_t)(argc - optind - 1), &ropt, argv[argc - 1], 0);
		trust_store_free(trust);
		return rc;
	}
	if (argc - optind != 2)
		return command_usage_error(&command_extract, "need a BUNDLE and a DIR");
	cli.bundle = argv[optind];
	cli.dir = argv[optind + 1];
	if (cli.trust_path && trust_store_load(&trust, cli.trust_path, &err) < 0) {
		log_error("--trust %s", err.msg);
		return LP_EXIT_FAILURE;
	}
	/* Open once; the extraction reads this same file, checked to be the one verified. */
	fd = open(cli.bundle, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st_fd) < 0) {
		log_error("%s: %s", cli.bundle, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st_fd.st_mode)) {
		log_error("%s: not a bundle file (a bag directory needs no extracting)",
		          cli.bundle);
		goto out;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	ropt.limits = cli.limits;
	ropt.trust = trust;
	/* Verify through fd: a path can be renamed over between two opens. */
	if (bundle_read_open_file(fd, cli.bundle, &ropt, &rep, &err) < 0) {
		log_error("%s", err.msg);
		goto out;
	}
	have_rep = 1;
	line = verdict_line(&rep);
	if (rep.outcome == BUNDLE_INVALID && !cli.force) {
		log_error("%s: %s", cli.bundle, line);
		log_error("refusing to extract an INVALID bundle (--force extracts it anyway)");
		rc = LP_EXIT_INVALID;
		goto out;
	}
	if (rep.outcome == BUNDLE_INVALID)
		log_warn("%s: %s; extracting anyway (--force)", cli.bundle, line);
	else
		log_info("%s: %s", cli.bundle, line);
	if (fstat(fd, &st_path) < 0 || st_path.st_size != st_fd.st_size ||
	    st_path.st_mtim.tv_sec != st_fd.st_mtim.tv_sec ||
	    st_path.st_mtim.tv_nsec != st_fd.st_mtim.tv_nsec ||
	    st_path.st_ctim.tv_sec != st_fd.st_ctim.tv_sec ||
	    st_path.st_ctim.tv_nsec != st_fd.st_ctim.tv_nsec || lseek(fd, 0, SEEK_SET) != 0) {
		log_error("%s changed while it was being verified", cli.bundle);
		goto out;
	}
	if (mkdir(cli.dir, 0700) < 0 && errno != EEXIST) {
		log_error("%s: %s", cli.dir, strerror(errno));
		goto out;
	}
	/* libarchive writes relative to the current directory; the secure flags keep it there. */
	if (chdir(cli.dir) < 0) {
		log_error("%s: %s", cli.dir, strerror(errno));
		goto out;
	}
	umask(077);
	failed = extract_members(fd, &cli, &top, &skipped);
	if (failed != 0) {
		log_error("%s: %ld members could not be extracted into %s", cli.bundle,
		          failed < 0 ? 0 : failed, cli.dir);
		/* A forced INVALID bundle stays INVALID, the worst outcome. */
		rc = rep.outcome == BUNDLE_INVALID ? LP_EXIT_INVALID : LP_EXIT_FAILURE;
		goto out;
	}
	{
		/* The bag's name comes from the bundle: escaped, as everywhere else. */
		char *shown_top = bundle_printable_name(top ? top : "");

		printf("%s/%s\n", cli.dir, shown_top);
		free(shown_top);
	}
	rc = verdict_exit(rep.outcome);
out:
	if (fd >= 0)
		close(fd);
	if (have_rep)
		bundle_report_free(&rep);
	free(line);
	free(top);
	trust_store_free(trust);
	return rc;
}
