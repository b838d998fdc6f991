/*
 * bench: see bench.h. The message tag, and the events the sides report.
 */
#include "bench/bench.h"
#include "bench/obuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const bdir_names[BD_N] = {
	"sip2xmpp", "xmpp2sip", "selftest-sip", "selftest-xmpp",
};

/* Filler for message bodies: readable text, like a chat line. */
static const char filler[] = " The quick brown fox jumps over the lazy dog,"
    " then sends a page-mode message through the federation gateway.";

const char *
bdir_name(enum bdir d)
{
	return (unsigned)d < BD_N ? bdir_names[d] : "?";
}

static void
put_tag(struct obuf *ob, const struct bench *b, enum bdir d, uint64_t seq,
    uint64_t ts, char sep)
{
	obuf_u64(ob, (uint64_t)d);
	obuf_mem(ob, &sep, 1);
	obuf_u64(ob, b->run);
	obuf_mem(ob, &sep, 1);
	obuf_u64(ob, seq);
	obuf_mem(ob, &sep, 1);
	obuf_u64(ob, ts);
}

size_t
bench_body(const struct bench *b, enum bdir d, uint64_t seq, uint64_t ts,
    char *out, size_t cap)
{
	struct obuf ob;

	obuf_init(&ob, out, cap);
	obuf_str(&ob, "fgb ");
	put_tag(&ob, b, d, seq, ts, ' ');
	while (ob.len < b->o.body_size && obuf_ok(&ob)) {
		size_t n = b->o.body_size - ob.len;
		if (n > sizeof(filler) - 1)
			n = sizeof(filler) - 1;
		obuf_mem(&ob, filler, n);
	}
	return obuf_ok(&ob) ? ob.len : 0;
}

size_t
bench_tag_id(const struct bench *b, enum bdir d, uint64_t seq, uint64_t ts,
    char *out, size_t cap)
{
	struct obuf ob;

	obuf_init(&ob, out, cap);
	obuf_str(&ob, "fgb-");
	put_tag(&ob, b, d, seq, ts, '-');
	return obuf_ok(&ob) ? ob.len : 0;
}

/* n unsigned numbers separated by sep, from [p, end). Returns 0 or -1. */
static int
parse_numbers(const char *p, const char *end, char sep, uint64_t *v, int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t x = 0;
		const char *start = p;

		while (p < end && *p >= '0' && *p <= '9' && p - start < 20)
			x = x * 10 + (uint64_t)(*p++ - '0');
		if (p == start)
			return -1;
		v[i] = x;
		if (i + 1 < n) {
			if (p >= end || *p != sep)
				return -1;
			p++;
		}
	}
	return 0;
}

/* "fgb-D-R-S-T..." (ids) or "... fgb D R S T ..." (bodies) */
static int
parse_tag(const char *s, size_t len, const char *prefix, char sep,
    uint64_t v[4])
{
	size_t pl = strlen(prefix);
	const char *p = memmem(s, len, prefix, pl);

	if (p == NULL)
		return -1;
	return parse_numbers(p + pl, s + len, sep, v, 4);
}

void
bench_arrived(struct bench *b, const char *body, size_t len, uint64_t now)
{
	uint64_t v[4];

	if (parse_tag(body, len, "fgb ", ' ', v) != 0 || v[0] >= BD_N) {
		b->foreign++;		/* not ours: counted, not measured */
		return;
	}
	tracker_delivered(&b->trk[v[0]], (uint32_t)v[1], v[2],
	    now > v[3] ? now - v[3] : 0);
}

void
bench_answered(struct bench *b, const char *call_id, size_t len, int code,
    uint64_t now)
{
	uint64_t v[4];

	if (parse_tag(call_id, len, "fgb-", '-', v) != 0 || v[0] >= BD_N)
		return;
	tracker_response(&b->trk[v[0]], (uint32_t)v[1], v[2], code,
	    now > v[3] ? now - v[3] : 0);
}

void
bench_bounced(struct bench *b, const char *id, size_t len, const char *why)
{
	uint64_t v[4];

	snprintf(b->last_bounce, sizeof(b->last_bounce), "%s", why);
	if (parse_tag(id, len, "fgb-", '-', v) != 0 || v[0] >= BD_N) {
		bench_debug(b, "error stanza for an unknown id: %s", why);
		return;
	}
	if (tracker_bounced(&b->trk[v[0]], (uint32_t)v[1], v[2]) == 0)
		bench_debug(b, "message %llu bounced: %s",
		    (unsigned long long)v[2], why);
}

enum {
	SUBST_SENT = 0x01,
	SUBST_ANSWERED = 0x02,
	SUBST_NOTIFIED = 0x04,
	SUBST_ACTIVE = 0x08,
	SUBST_FAILED = 0x10,
};

void
bench_sub_event(struct bench *b, const char *call_id, size_t len,
    enum sub_event ev)
{
	uint64_t v[2];
	const char *p = memmem(call_id, len, "fgs-", 4);
	uint8_t *st;

	if (p == NULL || parse_numbers(p + 4, call_id + len, '-', v, 2) != 0 ||
	    v[0] != b->run || v[1] >= b->nsubs || b->sub_st == NULL)
		return;
	st = &b->sub_st[v[1]];
	switch (ev) {
	case SUB_ANSWERED:
		if (!(*st & SUBST_ANSWERED))
			b->subs_answered++;
		*st |= SUBST_ANSWERED;
		break;
	case SUB_REFUSED:
	case SUB_TERMINATED:
		if (!(*st & SUBST_FAILED))
			b->subs_failed++;
		*st |= SUBST_FAILED;
		break;
	case SUB_PENDING:
	case SUB_ACTIVE:
		if (!(*st & SUBST_NOTIFIED))
			b->subs_notified++;
		*st |= SUBST_NOTIFIED;
		if (ev == SUB_ACTIVE && !(*st & SUBST_ACTIVE)) {
			*st |= SUBST_ACTIVE;
			b->subs_active++;
		}
		break;
	}
}

void
bench_problem(struct bench *b, const char *fmt, ...)
{
	va_list ap;

	if (b->problem[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(b->problem, sizeof(b->problem), fmt, ap);
	va_end(ap);
	bench_debug(b, "problem: %s", b->problem);
}

void
bench_debug(const struct bench *b, const char *fmt, ...)
{
	va_list ap;

	if (!b->o.verbose)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "fgbench: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
