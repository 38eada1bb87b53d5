/*
 * Drives the chain commands for the tests, as `verify --chain` and `extract --chain` will:
 *   chain-tool verify [--json] BUNDLE|DIR...
 *   chain-tool extract [--json] DIR BUNDLE|DIR...
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cmd-chain.h"
#include "exitcode.h"

int main(int argc, char **argv)
{
	int json = 0, i = 2;

	if (argc > 2 && strcmp(argv[2], "--json") == 0) {
		json = 1;
		i++;
	}
	if (argc > i && strcmp(argv[1], "verify") == 0)
		return chain_cmd_verify((const char *const *)argv + i, (size_t)(argc - i), json);
	if (argc > i + 1 && strcmp(argv[1], "extract") == 0)
		return chain_cmd_extract((const char *const *)argv + i + 1, (size_t)(argc - i - 1),
		                         argv[i], json);
	fprintf(stderr, "usage: chain-tool verify|extract [--json] [DIR] BUNDLE...\n");
	return LP_EXIT_USAGE;
}
