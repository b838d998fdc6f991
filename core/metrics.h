/*
 * metrics: counters and gauges, shown by "fedgatectl stats" and served in
 * the Prometheus text format on [gateway] metrics_listen.
 *
 * A module registers its metrics once (at start) and keeps the handles;
 * metric_inc() on the hot path is one addition. Gauges are computed when
 * read, by a callback. Names follow Prometheus rules
 * (fedgate_<what>_total for counters); labels are a fixed string such as
 * direction="sip_to_xmpp".
 */
#ifndef FG_CORE_METRICS_H
#define FG_CORE_METRICS_H

#include <stdint.h>
#include <stdio.h>

struct metric;

typedef uint64_t metric_gauge_fn(void *arg);

/* Same name + labels twice returns the same handle. NULL only on OOM. */
struct metric	*metric_counter(const char *name, const char *labels,
		    const char *help);
struct metric	*metric_gauge(const char *name, const char *labels,
		    const char *help, metric_gauge_fn *fn, void *arg);
void		 metric_inc(struct metric *m);
void		 metric_add(struct metric *m, uint64_t n);
uint64_t	 metric_value(const struct metric *m);

/* Prometheus text exposition format, every metric. */
void		 metrics_write(FILE *out);
/* "name{labels} value" lines, for fedgatectl stats. */
void		 metrics_write_short(FILE *out);

#include "core/service.h"

/* Free every metric: only at exit, after every service has shut down. */
void		 metrics_free_all(void);

extern const struct service metrics_service;

#endif
