/*
 * logpack journal: a journald journal file read without journalctl. export: as journald's
 * export text; verify: its Forward Secure Sealing, with the verification key from a file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/atomic-file.h"
#include "base/exitcode.h"
#include "base/log.h"
#include "base/util.h"
#include "cmd/command.h"
#include "cmd/key-opts.h"
#include "cmd/signals.h"
#include "report/journal-export.h"
#include "report/journal-seal.h"

static int cmd_journal(int argc, char **argv);

const struct command command_journal = {
        .name = "journal",
        .usage = "journal export [-o FILE] JOURNAL-FILE | journal verify --verify-key-file "
                 "KEYFILE JOURNAL-FILE",
        .summary = "turn a journald journal file into journald's export text, or check its "
                   "seal",
        .help = "Options:\n"
                "  -o, --output FILE  export: write the text to FILE (created, never replaced;\n"
                "                     kept only when the whole file was read); default:\n"
                "                     standard output\n"
                "      --verify-key-file KEYFILE  verify: the verification key that\n"
                "                     journalctl --setup-keys printed, in a file of mode 0600\n"
                "                     (or stricter) owned by you; never on the command line\n"
                "  -h, --help         this text\n"
                "\n"
                "The text is what `journalctl --file JOURNAL-FILE -o export` writes, byte for\n"
                "byte, read by logpack itself: a bundle's journal files can be read on a machine\n"
                "without systemd. Fields compressed with zstd are read; XZ and LZ4 are not (an\n"
                "error names them).\n"
                "\n"
                "verify checks every tag of a sealed journal (Forward Secure Sealing) as\n"
                "journalctl --verify --verify-key does, on the receiving machine: the key\n"
                "regenerates every sealing key, so it must never be typed on the sealed host.\n"
                "One line: sealed and verified up to a time, not sealed, or SEAL FAILED naming\n"
                "the first tag that does not match; entries after the last good tag are not\n"
                "covered by a seal.\n"
                "\n"
                "Exit: export: 0 exported, 2 usage, 3 I/O, 4 not a journal file, or a damaged\n"
                "one (the reason and the offset named; on standard output, the entries before\n"
                "it stay written). verify: 0 verified, or not sealed; 7 SEAL FAILED (a tag\n"
                "does not match, a wrong key, or a damaged file); 4 not a journal file; 3 I/O;\n"
                "2 usage, also a key file that is not yours, is readable by others, or is not\n"
                "a key.\n",
        .run = cmd_journal,
};

struct journal_out {
	int fd;
	const char *name;
};

static int write_text(void *ctx, const void *buf, size_t len, struct error *err)
{
	struct journal_out *o = ctx;

	if (write_all(o->fd, buf, len) < 0) {
		error_set(err, "%s: %s", o->name, strerror(errno));
		return -1;
	}
	return 0;
}

/* The input journal file, open: a regular file, never a FIFO planted under its name. */
static int open_journal(const char *input, struct stat *st)
{
	int fd;

	/* O_NONBLOCK: a FIFO planted under the name must not hang the open. */
	if ((fd = open(input, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
		log_error("%s: %s", input, strerror(errno));
		return -1;
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		log_error("%s: %s", input,
		          errno && !S_ISREG(st->st_mode) ? "not a regular file" : strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

enum { OPT_VERIFY_KEY_FILE = 256 };

/* logpack journal verify --verify-key-file KEYFILE JOURNAL-FILE */
static int journal_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"help", no_argument, NULL, 'h'},
	        {"verify-key-file", required_argument, NULL, OPT_VERIFY_KEY_FILE},
	        {NULL, 0, NULL, 0}};
	const char *key_file = NULL, *input;
	struct journal_seal_key *key;
	struct journal_seal_check *check;
	struct journal_seal_result res;
	struct error err;
	struct stat st;
	char *line;
	int c, fd, code;

	optind = 0;
	while ((c = command_getopt(argc, argv, "h", longopts)) != -1) {
		switch (c) {
		case OPT_VERIFY_KEY_FILE:
			key_file = optarg;
			break;
		case 'h':
			command_print_help(&command_journal, stdout);
			return LP_EXIT_OK;
		default:
			return command_option_error(&command_journal);
		}
	}
	if (key_file == NULL)
		return command_usage_error(&command_journal,
		                           "verify needs --verify-key-file KEYFILE");
	if (optind != argc - 1)
		return command_usage_error(&command_journal, "give one journal file");
	input = argv[optind];
	if ((key = key_opts_journal_key(key_file, &err)) == NULL) {
		log_error("%s", err.msg);
		return LP_EXIT_USAGE;
	}
	if ((fd = open_journal(input, &st)) < 0) {
		journal_seal_key_free(key);
		return LP_EXIT_FAILURE;
	}
	check = journal_seal_begin(key);
	for (;;) {
		static unsigned char buf[64 * 1024];
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_error("%s: %s", input, strerror(errno));
			journal_seal_end(check, &res);
			journal_seal_key_free(key);
			close(fd);
			return LP_EXIT_FAILURE;
		}
		if (n == 0)
			break;
		journal_seal_feed(check, buf, (size_t)n);
	}
	close(fd);
	journal_seal_end(check, &res);
	journal_seal_key_free(key);
	line = journal_seal_describe(&res);
	printf("%s: %s\n", input, line);
	free(line);
	code = res.status == JOURNAL_SEAL_FAILED        ? LP_EXIT_ANOMALY
	       : res.status == JOURNAL_SEAL_NOT_JOURNAL ? LP_EXIT_INVALID
	                                                : LP_EXIT_OK;
	return code;
}

static int cmd_journal(int argc, char **argv)
{
	static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
	                                         {"help", no_argument, NULL, 'h'},
	                                         {NULL, 0, NULL, 0}};
	const char *output = NULL, *input;
	struct atomic_file *af = NULL;
	struct journal_export_counts counts;
	struct journal_out o = {STDOUT_FILENO, "standard output"};
	struct error err = {{0}};
	struct journal_fd_reader *reader;
	struct stat st;
	int c, fd, r;

	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		command_print_help(&command_journal, stdout);
		return LP_EXIT_OK;
	}
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return journal_verify(argc - 1, argv + 1);
	if (argc < 2 || strcmp(argv[1], "export") != 0)
		return command_usage_error(&command_journal, "unknown subcommand '%s'",
		                           argc < 2 ? "" : argv[1]);
	argc--;
	argv++;
	optind = 0;
	while ((c = command_getopt(argc, argv, "o:h", longopts)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'h':
			command_print_help(&command_journal, stdout);
			return LP_EXIT_OK;
		default:
			return command_option_error(&command_journal);
		}
	}
	if (optind != argc - 1)
		return command_usage_error(&command_journal, "give one journal file");
	input = argv[optind];
	if ((fd = open_journal(input, &st)) < 0)
		return LP_EXIT_FAILURE;
	if (output) {
		signals_install_file_cleanup();
		if (atomic_file_open(&af, output, 0644, 0, &err) < 0) {
			log_error("%s", err.msg);
			close(fd);
			return LP_EXIT_FAILURE;
		}
		o.fd = atomic_file_fd(af);
		o.name = atomic_file_temp_path(af);
	}
	reader = malloc(sizeof(*reader));
	if (reader == NULL) {
		log_error("out of memory");
		atomic_file_rollback(af);
		close(fd);
		return LP_EXIT_FAILURE;
	}
	journal_fd_reader_init(reader, fd);
	r = journal_export(journal_read_fd, reader, (uint64_t)st.st_size, write_text, &o, &counts,
	                   &err);
	free(reader);
	close(fd);
	if (r < 0) {
		/* A write failure is the output's; anything else is the journal file's. */
		int io = strncmp(err.msg, o.name, strlen(o.name)) == 0;

		log_error("%s: %s%s", io ? "journal export" : input, err.msg,
		          af ? "; nothing written" : "");
		atomic_file_rollback(af);
		return io ? LP_EXIT_FAILURE : LP_EXIT_INVALID;
	}
	if (af && atomic_file_commit(af, &err) < 0) {
		log_error("%s", err.msg);
		return LP_EXIT_FAILURE;
	}
	log_verbose("%s: %llu entries, %llu fields (%llu binary)", input,
	            (unsigned long long)counts.entries, (unsigned long long)counts.fields,
	            (unsigned long long)counts.binary);
	return LP_EXIT_OK;
}
