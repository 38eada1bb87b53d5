/* verify of a label beside encrypted files: the label's signature, the files' sizes and hashes. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/exitcode.h"
#include "base/log.h"
#include "base/printable.h"
#include "bundle/label.h"
#include "bundle/verdict.h"
#include "cmd/verify-label.h"

/* The line for an examined label: what it proves, and what it cannot. */
static char *label_line(const char *shown, const struct label_report *rep)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s: ", shown);
	if (rep->n_problems) {
		strbuf_addstr(&sb, "label INVALID:");
		for (size_t i = 0; i < rep->n_problems; i++)
			strbuf_addf(&sb, "%s %s", i ? ";" : "", rep->problems[i]);
		return strbuf_detach(&sb);
	}
	strbuf_addf(&sb, "label intact, signed by %s, %s%s%s; %zu encrypted file%s intact",
	            rep->sig.subject ? rep->sig.subject : "?",
	            rep->sig.trusted ? "trusted" : "NOT trusted",
	            !rep->sig.trusted && rep->sig.trust_reason ? ": " : "",
	            !rep->sig.trusted && rep->sig.trust_reason ? rep->sig.trust_reason : "",
	            rep->n_files_intact, rep->n_files_intact == 1 ? "" : "s");
	if (rep->tlp)
		strbuf_addf(&sb, "; %s", rep->tlp);
	if (rep->case_ref)
		strbuf_addf(&sb, "; case %s", rep->case_ref);
	strbuf_addstr(&sb, "; encrypted to ");
	if (rep->n_recipients == 0)
		strbuf_addstr(&sb, "(not disclosed)");
	for (size_t i = 0; i < rep->n_recipients; i++)
		strbuf_addf(&sb, "%s%s", i ? ", " : "", rep->recipients[i]);
	strbuf_addstr(&sb, "; contents not verifiable");
	return strbuf_detach(&sb);
}

static json_t *label_doc(const char *path, const struct label_report *rep, int code)
{
	json_t *o = json_object(), *problems = json_array(), *to = json_array();

	for (size_t i = 0; i < rep->n_problems; i++)
		json_array_append_new(problems, json_string(rep->problems[i]));
	for (size_t i = 0; i < rep->n_recipients; i++)
		json_array_append_new(to, json_string(rep->recipients[i]));
	json_object_set_new(o, "label", json_string(path));
	json_object_set_new(o, "outcome",
	                    json_string(rep->n_problems ? "label-invalid" : "label-intact"));
	json_object_set_new(o, "problems", problems);
	json_object_set_new(o, "signer",
	                    rep->sig.subject ? json_string(rep->sig.subject) : json_null());
	json_object_set_new(o, "trusted", json_boolean(rep->sig.trusted));
	json_object_set_new(o, "files_intact", json_integer((json_int_t)rep->n_files_intact));
	json_object_set_new(o, "tlp", rep->tlp ? json_string(rep->tlp) : json_null());
	json_object_set_new(o, "case", rep->case_ref ? json_string(rep->case_ref) : json_null());
	json_object_set_new(o, "encrypted_to", to);
	json_object_set_new(o, "contents_verified", json_false());
	json_object_set_new(o, "exit_code", json_integer(code));
	return o;
}

int verify_labels(const char *const *args, size_t n, const struct trust_store *trust, int have_key,
                  json_t *jlist, const char ***rest, size_t *n_rest)
{
	int code = LP_EXIT_OK;

	*rest = xcalloc(n + 1, sizeof(**rest));
	*n_rest = 0;
	for (size_t i = 0; i < n; i++) {
		/* With a key, an encrypted file is decrypted and judged; only a label is a label.
		 */
		char *label = have_key && !str_has_suffix(args[i], ".label.json")
		                      ? NULL
		                      : label_find(args[i]);
		char *shown, *line;
		struct label_report rep;
		struct error err = {{0}};
		int one;

		if (label == NULL) {
			(*rest)[(*n_rest)++] = args[i];
			continue;
		}
		shown = printable(args[i]);
		if (label_check(label, trust, &rep, &err) < 0) {
			log_error("%s", err.msg);
			one = LP_EXIT_FAILURE;
		} else {
			one = rep.n_problems ? LP_EXIT_INVALID : LP_EXIT_UNCHECKED;
			if (jlist) {
				json_array_append_new(jlist, label_doc(label, &rep, one));
			} else {
				line = label_line(shown, &rep);
				printf("%s\n", line);
				free(line);
			}
		}
		code = verdict_worst_exit(code, one);
		label_report_free(&rep);
		free(shown);
		free(label);
	}
	return code;
}
