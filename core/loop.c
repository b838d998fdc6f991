/*
 * loop: su_root wrapper. See loop.h for the contract.
 *
 * Why su_root and not libevent: Sofia's nta needs su_root, and registering
 * our few fds in it was measured as cheap as the alternatives without
 * touching Sofia internals (DESIGN.md §3).
 */
#define SU_ROOT_MAGIC_T		void
#define SU_WAKEUP_ARG_T		struct loop_io
#define SU_TIMER_ARG_T		struct loop_timer
#define SU_PREPOLL_MAGIC_T	void

#include "config.h"
#include "core/loop.h"
#include "core/log.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>

#define LOG_MOD "loop"

struct loop_io {
	int		 fd;
	int		 events;
	int		 index;		/* su_root registration, -1 when none */
	su_wait_t	 wait;
	loop_io_fn	*fn;
	void		*arg;
	int		 dead;
};

struct loop_timer {
	su_timer_t	*t;
	loop_timer_fn	*fn;
	void		*arg;
	int		 pending;
};

struct loop_call {
	loop_call_fn	*fn;
	void		*arg;
};

struct call_vec {
	struct loop_call *v;
	size_t		  n, cap;
};

struct loop_sig {
	int		 signo;
	loop_call_fn	*fn;
	void		*arg;
};

static struct {
	su_root_t	*root;
	int		 running;
	su_timer_t	*wake;		/* 0 ms timer: ends the current wait */
	uint64_t	 now_ms;
	struct call_vec	 later;		/* one-shot calls for this turn */
	struct call_vec	 hooks;		/* calls for every turn */
	struct loop_io	**graveyard;	/* io freed at the end of the turn */
	size_t		 ngrave, capgrave;
	int		 sigfd;
	struct loop_io	*sigio;
	sigset_t	 sigmask;
	struct loop_sig	 sigs[8];
	size_t		 nsigs;
} L = { .sigfd = -1 };

static int
call_vec_push(struct call_vec *cv, loop_call_fn *fn, void *arg)
{
	if (cv->n == cv->cap) {
		size_t cap = cv->cap ? cv->cap * 2 : 16;
		struct loop_call *v = realloc(cv->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		cv->v = v;
		cv->cap = cap;
	}
	cv->v[cv->n].fn = fn;
	cv->v[cv->n].arg = arg;
	cv->n++;
	return 0;
}

uint64_t
loop_now_ms_fresh(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	L.now_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	return L.now_ms;
}

uint64_t
loop_now_ms(void)
{
	if (L.now_ms == 0)
		return loop_now_ms_fresh();
	return L.now_ms;
}

/*
 * End of a loop turn: run the one-shot calls (which may add more: they run
 * too, bounded by the growth they cause), then the per-turn hooks, then
 * free io structures deleted during the turn.
 */
static void
loop_prepoll(void *magic, su_root_t *root)
{
	size_t i;

	for (i = 0; i < L.later.n; i++) {
		struct loop_call c = L.later.v[i];
		c.fn(c.arg);
	}
	L.later.n = 0;
	for (i = 0; i < L.hooks.n; i++)
		L.hooks.v[i].fn(L.hooks.v[i].arg);
	for (i = 0; i < L.ngrave; i++)
		free(L.graveyard[i]);
	L.ngrave = 0;
	L.now_ms = 0;
}

int
loop_init(void)
{
	if (su_init() != 0)
		return -1;
	L.root = su_root_create(NULL);
	if (L.root == NULL)
		return -1;
	if (su_root_add_prepoll(L.root, loop_prepoll, NULL) != 0)
		log_warnx(LOG_MOD, "cannot install the end-of-turn hook");
	return 0;
}

void *
loop_sofia_root(void)
{
	return L.root;
}

void
loop_run(void)
{
	L.running = 1;
	while (L.running)
		su_root_step(L.root, 1000);
}

static void
loop_wake_fire(su_root_magic_t *magic, su_timer_t *t, struct loop_timer *arg)
{
}

/*
 * Called from an end-of-turn call, su_root_break() alone would let the
 * coming wait run its full timeout: a 0 ms timer ends it at once.
 */
void
loop_stop(void)
{
	L.running = 0;
	if (L.root == NULL)
		return;
	su_root_break(L.root);
	if (L.wake == NULL)
		L.wake = su_timer_create(su_root_task(L.root), 0);
	if (L.wake)
		su_timer_set_interval(L.wake, loop_wake_fire, NULL, 0);
}

int
loop_running(void)
{
	return L.running;
}

void
loop_destroy(void)
{
	/* Run what is pending so that deferred frees happen. */
	if (L.root)
		loop_prepoll(NULL, L.root);
	if (L.sigio) {
		loop_io_del(L.sigio);
		L.sigio = NULL;
		loop_prepoll(NULL, L.root);
	}
	if (L.sigfd >= 0)
		close(L.sigfd);
	L.sigfd = -1;
	if (L.wake) {
		su_timer_destroy(L.wake);
		L.wake = NULL;
	}
	if (L.root) {
		su_root_destroy(L.root);
		su_deinit();
	}
	L.root = NULL;
	free(L.later.v);
	free(L.hooks.v);
	free(L.graveyard);
	memset(&L.later, 0, sizeof(L.later));
	memset(&L.hooks, 0, sizeof(L.hooks));
	L.graveyard = NULL;
	L.ngrave = L.capgrave = 0;
	L.nsigs = 0;
}

static int
events_to_su(int events)
{
	int e = 0;

	if (events & LOOP_READ)
		e |= SU_WAIT_IN;
	if (events & LOOP_WRITE)
		e |= SU_WAIT_OUT;
	return e;
}

static int
loop_io_wakeup(void *magic, su_wait_t *w, struct loop_io *io)
{
	int rev, ev = 0;

	if (io->dead)
		return 0;
	rev = su_wait_events(w, io->fd);
	if (rev & SU_WAIT_IN)
		ev |= LOOP_READ;
	if (rev & SU_WAIT_OUT)
		ev |= LOOP_WRITE;
	if (rev & (SU_WAIT_ERR | SU_WAIT_HUP))
		ev |= LOOP_ERROR | (io->events & LOOP_READ);
	if (ev)
		io->fn(io->fd, ev, io->arg);
	return 0;
}

struct loop_io *
loop_io_add(int fd, int events, loop_io_fn *fn, void *arg)
{
	struct loop_io *io = calloc(1, sizeof(*io));

	if (io == NULL)
		return NULL;
	io->fd = fd;
	io->events = events;
	io->fn = fn;
	io->arg = arg;
	if (su_wait_create(&io->wait, fd, events_to_su(events)) != 0) {
		free(io);
		return NULL;
	}
	io->index = su_root_register(L.root, &io->wait, loop_io_wakeup, io, 0);
	if (io->index < 0) {
		su_wait_destroy(&io->wait);
		free(io);
		return NULL;
	}
	return io;
}

int
loop_io_set(struct loop_io *io, int events)
{
	if (io->events == events)
		return 0;
	io->events = events;
	return su_root_eventmask(L.root, io->index, io->fd, events_to_su(events));
}

int
loop_io_events(const struct loop_io *io)
{
	return io->events;
}

void
loop_io_del(struct loop_io *io)
{
	if (io == NULL || io->dead)
		return;
	io->dead = 1;
	if (io->index >= 0)
		su_root_deregister(L.root, io->index);
	io->index = -1;
	/* The registration may still be in the batch being dispatched. */
	if (L.ngrave == L.capgrave) {
		size_t cap = L.capgrave ? L.capgrave * 2 : 16;
		struct loop_io **g = realloc(L.graveyard, cap * sizeof(*g));
		if (g == NULL)
			fatalx(LOG_MOD, "out of memory");
		L.graveyard = g;
		L.capgrave = cap;
	}
	L.graveyard[L.ngrave++] = io;
}

static void
loop_timer_fire(su_root_magic_t *magic, su_timer_t *t, struct loop_timer *lt)
{
	lt->pending = 0;
	lt->fn(lt->arg);
}

struct loop_timer *
loop_timer_new(loop_timer_fn *fn, void *arg)
{
	struct loop_timer *lt = calloc(1, sizeof(*lt));

	if (lt == NULL)
		return NULL;
	lt->t = su_timer_create(su_root_task(L.root), 0);
	if (lt->t == NULL) {
		free(lt);
		return NULL;
	}
	lt->fn = fn;
	lt->arg = arg;
	return lt;
}

void
loop_timer_set(struct loop_timer *lt, uint64_t ms)
{
	if (ms > INT32_MAX)
		ms = INT32_MAX;
	su_timer_reset(lt->t);
	su_timer_set_interval(lt->t, loop_timer_fire, lt, (su_duration_t)ms);
	lt->pending = 1;
}

void
loop_timer_stop(struct loop_timer *lt)
{
	if (lt == NULL)
		return;
	su_timer_reset(lt->t);
	lt->pending = 0;
}

int
loop_timer_pending(const struct loop_timer *lt)
{
	return lt->pending;
}

void
loop_timer_free(struct loop_timer *lt)
{
	if (lt == NULL)
		return;
	su_timer_destroy(lt->t);
	free(lt);
}

int
loop_call_later(loop_call_fn *fn, void *arg)
{
	return call_vec_push(&L.later, fn, arg);
}

int
loop_turn_hook_add(loop_call_fn *fn, void *arg)
{
	return call_vec_push(&L.hooks, fn, arg);
}

void
loop_turn_hook_del(loop_call_fn *fn, void *arg)
{
	for (size_t i = 0; i < L.hooks.n; i++) {
		if (L.hooks.v[i].fn == fn && L.hooks.v[i].arg == arg) {
			memmove(&L.hooks.v[i], &L.hooks.v[i + 1],
			    (L.hooks.n - i - 1) * sizeof(L.hooks.v[0]));
			L.hooks.n--;
			return;
		}
	}
}

static void
loop_signal_read(int fd, int events, void *arg)
{
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		for (size_t i = 0; i < L.nsigs; i++)
			if ((uint32_t)L.sigs[i].signo == si.ssi_signo)
				L.sigs[i].fn(L.sigs[i].arg);
	}
}

int
loop_signal(int signo, loop_call_fn *fn, void *arg)
{
	if (L.nsigs == sizeof(L.sigs) / sizeof(L.sigs[0]))
		return -1;
	if (L.sigfd < 0)
		sigemptyset(&L.sigmask);
	sigaddset(&L.sigmask, signo);
	if (sigprocmask(SIG_BLOCK, &L.sigmask, NULL) != 0)
		return -1;
	L.sigfd = signalfd(L.sigfd, &L.sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (L.sigfd < 0)
		return -1;
	if (L.sigio == NULL) {
		L.sigio = loop_io_add(L.sigfd, LOOP_READ, loop_signal_read, NULL);
		if (L.sigio == NULL)
			return -1;
	}
	L.sigs[L.nsigs].signo = signo;
	L.sigs[L.nsigs].fn = fn;
	L.sigs[L.nsigs].arg = arg;
	L.nsigs++;
	return 0;
}
