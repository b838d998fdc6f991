/*
 * sip_edge: the health of each access edge (next hop of a local SIP
 * domain). An OPTIONS ping every [sip] keepalive, and the outcome of every
 * request sent there, move it between Active and Inactive; the reason is
 * kept for fedgatectl status.
 */
#ifndef FG_SIP_SIP_EDGE_H
#define FG_SIP_SIP_EDGE_H

#include <stdio.h>

int	sip_edge_start(void);
void	sip_edge_reload(void);
void	sip_edge_stop(void);
/* The outcome of a request sent to hop: ok, or failed with reason. */
void	sip_edge_report(const char *hop, int ok, const char *reason);
void	sip_edge_status(FILE *out);
/* 1 when every edge is Active. why receives the first that is not. */
int	sip_edge_all_active(char *why, size_t len);

#endif
