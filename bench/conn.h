/*
 * conn: one TCP connection of the load tool, plain or TLS, on libevent
 * bufferevents (libevent_openssl for TLS). A connection starts plain and can
 * switch to TLS once (at once for SIP, after <proceed/> for XMPP STARTTLS);
 * the switch waits until the plain output is flushed and happens outside
 * the read callback, so a handler may ask for it while parsing.
 *
 * Ownership: the owner creates the conn and ends it with conn_close(), the
 * only teardown; after it no callback reaches the owner again, whatever
 * the conn still does (flushing, freeing). conn_close() is safe inside any
 * callback of the conn.
 */
#ifndef FGB_CONN_H
#define FGB_CONN_H

#include <stddef.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/ssl.h>

struct conn;

enum conn_event {
	CONN_CONNECTED,		/* TCP connect done (outbound) */
	CONN_TLS_UP,		/* TLS handshake done */
	CONN_EOF,		/* the peer closed */
	CONN_ERROR,		/* socket or TLS error; why says which */
};

struct conn_handlers {
	/* Bytes arrived; consume what you can with evbuffer_drain(). */
	void	(*read)(struct conn *c, struct evbuffer *in, void *arg);
	void	(*event)(struct conn *c, enum conn_event ev, const char *why,
		    void *arg);
};

struct conn *conn_connect(struct event_base *base,
	    const struct sockaddr *sa, socklen_t salen,
	    const struct conn_handlers *h, void *arg, char *err, size_t errlen);
struct conn *conn_accept(struct event_base *base, int fd,
	    const struct conn_handlers *h, void *arg);
/* Switch to TLS (takes ownership of ssl) as client or server. */
int	conn_starttls(struct conn *c, SSL *ssl, int server);
int	conn_write(struct conn *c, const void *p, size_t n);
size_t	conn_output_len(const struct conn *c);
SSL	*conn_ssl(const struct conn *c);
int	conn_is_tls_up(const struct conn *c);
/* "127.0.0.1:5061" of the peer. */
const char *conn_peer(const struct conn *c);
/* End: no more callbacks; flush=1 writes what is queued first (bounded). */
void	conn_close(struct conn *c, int flush);

/* Connections not freed yet (closing ones flush first, bounded). */
unsigned conn_live(void);

/*
 * Listen on "host:port" (port 0: any free one, returned in *port); fn gets
 * each accepted fd. The caller frees the listener (evconnlistener_free).
 */
struct evconnlistener;
struct evconnlistener *conn_listen(struct event_base *base, const char *addr,
	    void (*fn)(struct evconnlistener *, int, struct sockaddr *, int,
	    void *), void *arg, int *port, char *err, size_t errlen);

/* "host:port" (IPv4/IPv6 literal) into a sockaddr. Returns 0 or -1. */
int	conn_parse_addr(const char *s, struct sockaddr_storage *ss,
	    socklen_t *len);

#endif
