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
/* Flow control: 1 stops reading inbound streams that carry stanzas. */
void	s2s_in_pause(int paused);

/* A connection accepted on [xmpp] listen (direct_tls: listen_tls). */
void	s2s_in_accept(int fd, const struct sockaddr_storage *peer,
	    int direct_tls);

/* Outbound stream for a link: resolves, connects, authenticates. */
struct s2s_stream *s2s_out_new(struct s2s_link *link, const char *local,
	    const char *remote);
/* Append a serialized stanza to an authenticated outbound stream. */
int	s2s_out_write(struct s2s_stream *s, const char *data, size_t len);
/* Authenticated, and its output buffer below the high-water mark. */
int	s2s_out_can_write(const struct s2s_stream *s);
/* Send <db:verify/> for an inbound stream (from = local, to = remote). */
int	s2s_out_send_verify(struct s2s_stream *s, const char *from,
	    const char *to, const char *sid, const char *key);
uint64_t s2s_stream_id(const struct s2s_stream *s);

/* The answer to a <db:verify/> made for inbound stream in_id about the
   pair remote -> local: 1 valid, 0 invalid, -1 could not be verified. */
void	s2s_in_verify_result(uint64_t in_id, const char *sid,
	    const char *remote, const char *local, int result);

/* fedgatectl */
void	s2s_connections(FILE *out);
/* Streams open now (metrics and status). */
size_t	s2s_open_count(int inbound);

/* Provided by xmpp.c: an inbound stanza that passed every check. */
void	xmpp_stanza_in(const struct xnode *st);

#endif
