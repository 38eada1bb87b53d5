/* The age encryptor behind the sink's filter interface. */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>

#include "bundle/sink-encrypt.h"
#include "trust/age.h"

struct age_filter {
	struct sink_filter base;
	struct age_encryptor *enc;
};

static int age_filter_output(void *ctx, const void *buf, size_t len, struct error *err)
{
	return sink_filter_pass(ctx, buf, len, err);
}

static int age_filter_write(struct sink_filter *f, const void *buf, size_t len, struct error *err)
{
	return age_encryptor_write(((struct age_filter *)f)->enc, buf, len, err);
}

static int age_filter_finish(struct sink_filter *f, struct error *err)
{
	return age_encryptor_finish(((struct age_filter *)f)->enc, err);
}

static void age_filter_free(struct sink_filter *f)
{
	age_encryptor_free(((struct age_filter *)f)->enc);
	free(f);
}

int sink_encrypt_filter_new(const struct recipients *r, struct sink_filter **out, struct error *err)
{
	struct age_filter *af = xcalloc(1, sizeof(*af));

	*out = NULL;
	af->base.write = age_filter_write;
	af->base.finish = age_filter_finish;
	af->base.free = age_filter_free;
	/* The encryptor passes its output to the filter's next stage, which the sink sets later. */
	if (age_encryptor_new(&af->enc, r->age, r->n_age, age_filter_output, &af->base, err) < 0) {
		free(af);
		return -1;
	}
	*out = &af->base;
	return 0;
}
