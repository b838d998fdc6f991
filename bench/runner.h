/*
 * runner: the phases of a benchmark run, on the bench's one loop.
 *
 *  ready -> probe (one message end to end, with a clear diagnosis when it
 *  does not arrive) -> warm-up -> measured window -> drain.
 *
 * The sender is a token bucket driven by a 1 ms timer: at each tick it
 * sends what the schedule (rate x elapsed) says is due, never more than
 * 50 ms worth at once, so a stall does not turn into a burst. A run passes
 * when everything offered was sent, every message was delivered (and, on
 * SIP, answered 2xx), nothing bounced, and the backlog (sent minus
 * delivered or answered) neither grew over the window nor stayed above
 * 100 ms worth of traffic.
 */
#ifndef FGB_RUNNER_H
#define FGB_RUNNER_H

#include <stdint.h>
#include <stdio.h>

#include "bench/bench.h"

struct trial_result {
	enum bdir	 dir;
	double		 offered, secs, warmup;
	uint64_t	 target, sent, accepted, delivered, errors, lost;
	uint64_t	 unanswered, dups, stale, blocked_ticks;
	double		 p50_ms, p99_ms, max_ms, resp_p50_ms, resp_p99_ms;
	double		 gw_cpu_per_1000, gw_rss_mb;
	double		 tool_cpu_per_1000, tool_rss_mb;
	double		 delivered_rate;	/* in the window */
	uint64_t	 backlog_max;
	int		 backlog_growing;
	char		 codes[128];
	int		 pass;
	char		 reason[600];
};

struct subs_result {
	uint64_t	 n, answered, notified, active, failed;
	double		 secs, idle_rss_mb, rss_mb, kb_per_sub;
	int		 pass;
	char		 reason[600];
};

/* Wait (bounded) until the source of d is connected and authenticated. */
int	runner_ready(struct bench *b, enum bdir d, double timeout_s);
/* One message end to end; on failure b->problem says what went wrong. */
int	runner_probe(struct bench *b, enum bdir d, double timeout_s);
int	runner_trial(struct bench *b, enum bdir d, double rate, double secs,
	    double warmup, struct trial_result *r);
/* Highest passing rate: steps up by o.step, then bisects. */
int	runner_search(struct bench *b, enum bdir d, struct trial_result *best);
int	runner_subs(struct bench *b, uint64_t n, struct subs_result *r);
void	runner_print_trial(const struct bench *b, const struct trial_result *r,
	    const char *prefix, FILE *out);
void	runner_print_subs(const struct bench *b, const struct subs_result *r,
	    const char *prefix, FILE *out);
/* Close everything in order: streams ended, output flushed (bounded). */
void	runner_shutdown(struct bench *b);
/* Run the loop for s seconds (stale arrivals are absorbed). */
void	runner_pause(struct bench *b, double s);

#endif
