#!/usr/bin/python3
"""raw_server: a scripted XMPP receiving server for one outbound stream.

It accepts one connection, answers the stream header with an id and
features (STARTTLS), does TLS with the given certificate, offers SASL
EXTERNAL and dialback, REFUSES the SASL EXTERNAL attempt, accepts the
dialback key that follows (it does not verify it: it is the test's own
peer) and then prints every stanza it receives, one line each:

  HEADER from=... to=...   STARTTLS   TLS ...   AUTH mechanism=...
  FAILURE-SENT   DBRESULT from=... to=...   STANZA <...>

Every wait is bounded by --timeout. Exit status 0 when a stanza whose text
contains --expect arrived, 1 otherwise.
"""
import argparse
import re
import socket
import ssl
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--listen', required=True)
    p.add_argument('--port', type=int, default=5269)
    p.add_argument('--domain', required=True)
    p.add_argument('--cert', required=True)
    p.add_argument('--key', required=True)
    p.add_argument('--expect', required=True)
    p.add_argument('--timeout', type=float, default=30)
    a = p.parse_args()
    deadline = time.monotonic() + a.timeout

    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.listen, a.port))
    ls.listen(4)
    print('LISTENING %s:%d' % (a.listen, a.port), flush=True)
    ls.settimeout(a.timeout)
    conn, _ = ls.accept()
    state = {'sock': conn, 'buf': ''}

    def send(text):
        state['sock'].sendall(text.encode())

    def wait(pattern):
        while True:
            m = re.search(pattern, state['buf'], re.S)
            if m:
                state['buf'] = state['buf'][m.end():]
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            state['sock'].settimeout(left)
            try:
                data = state['sock'].recv(65536)
            except (socket.timeout, ssl.SSLError, OSError):
                return None
            if not data:
                return None
            state['buf'] += data.decode('utf-8', 'replace')

    def header(n, features):
        m = wait(r'<stream:stream[^>]*>')
        if not m:
            return False
        print('HEADER %s' % ' '.join(re.findall(r"(?:from|to)='[^']*'",
                                                 m.group(0))), flush=True)
        send("<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
             "xmlns:stream='http://etherx.jabber.org/streams' "
             "xmlns:db='jabber:server:dialback' from='%s' id='raw%d' "
             "version='1.0'><stream:features>%s</stream:features>"
             % (a.domain, n, features))
        return True

    ok = header(1, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"
                   "<required/></starttls>")
    if ok and wait(r'<starttls[^>]*/>'):
        print('STARTTLS', flush=True)
        send("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        state['sock'].settimeout(max(0.1, deadline - time.monotonic()))
        state['sock'] = ctx.wrap_socket(state['sock'], server_side=True)
        state['buf'] = ''
        print('TLS %s' % state['sock'].version(), flush=True)
        ok = header(2, "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                       "<mechanism>EXTERNAL</mechanism></mechanisms>"
                       "<dialback xmlns='urn:xmpp:features:dialback'>"
                       "<errors/></dialback>")
    else:
        ok = False
    got = False
    if ok:
        m = wait(r"<auth[^>]*mechanism='([A-Z-]+)'[^>]*>")
        if m:
            print('AUTH mechanism=%s' % m.group(1), flush=True)
            send("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                 "<not-authorized/></failure>")
            print('FAILURE-SENT', flush=True)
        m = wait(r"<db:result from='([^']*)' to='([^']*)'>[^<]*</db:result>")
        if m:
            print('DBRESULT from=%s to=%s' % (m.group(1), m.group(2)),
                  flush=True)
            send("<db:result from='%s' to='%s' type='valid'/>"
                 % (m.group(2), m.group(1)))
            while not got:
                s = wait(r'<(message|presence|iq)\b.*?(</\1>|/>)')
                if not s:
                    break
                print('STANZA %s' % s.group(0)[:300], flush=True)
                got = a.expect in s.group(0)
    print('RESULT %s' % ('ok' if got else 'unexpected'), flush=True)
    sys.exit(0 if got else 1)


if __name__ == '__main__':
    main()
