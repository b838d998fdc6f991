/*
 * s2s: XMPP server-to-server streams (RFC 6120 §4-§6, XEP-0220, XEP-0178,
 * XEP-0368), one state machine for inbound streams (s2s_in.c) and one for
 * outbound streams (s2s_out.c) over a common core (s2s.c).
 *
 * Streams are owned by this module: an inbound one from accept to close,
 * an outbound one by its link (xmpp/link.h), which creates it and is told
 * when it is gone. Other modules refer to a stream by its numeric id or,
 * for the link, by the pointer it was given (valid until
 * link_on_stream_gone()).
 */
#ifndef FG_XMPP_S2S_H
#define FG_XMPP_S2S_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

struct s2s_link;
struct s2s_stream;
struct xnode;

int	s2s_init(void);
/* Close every stream now (after the loop stopped). */
void	s2s_shutdown(void);
/* Graceful stop: </stream:stream> to every peer. */
void	s2s_close_all(const char *reason);
size_t	s2s_count(void);
/* Write out what is pending now (normally done at the end of each turn). */
void	s2s_flush_pending(void);
/* Flow control: 1 stops reading the streams that bring us stanzas
   (inbound ones, and outbound ones with bidi). */
void	s2s_in_pause(int paused);

/* A connection accepted on [xmpp] listen (direct_tls: listen_tls). */
void	s2s_in_accept(int fd, const struct sockaddr_storage *peer,
	    int direct_tls);

/* Outbound stream for a link: resolves, connects, authenticates. */
struct s2s_stream *s2s_out_new(struct s2s_link *link, const char *local,
	    const char *remote);
/*
 * May s carry stanzas from local to remote now? An authenticated outbound
 * stream of that pair, or a stream with XEP-0288 bidi on which remote
 * proved itself for sending to local (then we may answer on it).
 */
int	s2s_carries(const struct s2s_stream *s, const char *local,
	    const char *remote);
/* Authenticated, and its output buffer below the high-water mark. */
int	s2s_can_write(const struct s2s_stream *s);
/* Append a serialized stanza to a stream that carries it (s2s_carries). */
int	s2s_write(struct s2s_stream *s, const char *data, size_t len);
/* Send <db:verify/> for an inbound stream (from = local, to = remote). */
int	s2s_out_send_verify(struct s2s_stream *s, const char *from,
	    const char *to, const char *sid, const char *key);
uint64_t s2s_stream_id(const struct s2s_stream *s);
/* The stream with that id; NULL once it is gone (being freed or dead). */
struct s2s_stream *s2s_stream_find(uint64_t id);

/* The answer to a <db:verify/> made for stream id (inbound, or outbound
   with bidi) about the pair remote -> local: 1 valid, 0 invalid, -1 could
   not be verified. */
void	s2s_verify_result(uint64_t id, const char *sid, const char *remote,
	    const char *local, int result);

/* fedgatectl */
void	s2s_connections(FILE *out);
/* Streams open now (metrics and status). */
size_t	s2s_open_count(int inbound);

/* Provided by xmpp.c: an inbound stanza that passed every check. */
void	xmpp_stanza_in(const struct xnode *st);

#endif
