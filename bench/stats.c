/*
 * stats: see stats.h.
 */
#include "bench/stats.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- histogram ---------------------------------------------------- */

static unsigned
hist_index(uint64_t v)
{
	unsigned msb, shift;

	if (v < 2 * HIST_SUB)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	shift = msb - 6;	/* v >> shift is in [64, 128) */
	return 2 * HIST_SUB + (shift - 1) * HIST_SUB +
	    (unsigned)((v >> shift) - HIST_SUB);
}

/* The middle of bucket i (the value reported for it). */
static uint64_t
hist_value(unsigned i)
{
	unsigned shift;
	uint64_t low;

	if (i < 2 * HIST_SUB)
		return i;
	shift = (i - 2 * HIST_SUB) / HIST_SUB + 1;
	low = (uint64_t)((i - 2 * HIST_SUB) % HIST_SUB + HIST_SUB) << shift;
	return low + ((1ull << shift) >> 1);
}

void
hist_reset(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

void
hist_add(struct hist *h, uint64_t ns)
{
	h->b[hist_index(ns)]++;
	h->n++;
	if (ns > h->max)
		h->max = ns;
}

uint64_t
hist_percentile(const struct hist *h, double pct)
{
	uint64_t rank, seen = 0;

	if (h->n == 0)
		return 0;
	rank = (uint64_t)(pct / 100.0 * (double)h->n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > h->n)
		rank = h->n;
	for (unsigned i = 0; i < HIST_NB; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t v = hist_value(i);
			return v > h->max ? h->max : v;
		}
	}
	return h->max;
}

/* ---- tracker ------------------------------------------------------ */

int
tracker_reset(struct tracker *t, uint32_t run, uint64_t cap)
{
	uint8_t *st = t->st;

	if (cap > t->cap || st == NULL) {
		st = realloc(t->st, cap);
		if (st == NULL)
			return -1;
	} else
		cap = t->cap;
	memset(st, 0, cap);
	memset(t, 0, sizeof(*t));
	t->st = st;
	t->cap = cap;
	t->run = run;
	t->measure_from = UINT64_MAX;	/* nothing measured until the window */
	return 0;
}

void
tracker_free(struct tracker *t)
{
	free(t->st);
	memset(t, 0, sizeof(*t));
}

int
tracker_sent(struct tracker *t, uint64_t seq)
{
	if (seq >= t->cap)
		return -1;
	t->st[seq] |= TRK_SENT;
	t->sent++;
	return 0;
}

/* The state byte of (run, seq), or NULL for anything not sent in this run. */
static uint8_t *
tracker_slot(struct tracker *t, uint32_t run, uint64_t seq)
{
	if (run != t->run) {
		t->stale++;
		return NULL;
	}
	if (seq >= t->cap || !(t->st[seq] & TRK_SENT)) {
		t->bogus++;
		return NULL;
	}
	return &t->st[seq];
}

static void
tracker_count_code(struct tracker *t, int code)
{
	for (size_t i = 0; i < t->ncodes; i++) {
		if (t->codes[i].code == code) {
			t->codes[i].n++;
			return;
		}
	}
	if (t->ncodes < TRK_MAX_CODES) {
		t->codes[t->ncodes].code = code;
		t->codes[t->ncodes++].n = 1;
	}
}

int
tracker_response(struct tracker *t, uint32_t run, uint64_t seq, int code,
    uint64_t latency_ns)
{
	uint8_t *s = tracker_slot(t, run, seq);

	if (s == NULL)
		return -1;
	if (*s & TRK_ANSWERED) {
		t->dups++;
		return -1;
	}
	*s |= TRK_ANSWERED;
	t->answered++;
	tracker_count_code(t, code);
	if (code >= 200 && code < 300) {
		*s |= TRK_ACCEPTED;
		t->accepted++;
	} else if (!(*s & (TRK_ERROR | TRK_DELIVERED))) {
		*s |= TRK_ERROR;
		t->errors++;
	}
	if (seq >= t->measure_from)
		hist_add(&t->resp, latency_ns);
	return 0;
}

int
tracker_delivered(struct tracker *t, uint32_t run, uint64_t seq,
    uint64_t latency_ns)
{
	uint8_t *s = tracker_slot(t, run, seq);

	if (s == NULL)
		return -1;
	if (*s & TRK_DELIVERED) {
		t->dups++;
		return -1;
	}
	*s |= TRK_DELIVERED;
	t->delivered++;
	if (*s & TRK_ERROR) {	/* bounced, then delivered anyway */
		*s &= (uint8_t)~TRK_ERROR;
		t->errors--;
	}
	if (seq >= t->measure_from)
		hist_add(&t->lat, latency_ns);
	return 0;
}

int
tracker_bounced(struct tracker *t, uint32_t run, uint64_t seq)
{
	uint8_t *s = tracker_slot(t, run, seq);

	if (s == NULL)
		return -1;
	if (*s & (TRK_ERROR | TRK_DELIVERED)) {
		t->dups++;
		return -1;
	}
	*s |= TRK_ERROR;
	t->errors++;
	return 0;
}

uint64_t
tracker_outstanding(const struct tracker *t)
{
	uint64_t done = t->delivered + t->errors;

	return t->sent > done ? t->sent - done : 0;
}

uint64_t
tracker_unanswered(const struct tracker *t)
{
	return t->sent > t->answered ? t->sent - t->answered : 0;
}

void
tracker_codes(const struct tracker *t, char *buf, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (t->ncodes == 0) {
		snprintf(buf, len, "-");
		return;
	}
	for (size_t i = 0; i < t->ncodes && off < len; i++) {
		int n = snprintf(buf + off, len - off, "%s%d:%llu",
		    i ? "," : "", t->codes[i].code,
		    (unsigned long long)t->codes[i].n);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/* ---- /proc -------------------------------------------------------- */

static int
proc_read(pid_t pid, const char *what, char *buf, size_t len)
{
	char path[96];
	FILE *f;
	size_t n;

	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self/%s", what);
	else
		snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, what);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n > 0 ? 0 : -1;
}

/* On-CPU time of every thread, in ns resolution: sum of task schedstat. */
static double
proc_sched_seconds(pid_t pid)
{
	char dir[64], what[64], buf[256];
	struct dirent *de;
	unsigned long long total = 0;
	DIR *d;

	if (pid == 0)
		snprintf(dir, sizeof(dir), "/proc/self/task");
	else
		snprintf(dir, sizeof(dir), "/proc/%ld/task", (long)pid);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (strlen(de->d_name) > 20)
			continue;	/* a thread id has at most 20 digits */
		snprintf(what, sizeof(what), "task/%.20s/schedstat", de->d_name);
		if (proc_read(pid, what, buf, sizeof(buf)) == 0)
			total += strtoull(buf, NULL, 10);
	}
	closedir(d);
	return (double)total / 1e9;
}

static double
status_mb(const char *status, const char *key)
{
	const char *p = strstr(status, key);

	if (p == NULL)
		return 0;
	return strtod(p + strlen(key), NULL) / 1024.0;	/* "NNN kB" */
}

int
proc_sample(pid_t pid, struct proc_sample *out)
{
	char buf[4096];
	const char *p;
	unsigned long long utime, stime;
	long tck = sysconf(_SC_CLK_TCK);

	if (proc_read(pid, "stat", buf, sizeof(buf)) != 0)
		return -1;
	/* comm may hold spaces and parentheses: fields start after the last ')' */
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u "
	    "%*u %*u %llu %llu", &utime, &stime) != 2)
		return -1;
	out->cpu_s = (double)(utime + stime) / (double)(tck > 0 ? tck : 100);
	/* schedstat has the same CPU time in ns (stat counts 10 ms ticks) */
	{
		double s = proc_sched_seconds(pid);
		if (s > 0)
			out->cpu_s = s;
	}
	if (proc_read(pid, "status", buf, sizeof(buf)) != 0)
		return -1;
	out->rss_mb = status_mb(buf, "VmRSS:");
	out->hwm_mb = status_mb(buf, "VmHWM:");
	return 0;
}

uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
