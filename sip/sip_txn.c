/*
 * sip_txn: deferred answers. A request from the edge that needs the other
 * side's verdict (a MESSAGE, the first message of an INVITE) is kept here
 * under a txid until sip_answer(), the answer timeout, or the end of its
 * dialog. The table is small and short-lived (bounded by answer_timeout),
 * so a list scanned by id is enough.
 */
#include "config.h"

#include "sip/sip_core.h"
#include "sip/sip_conv.h"
#include "sip/sip_txn.h"

#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"

#include <stdlib.h>
#include <string.h>

struct sip_txn {
	uint64_t		 id;
	uint64_t		 owner;
	nta_incoming_t		*irq;
	sip_txn_answer_fn	*fn;
	uint64_t		 deadline;	/* loop ms */
	struct sip_txn		*next;
};

static struct {
	struct sip_txn		*head;
	size_t			 n;
	struct loop_timer	*timer;
} T;

static void txn_timer(void *arg);

/* Arm the timer for the earliest deadline. */
static void
txn_rearm(void)
{
	uint64_t first = 0, now = loop_now_ms();

	for (struct sip_txn *t = T.head; t; t = t->next)
		if (first == 0 || t->deadline < first)
			first = t->deadline;
	if (first == 0) {
		if (T.timer)
			loop_timer_stop(T.timer);
		return;
	}
	if (T.timer == NULL && (T.timer = loop_timer_new(txn_timer, NULL)) == NULL)
		return;
	loop_timer_set(T.timer, first > now ? first - now : 1);
}

static struct sip_txn *
txn_unlink(uint64_t id)
{
	for (struct sip_txn **pp = &T.head; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == id) {
			struct sip_txn *t = *pp;
			*pp = t->next;
			T.n--;
			return t;
		}
	}
	return NULL;
}

/* Answer t with err and free it; t is already unlinked. */
static void
txn_finish(struct sip_txn *t, const struct xl_err *err)
{
	if (t->fn(t->irq, err, t->owner) == 0)
		nta_incoming_destroy(t->irq);
	free(t);
}

uint64_t
sip_txn_defer(nta_incoming_t *irq, sip_txn_answer_fn *fn, uint64_t owner)
{
	struct sip_txn *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return 0;
	t->id = sip_next_id();
	t->owner = owner;
	t->irq = irq;
	t->fn = fn;
	t->deadline = loop_now_ms() + sip_cfg()->sip_answer_timeout_ms;
	t->next = T.head;
	T.head = t;
	T.n++;
	txn_rearm();
	return t->id;
}

int
sip_answer(uint64_t txid, const struct xl_err *err)
{
	struct sip_txn *t = txn_unlink(txid);

	if (t == NULL)
		return -1;
	txn_finish(t, err);
	txn_rearm();
	return 0;
}

static void
txn_timer(void *arg)
{
	static const struct xl_err timeout = {
		.cond = XL_ERR_REMOTE_SERVER_TIMEOUT, .type = XL_ERRT_WAIT,
		.sip_code = 504, .text = "no answer from the XMPP side in time",
	};
	uint64_t now = loop_now_ms_fresh();
	struct sip_txn *t;

	for (;;) {
		for (t = T.head; t && t->deadline > now; t = t->next)
			;
		if (t == NULL)
			break;
		log_info(SIP_MOD, "txid=%llu not answered within answer_timeout: "
		    "504", (unsigned long long)t->id);
		txn_finish(txn_unlink(t->id), &timeout);
	}
	txn_rearm();
}

void
sip_txn_drop_owner(uint64_t owner, const struct xl_err *why)
{
	static const struct xl_err gone = {
		.cond = XL_ERR_ITEM_NOT_FOUND, .type = XL_ERRT_CANCEL,
		.sip_code = 481, .text = "the conversation ended",
	};
	struct sip_txn *t;

	if (owner == 0)
		return;
	for (;;) {
		for (t = T.head; t && t->owner != owner; t = t->next)
			;
		if (t == NULL)
			break;
		txn_finish(txn_unlink(t->id), why ? why : &gone);
	}
	txn_rearm();
}

size_t
sip_txn_count(void)
{
	return T.n;
}

void
sip_txn_shutdown(void)
{
	static const struct xl_err down = {
		.cond = XL_ERR_SERVICE_UNAVAILABLE, .type = XL_ERRT_CANCEL,
		.sip_code = 503, .text = "the gateway is shutting down",
	};

	while (T.head)
		txn_finish(txn_unlink(T.head->id), &down);
	loop_timer_free(T.timer);
	T.timer = NULL;
}

int
sip_txn_answer_plain(nta_incoming_t *irq, const struct xl_err *err,
    uint64_t owner)
{
	const char *phrase;
	int status = sip_conv_status(err, &phrase);
	char w[512];

	if (err && err->text)
		sip_warning_fmt(w, sizeof(w), err->text);
	nta_incoming_treply(irq, status, phrase,
	    TAG_IF(status >= 300 && err && err->text, SIPTAG_WARNING_STR(w)),
	    TAG_END());
	return 0;
}
