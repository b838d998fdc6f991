/*
 * loop: the process's one event loop (DESIGN.md §3).
 *
 * Sofia-SIP's su_root is the loop; this module wraps its fds and timers so
 * that core/ and xmpp/ never call Sofia. sip/ gets the su_root through
 * loop_sofia_root() to hand it to nta.
 *
 * All callbacks run on the loop's one thread. Objects handed back by this
 * module (struct loop_io, struct loop_timer) are owned by the caller and
 * freed with loop_io_del() / loop_timer_free(); both are safe inside callbacks.
 */
#ifndef FG_CORE_LOOP_H
#define FG_CORE_LOOP_H

#include <stdint.h>

enum {
	LOOP_READ = 0x1,
	LOOP_WRITE = 0x2,
	LOOP_ERROR = 0x4,	/* reported only: error or hang-up on the fd */
};

struct loop_io;
struct loop_timer;

typedef void loop_io_fn(int fd, int events, void *arg);
typedef void loop_timer_fn(void *arg);
typedef void loop_call_fn(void *arg);

int	loop_init(void);
void	loop_run(void);
void	loop_stop(void);
void	loop_destroy(void);
int	loop_running(void);

/* For sip/ only: the su_root_t * that nta must be created on. */
void	*loop_sofia_root(void);

/* Milliseconds from a monotonic clock; cached once per loop turn. */
uint64_t loop_now_ms(void);
uint64_t loop_now_ms_fresh(void);

/* File descriptors. events is a mask of LOOP_READ | LOOP_WRITE. */
struct loop_io *loop_io_add(int fd, int events, loop_io_fn *fn, void *arg);
int	loop_io_set(struct loop_io *io, int events);
int	loop_io_events(const struct loop_io *io);
void	loop_io_del(struct loop_io *io);

/* One-shot timers: loop_timer_set() (re)arms, loop_timer_stop() disarms. */
struct loop_timer *loop_timer_new(loop_timer_fn *fn, void *arg);
void	loop_timer_set(struct loop_timer *t, uint64_t ms);
void	loop_timer_stop(struct loop_timer *t);
int	loop_timer_pending(const struct loop_timer *t);
void	loop_timer_free(struct loop_timer *t);

/*
 * Calls made once at the end of the current loop turn, before the loop
 * waits again. Used for deferred frees (an object closed inside a
 * callback) and for flushing output once per turn instead of once per
 * stanza. The caller keeps arg valid until the call happens.
 */
int	loop_call_later(loop_call_fn *fn, void *arg);

/* A hook run at the end of every loop turn (e.g. flush dirty streams). */
int	loop_turn_hook_add(loop_call_fn *fn, void *arg);
void	loop_turn_hook_del(loop_call_fn *fn, void *arg);

/* Signals delivered through the loop (signalfd), never in a handler. */
int	loop_signal(int signo, loop_call_fn *fn, void *arg);

#endif
