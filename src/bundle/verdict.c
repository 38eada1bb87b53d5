/* The outcome of a bundle as verify, show and extract report it: lines, JSON, exit codes. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/exitcode.h"
#include "bundle/bundle-read.h"
#include "bundle/names.h"
#include "bundle/verdict.h"
#include "trust/sign.h"

int verdict_worst_exit(int a, int b)
{
	/* Worst first. */
	static const int order[] = {LP_EXIT_INVALID,    LP_EXIT_FAILURE, LP_EXIT_UNCHECKED,
	                            LP_EXIT_INCOMPLETE, LP_EXIT_ANOMALY, LP_EXIT_UNTRUSTED,
	                            LP_EXIT_UNSIGNED,   LP_EXIT_OK};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (a == order[i] || b == order[i])
			return order[i];
	return a > b ? a : b;
}

int verdict_parse_require(const char *arg, enum verdict_require *out)
{
	if (strcmp(arg, "trusted") == 0)
		*out = VERDICT_REQUIRE_TRUSTED;
	else if (strcmp(arg, "signed") == 0)
		*out = VERDICT_REQUIRE_SIGNED;
	else if (strcmp(arg, "valid") == 0)
		*out = VERDICT_REQUIRE_VALID;
	else
		return -1;
	return 0;
}

enum verdict_require verdict_default_require(int have_trust)
{
	return have_trust ? VERDICT_REQUIRE_TRUSTED : VERDICT_REQUIRE_VALID;
}

int verdict_exit(enum bundle_outcome o, enum verdict_require req)
{
	switch (o) {
	case BUNDLE_VALID_TRUSTED:
		return LP_EXIT_OK;
	case BUNDLE_VALID_UNTRUSTED:
		return req == VERDICT_REQUIRE_TRUSTED ? LP_EXIT_UNTRUSTED : LP_EXIT_OK;
	case BUNDLE_VALID_UNSIGNED:
		return req == VERDICT_REQUIRE_VALID ? LP_EXIT_OK : LP_EXIT_UNSIGNED;
	case BUNDLE_INCOMPLETE:
		return LP_EXIT_INCOMPLETE;
	case BUNDLE_UNCHECKED:
		return LP_EXIT_UNCHECKED;
	case BUNDLE_INVALID:
		break;
	}
	return LP_EXIT_INVALID;
}

/* Notes on the signer's certificate, for a valid signed bundle ("certificate expired ..."). */
static void cert_notes(const struct sign_check *sig, struct strbuf *sb)
{
	char when[32];

	if (sig->expired)
		strbuf_addf(sb, "; certificate expired %s",
		            format_iso8601(sig->not_after, when, sizeof(when)));
	if (sig->not_yet_valid)
		strbuf_addstr(sb, "; certificate not yet valid");
}

char *verdict_line(const struct bundle_report *rep)
{
	struct strbuf sb = STRBUF_INIT;

	switch (rep->outcome) {
	case BUNDLE_VALID_TRUSTED:
		strbuf_addf(&sb, "valid, signed by %s, trusted", rep->sig.subject);
		cert_notes(&rep->sig, &sb);
		break;
	case BUNDLE_VALID_UNTRUSTED:
		strbuf_addf(&sb, "valid, signed by %s, NOT trusted (%s", rep->sig.subject,
		            rep->sig.trust_reason ? rep->sig.trust_reason : "unknown signer");
		cert_notes(&rep->sig, &sb);
		strbuf_addch(&sb, ')');
		break;
	case BUNDLE_VALID_UNSIGNED:
		strbuf_addstr(&sb, "valid, unsigned");
		break;
	case BUNDLE_INCOMPLETE:
		strbuf_addf(&sb, "incomplete (%llu files to fetch, as fetch.txt lists)",
		            (unsigned long long)rep->files_to_fetch);
		break;
	case BUNDLE_UNCHECKED:
		strbuf_addf(&sb,
		            "could not check %llu files: a manifest comes after them in a stream "
		            "that cannot be read twice (verify the file, or the extracted bag)",
		            (unsigned long long)rep->files_unchecked);
		break;
	case BUNDLE_INVALID:
		strbuf_addstr(&sb, "INVALID: ");
		for (size_t i = 0; i < rep->n_problems; i++)
			strbuf_addf(&sb, "%s%s", i ? "; " : "", rep->problems[i]);
		if (rep->n_problems_total > rep->n_problems)
			strbuf_addf(&sb, "; and %zu more problems",
			            rep->n_problems_total - rep->n_problems);
		break;
	}
	for (size_t i = 0; i < rep->n_warnings; i++)
		strbuf_addf(&sb, "; warning: %s", rep->warnings[i]);
	return strbuf_detach(&sb);
}

static const char *outcome_name(enum bundle_outcome o)
{
	switch (o) {
	case BUNDLE_VALID_TRUSTED:
		return "trusted";
	case BUNDLE_VALID_UNTRUSTED:
		return "untrusted";
	case BUNDLE_VALID_UNSIGNED:
		return "unsigned";
	case BUNDLE_INCOMPLETE:
		return "incomplete";
	case BUNDLE_UNCHECKED:
		return "unchecked";
	case BUNDLE_INVALID:
		break;
	}
	return "invalid";
}

json_t *verdict_json(const char *path, const struct bundle_report *rep, enum verdict_require req)
{
	json_t *o = json_object(), *problems = json_array(), *warnings = json_array();
	char when[32];

	json_object_set_new(o, "path", json_string(path));
	json_object_set_new(o, "outcome", json_string(outcome_name(rep->outcome)));
	json_object_set_new(o, "exit_code", json_integer(verdict_exit(rep->outcome, req)));
	if (rep->top_dir) {
		json_object_set_new(o, "bag", bundle_json_text(rep->top_dir));
	} else {
		json_object_set_new(o, "bag", json_null());
	}
	json_object_set_new(o, "signed", json_boolean(rep->is_signed));
	if (rep->is_signed && rep->sig.subject) {
		json_t *s = json_object();

		json_object_set_new(s, "subject", json_string(rep->sig.subject));
		json_object_set_new(s, "issuer",
		                    rep->sig.issuer ? json_string(rep->sig.issuer) : json_null());
		json_object_set_new(s, "signature_ok", json_boolean(rep->sig.signature_ok));
		/* Trusted is a verdict on the whole bundle, never on a signature alone. */
		json_object_set_new(s, "trusted",
		                    json_boolean(rep->outcome == BUNDLE_VALID_TRUSTED));
		/* The subject of a bundle that fails is what it claims, nothing more. */
		json_object_set_new(s, "claimed", json_boolean(rep->outcome == BUNDLE_INVALID));
		json_object_set_new(s, "trust_reason",
		                    rep->sig.trust_reason ? json_string(rep->sig.trust_reason)
		                                          : json_null());
		json_object_set_new(s, "signing_time",
		                    rep->sig.signing_time
		                            ? json_string(format_iso8601(rep->sig.signing_time,
		                                                         when, sizeof(when)))
		                            : json_null());
		json_object_set_new(
		        s, "not_after",
		        json_string(format_iso8601(rep->sig.not_after, when, sizeof(when))));
		json_object_set_new(s, "expired", json_boolean(rep->sig.expired));
		json_object_set_new(o, "signer", s);
	}
	if (rep->cipher) {
		json_t *e = json_object();

		json_object_set_new(e, "cipher", json_string(rep->cipher));
		json_object_set_new(e, "decrypted_with",
		                    rep->decrypted_with ? json_string(rep->decrypted_with)
		                                        : json_null());
		/* Whether bag-info.txt names that key: false is a re-addressed bundle. */
		json_object_set_new(e, "among_recipients",
		                    rep->among_recipients < 0
		                            ? json_null()
		                            : json_boolean(rep->among_recipients));
		json_object_set_new(o, "encryption", e);
	}
	for (size_t i = 0; i < rep->n_problems; i++)
		json_array_append_new(problems, json_string(rep->problems[i]));
	json_object_set_new(o, "problems", problems);
	for (size_t i = 0; i < rep->n_warnings; i++)
		json_array_append_new(warnings, json_string(rep->warnings[i]));
	json_object_set_new(o, "warnings", warnings);
	json_object_set_new(o, "problems_total", json_integer((json_int_t)rep->n_problems_total));
	json_object_set_new(o, "members", json_integer((json_int_t)rep->members));
	json_object_set_new(o, "payload_files", json_integer((json_int_t)rep->payload_files));
	json_object_set_new(o, "payload_bytes", json_integer((json_int_t)rep->payload_bytes));
	json_object_set_new(o, "files_to_fetch", json_integer((json_int_t)rep->files_to_fetch));
	json_object_set_new(o, "files_unchecked", json_integer((json_int_t)rep->files_unchecked));
	json_object_set_new(o, "tagmanifest_sha256",
	                    rep->tagmanifest_sha256 ? json_string(rep->tagmanifest_sha256)
	                                            : json_null());
	return o;
}

int verdict_parse_limit(const char *opt, const char *arg, int is_size, uint64_t *out)
{
	char *end;

	if (is_size)
		return parse_size(arg, out) == 0 && *out > 0 ? 0 : -1;
	if (arg[0] < '0' || arg[0] > '9')
		return -1;
	*out = strtoull(arg, &end, 10);
	(void)opt;
	return *end == '\0' && *out > 0 ? 0 : -1;
}
