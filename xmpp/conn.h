/*
 * conn: one non-blocking socket behind a transport ops table (plain TCP,
 * TLS), as Redis' ConnectionType: the stream code reads, flushes its
 * output buffer and upgrades to TLS without knowing which one it has.
 *
 * Nothing here blocks or registers with the loop: each call reports what
 * it is waiting for through xconn_wants() (LOOP_READ / LOOP_WRITE), and
 * the owner sets its loop_io accordingly.
 */
#ifndef FG_XMPP_CONN_H
#define FG_XMPP_CONN_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <openssl/ssl.h>

struct evbuffer;
struct xconn;

enum {
	XCONN_OK = 0,
	XCONN_AGAIN = -2,	/* would block: wait for xconn_wants() */
	XCONN_ERR = -1,		/* fatal; xconn_errstr() says why */
};

/* Takes ownership of fd (closed by xconn_free). */
struct xconn	*xconn_new(int fd);
void		 xconn_free(struct xconn *c);
int		 xconn_fd(const struct xconn *c);

/* Non-blocking connect to addr; XCONN_AGAIN while in progress. */
int		 xconn_connect_start(const struct sockaddr_storage *addr,
		    int *fdp, char *err, size_t errlen);
/* After the socket became writable: XCONN_OK or XCONN_ERR. */
int		 xconn_connect_finish(struct xconn *c);

/* Switch to TLS (takes ownership of ssl); then call xconn_handshake(). */
void		 xconn_tls_start(struct xconn *c, SSL *ssl, int server);
int		 xconn_handshake(struct xconn *c);
SSL		*xconn_ssl(const struct xconn *c);
int		 xconn_is_tls(const struct xconn *c);

/* > 0 bytes read, 0 end of stream, XCONN_AGAIN, XCONN_ERR. */
ssize_t		 xconn_read(struct xconn *c, void *buf, size_t len);
/* Write out as much of out as possible: XCONN_OK when it is empty. */
int		 xconn_flush(struct xconn *c, struct evbuffer *out);
/* What the last XCONN_AGAIN of a read or handshake waits for
   (LOOP_READ or LOOP_WRITE), and that of a flush. */
int		 xconn_wants(const struct xconn *c);
int		 xconn_write_wants(const struct xconn *c);
/* Send a TLS close_notify (best effort, never blocks). */
void		 xconn_shutdown(struct xconn *c);

const char	*xconn_errstr(const struct xconn *c);

#endif
