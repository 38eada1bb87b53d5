/* Encryption options of the commands that write bundles. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "bundle/bundle-encrypt.h"
#include "bundle/label.h"
#include "bundle/sink-encrypt.h"
#include "cmd/encrypt-opts.h"
#include "report/incident.h"
#include "trust/sign.h"

int encrypt_opts_option(struct recipients *r, int c, const char *arg, struct error *err)
{
	switch (c) {
	case ENCRYPT_OPT_TO:
		return recipients_add(r, arg, err) < 0 ? -1 : 0;
	case ENCRYPT_OPT_KEEP_NAME:
		r->keep_name = 1;
		return 0;
	default:
		return 1;
	}
}

static int make_filter(void *ctx, struct sink_filter **out, struct error *err)
{
	return sink_encrypt_filter_new(ctx, out, err);
}

void encrypt_opts_record(struct recipients *r, struct collect_options *opt)
{
	struct collect_info_field *fields;
	size_t n;

	if (!recipients_any(r) || r->record_fields)
		return;
	recipients_record(r);
	n = opt->n_extra_info + r->n_record_values;
	fields = xcalloc(n, sizeof(*fields));
	if (opt->n_extra_info)
		memcpy(fields, opt->extra_info, opt->n_extra_info * sizeof(*fields));
	for (size_t i = 0; i < r->n_record_values; i++) {
		fields[opt->n_extra_info + i].key = "LogPack-Encrypted-To";
		fields[opt->n_extra_info + i].value = r->record_values[i];
	}
	r->record_fields = fields;
	opt->extra_info = fields;
	opt->n_extra_info = n;
}

int encrypt_opts_apply(struct recipients *r, struct collect_options *opt, struct error *err)
{
	if (!recipients_any(r)) {
		if (r->keep_name) {
			error_set(err, "--keep-name needs --encrypt-to");
			return -1;
		}
		return 0;
	}
	if (recipients_check(r, err) < 0)
		return -1;
	opt->make_filter = make_filter;
	opt->filter_ctx = r;
	opt->filter_suffix = recipients_suffix(r);
	opt->keep_name = r->keep_name;
	return 0;
}

int encrypt_opts_label_option(struct encrypt_label *l, int c, const char *arg, struct error *err)
{
	switch (c) {
	case ENCRYPT_OPT_LABEL:
		l->wanted = 1;
		return 0;
	case ENCRYPT_OPT_LABEL_CASE:
		l->case_ref = arg;
		return 0;
	case ENCRYPT_OPT_LABEL_RECIPIENTS:
		l->recipients = 1;
		return 0;
	case ENCRYPT_OPT_LABEL_TLP:
		if ((l->tlp = incident_tlp_label(arg)) == NULL) {
			error_set(
			        err,
			        "--label-tlp: '%s' is not CLEAR, GREEN, AMBER, AMBER+STRICT or RED",
			        arg);
			return -1;
		}
		return 0;
	default:
		return 1;
	}
}

int encrypt_opts_label_check(const struct encrypt_label *l, const struct recipients *r,
                             struct error *err)
{
	if (!l->wanted && (l->tlp || l->case_ref || l->recipients)) {
		error_set(err,
		          "--label-tlp, --label-case and --label-recipients go into the label: "
		          "add --label");
		return -1;
	}
	if (l->wanted && !recipients_any(r)) {
		error_set(err, "--label labels encrypted files: it needs --encrypt-to");
		return -1;
	}
	return 0;
}

int encrypt_opts_write_label(const struct encrypt_label *l, struct recipients *r,
                             const char *main_path, struct signer *signer, char **label_path,
                             struct error *err)
{
	struct label_options lo = {.tlp = l->tlp, .case_ref = l->case_ref};
	char **files = NULL;
	size_t n_files = 0;
	int rc;

	*label_path = label_path_for(main_path, recipients_suffix(r));
	if (l->recipients) {
		recipients_record(r);
		lo.recipients = r->record_values;
		lo.n_recipients = r->n_record_values;
	}
	bundle_encrypted_files(r, main_path, &files, &n_files);
	rc = label_write(*label_path, files, n_files, &lo, signer_sign, signer, err);
	for (size_t i = 0; i < n_files; i++)
		free(files[i]);
	free(files);
	return rc;
}
