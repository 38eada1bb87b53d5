/* Showing a collection on the terminal as it runs. */
#include "config.h"

#include "base/log.h"
#include "cmd/collect-terminal.h"

struct terminal {
	struct progress progress;
	int allowed; /* co->progress */
};

static void on_note(void *ctx, enum collect_note kind, const char *text)
{
	(void)ctx;
	if (kind == COLLECT_NOTE_WARNING)
		log_warn("%s", text);
	else
		log_verbose("%s", text);
}

static void on_progress(void *ctx, enum collect_progress_phase phase, uint64_t items,
                        uint64_t bytes)
{
	struct terminal *t = ctx;

	switch (phase) {
	case COLLECT_PROGRESS_BEGIN:
		progress_start(&t->progress, "collecting", items, bytes, t->allowed);
		break;
	case COLLECT_PROGRESS_STEP:
		progress_update(&t->progress, items, bytes);
		break;
	case COLLECT_PROGRESS_END:
		progress_end(&t->progress);
		break;
	}
}

void collect_terminal_attach(struct collect_options *co)
{
	/* The process shows one collection at a time; its state can live here. */
	static struct terminal term;
	static struct collect_observer observer = {
	        .ctx = &term,
	        .note = on_note,
	        .progress = on_progress,
	};

	term.allowed = co->progress;
	co->observer = &observer;
}
