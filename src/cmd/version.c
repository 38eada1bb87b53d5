/* The version text, and the OpenSSL initialisation that must precede every other use of it. */
#include "config.h"

#include <archive.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <stdio.h>
#include <yaml.h>
#include <zlib.h>
#include <zstd.h>

#include "cmd/version.h"

int crypto_init_no_config(void)
{
	char buf[256];

	/* The first initialisation decides: later ones (libcurl's asks for the config) find
	 * the configuration step already done and load nothing. */
	if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1) {
		ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
		fprintf(stderr, "logpack: cannot initialise OpenSSL: %s\n", buf);
		return -1;
	}
	return 0;
}

void version_print(FILE *fp, int verbose)
{
	fprintf(fp, "logpack %s\n", PACKAGE_VERSION);
	if (!verbose)
		return;
#ifdef LOGPACK_STATIC_BINARY
	fprintf(fp, "static binary for %s, libraries built from Debian source packages:\n%s",
	        LOGPACK_STATIC_TARGET, LOGPACK_STATIC_VERSIONS);
	fprintf(fp, "profiles: built in; CA certificates: none built in, give --cacert\n");
#endif
	fprintf(fp, "libarchive: %s\n", archive_version_details());
	fprintf(fp, "OpenSSL: %s\n", OpenSSL_version(OPENSSL_VERSION));
	fprintf(fp, "zlib: %s\n", zlibVersion());
	fprintf(fp, "libzstd: %s\n", ZSTD_versionString());
	fprintf(fp, "libcurl: %s\n", curl_version());
	fprintf(fp, "jansson: %s\n", jansson_version_str());
	fprintf(fp, "libyaml: %s\n", yaml_get_version_string());
}
