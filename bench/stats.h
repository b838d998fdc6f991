/*
 * stats: what one benchmark run measures.
 *
 *  - hist: a log-linear latency histogram in nanoseconds (exact below 128 ns,
 *    then 64 sub-buckets per power of two: < 1.6 % error), constant memory;
 *  - tracker: what happened to each sequence number of one run (sent,
 *    answered, accepted, delivered, bounced), so that losses, duplicates and
 *    stale arrivals from an earlier run are counted, never guessed;
 *  - proc_sample: CPU seconds (utime + stime) and RSS of a process, read
 *    from /proc/PID/stat and /proc/PID/status.
 */
#ifndef FGB_STATS_H
#define FGB_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HIST_SUB	64
#define HIST_NB		(2 * HIST_SUB + 57 * HIST_SUB)

struct hist {
	uint64_t	n, max;
	uint32_t	b[HIST_NB];
};

void		hist_reset(struct hist *h);
void		hist_add(struct hist *h, uint64_t ns);
/* The value at percentile pct (0 < pct <= 100), in ns; 0 when empty. */
uint64_t	hist_percentile(const struct hist *h, double pct);

enum {
	TRK_SENT = 0x01,
	TRK_ANSWERED = 0x02,	/* final SIP response seen */
	TRK_ACCEPTED = 0x04,	/* ... and it was 2xx */
	TRK_DELIVERED = 0x08,	/* arrived at the sink */
	TRK_ERROR = 0x10,	/* error response or error stanza */
};

#define TRK_MAX_CODES	16

struct tracker {
	uint32_t	 run;
	uint8_t		*st;
	uint64_t	 cap;
	uint64_t	 sent, answered, accepted, delivered, errors;
	uint64_t	 dups, stale, bogus;
	uint64_t	 measure_from;	/* first seq measured; none at reset */
	struct hist	 lat;		/* send -> arrival at the sink */
	struct hist	 resp;		/* send -> final response (SIP source) */
	struct { int code; uint64_t n; } codes[TRK_MAX_CODES];
	size_t		 ncodes;
};

/* Start a run: forget everything, room for cap sequence numbers. */
int	tracker_reset(struct tracker *t, uint32_t run, uint64_t cap);
void	tracker_free(struct tracker *t);
/* Record events; each returns 0, or -1 for a stale/unknown/duplicate one. */
int	tracker_sent(struct tracker *t, uint64_t seq);
int	tracker_response(struct tracker *t, uint32_t run, uint64_t seq,
	    int code, uint64_t latency_ns);
int	tracker_delivered(struct tracker *t, uint32_t run, uint64_t seq,
	    uint64_t latency_ns);
int	tracker_bounced(struct tracker *t, uint32_t run, uint64_t seq);
/* Sent and neither delivered nor bounced (yet). */
uint64_t tracker_outstanding(const struct tracker *t);
/* Sent and without a final response (yet); SIP sources only. */
uint64_t tracker_unanswered(const struct tracker *t);
/* "200:1000,503:2" into buf. */
void	tracker_codes(const struct tracker *t, char *buf, size_t len);

struct proc_sample {
	double	cpu_s;		/* utime + stime */
	double	rss_mb;		/* VmRSS */
	double	hwm_mb;		/* VmHWM: peak RSS */
};

/* pid 0 = this process. Returns 0, or -1 (process gone, no /proc). */
int	proc_sample(pid_t pid, struct proc_sample *out);

/* CLOCK_MONOTONIC in nanoseconds: the one clock of the tool. */
uint64_t now_ns(void);

#endif
