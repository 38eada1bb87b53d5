/* The exit codes of every command; documented in README.md and logpack(1). */
#ifndef LOGPACK_EXITCODE_H
#define LOGPACK_EXITCODE_H

enum lp_exit {
	LP_EXIT_OK = 0,         /* success; verify/extract: the bundle meets --require */
	LP_EXIT_PARTIAL = 1,    /* the work finished, but some sources could not be read */
	LP_EXIT_USAGE = 2,      /* wrong command, option or argument */
	LP_EXIT_FAILURE = 3,    /* could not do the work: I/O, configuration, space, network */
	LP_EXIT_INVALID = 4,    /* verify/extract: a bundle is INVALID */
	LP_EXIT_UNTRUSTED = 5,  /* verify: signed, not trusted; trusted was required */
	LP_EXIT_UNSIGNED = 6,   /* verify: valid, unsigned; signed or trusted was required */
	LP_EXIT_ANOMALY = 7,    /* snapshot, verify --chain: anomalies found in the logs */
	LP_EXIT_INCOMPLETE = 8, /* verify/extract: a bag with files still to fetch (fetch.txt) */
	LP_EXIT_UNCHECKED = 9,  /* verify/extract: a stream that could not be checked in one pass */
	LP_EXIT_INTERRUPTED =
	        130 /* stopped by SIGINT or SIGTERM; nothing left under a final name */
};

#endif
