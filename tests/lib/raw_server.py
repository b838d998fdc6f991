#!/usr/bin/python3
"""raw_server: a scripted XMPP receiving server for outbound-stream tests.

It plays a partner's server (--domain, and whatever other domain a stream
is addressed to) on --listen. Each connection it accepts (one thread
each) gets a stream header with an id and STARTTLS as required, TLS with
the given certificate, then the features: SASL EXTERNAL (offered and then
REFUSED with --sasl refuse, the default; not offered with --sasl none),
dialback, and XEP-0288 bidi with --bidi. It accepts the dialback key of
the connecting server without checking it and answers every <db:verify/>
as valid (it is the test's own partner), and prints one line per event,
with the number of the connection:

  LISTENING ip:port           CONN conn=N         HEADER from=... to=... conn=N
  STARTTLS conn=N   TLS v conn=N   AUTH mechanism=... conn=N   FAILURE-SENT conn=N
  BIDI conn=N       DBRESULT from=... to=... conn=N   VERIFY from=... to=... conn=N
  DBANSWER type=... from=... to=... conn=N        (answers to --then requests)
  STANZA conn=N <...>         PONG conn=N         STREAM-ERROR cond=... conn=N
  SENT conn=N <...>           HANG conn=N / RESUME conn=N    CLOSED conn=N
  RESULT ok|unexpected

With --bidi, pings (XEP-0199) arriving on a connection that asked for bidi
are answered on it. --hang-after-stanza S: after the first stanza on
connection 1, stop reading and accepting for S seconds (a hung server
whose kernel still acknowledges), then close it and serve on.
--then STEP (repeatable) runs on connection 1 after its first stanza:
"send XML" writes XML, "wait TEXT" waits until TEXT arrived on it.
Exit status 0 once every --expect TEXT arrived in some stanza, 1 when
--timeout passes first.
"""
import argparse
import re
import socket
import ssl
import sys
import threading
import time

TOKEN = re.compile(
    r"\s+"
    r"|<\?xml[^>]*\?>"
    r"|<stream:stream\b[^>]*>"
    r"|</stream:stream>"
    r"|<([A-Za-z][\w:.-]*)\b[^>]*/>"
    r"|<([A-Za-z][\w:.-]*)\b[^>]*>.*?</\2>", re.S)
NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls'
LOCK = threading.Lock()


def say(text):
    with LOCK:
        print(text, flush=True)


def attr(el, name):
    m = re.search(r"\b%s=['\"]([^'\"]*)['\"]" % name, el)
    return m.group(1) if m else None


class Server:
    def __init__(self, a):
        self.a = a
        self.deadline = time.monotonic() + a.timeout
        self.accepting = threading.Event()
        self.accepting.set()
        self.expect = list(a.expect)
        self.done = threading.Event()

    def seen_stanza(self, text):
        with LOCK:
            self.expect = [e for e in self.expect if e not in text]
            if not self.expect and self.a.expect:
                self.done.set()

    def run(self):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((self.a.listen, self.a.port))
        ls.listen(16)
        ls.settimeout(0.2)
        say('LISTENING %s:%d' % (self.a.listen, self.a.port))
        n = 0
        while time.monotonic() < self.deadline and not self.done.is_set():
            if not self.accepting.is_set():
                time.sleep(0.05)
                continue
            try:
                sock, _ = ls.accept()
            except socket.timeout:
                continue
            n += 1
            say('CONN conn=%d' % n)
            threading.Thread(target=Conn(self, sock, n).run,
                             daemon=True).start()
        ok = self.done.is_set()
        say('RESULT %s' % ('ok' if ok else 'unexpected'))
        return ok


class Conn:
    def __init__(self, srv, sock, n):
        self.srv, self.a, self.sock, self.n = srv, srv.a, sock, n
        self.buf = ''
        self.bidi = False
        self.stanzas = 0
        self.steps = []
        self.seen = ''      # what arrived since the steps began

    def send(self, text):
        self.sock.sendall(text.encode())

    def token(self):
        """The next top-level token, or None at the end or the deadline."""
        while True:
            m = TOKEN.match(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m.group(0)
            left = self.srv.deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(min(left, 1.0))
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                return None
            text = data.decode('utf-8', 'replace')
            self.buf += text
            if self.steps:
                self.seen += text

    def header(self, features):
        while True:
            t = self.token()
            if t is None:
                return False
            if t.startswith('<stream:stream'):
                break
        say('HEADER from=%s to=%s conn=%d' % (attr(t, 'from'), attr(t, 'to'),
                                              self.n))
        dom = attr(t, 'to') or self.a.domain
        self.send("<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
                  "xmlns:stream='http://etherx.jabber.org/streams' "
                  "xmlns:db='jabber:server:dialback' from='%s' id='raw%d-%d' "
                  "version='1.0'><stream:features>%s</stream:features>"
                  % (dom, self.n, int(time.time() * 1000) % 100000, features))
        return True

    def negotiate(self):
        if not self.header("<starttls xmlns='%s'><required/></starttls>"
                          % NS_TLS):
            return False
        t = self.token()
        while t is not None and not t.strip():
            t = self.token()
        if t is None or not t.startswith('<starttls'):
            return False
        say('STARTTLS conn=%d' % self.n)
        self.send("<proceed xmlns='%s'/>" % NS_TLS)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.a.cert, self.a.key)
        self.sock.settimeout(max(0.1, self.srv.deadline - time.monotonic()))
        self.sock = ctx.wrap_socket(self.sock, server_side=True)
        self.buf = ''
        say('TLS %s conn=%d' % (self.sock.version(), self.n))
        feats = ''
        if self.a.sasl == 'refuse':
            feats += ("<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                      "<mechanism>EXTERNAL</mechanism></mechanisms>")
        feats += ("<dialback xmlns='urn:xmpp:features:dialback'><errors/>"
                  "</dialback>")
        if self.a.bidi:
            feats += "<bidi xmlns='urn:xmpp:features:bidi'/>"
        return self.header(feats)

    def run(self):
        try:
            if self.negotiate():
                self.serve()
        except (OSError, ssl.SSLError) as e:
            say('CLOSED conn=%d (%s)' % (self.n, e))
            return
        say('CLOSED conn=%d' % self.n)
        try:
            self.sock.close()
        except OSError:
            pass

    def serve(self):
        while True:
            self.run_steps()
            t = self.token()
            if t is None:
                return
            if not t.strip() or t.startswith('<?xml'):
                continue
            if not self.handle(t):
                return

    def handle(self, t):
        """One element from the connecting server; False to end."""
        n = self.n
        if t.startswith('</stream:stream>'):
            self.send('</stream:stream>')
            return False
        if t.startswith('<stream:error'):
            m = re.search(r"<([a-z-]+) xmlns='urn:ietf:params:xml:ns:"
                          r"xmpp-streams'", t)
            say('STREAM-ERROR cond=%s conn=%d' % (m.group(1) if m else '?', n))
            return False
        if t.startswith('<bidi'):
            self.bidi = True
            say('BIDI conn=%d' % n)
        elif t.startswith('<auth'):
            say('AUTH mechanism=%s conn=%d' % (attr(t, 'mechanism'), n))
            self.send("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                      "<not-authorized/></failure>")
            say('FAILURE-SENT conn=%d' % n)
        elif t.startswith('<db:result'):
            f, to, typ = attr(t, 'from'), attr(t, 'to'), attr(t, 'type')
            if typ:
                say('DBANSWER type=%s from=%s to=%s conn=%d' % (typ, f, to, n))
            else:
                say('DBRESULT from=%s to=%s conn=%d' % (f, to, n))
                self.send("<db:result from='%s' to='%s' type='valid'/>"
                          % (to, f))
        elif t.startswith('<db:verify'):
            f, to, i = attr(t, 'from'), attr(t, 'to'), attr(t, 'id')
            say('VERIFY from=%s to=%s conn=%d' % (f, to, n))
            self.send("<db:verify from='%s' to='%s' id='%s' type='valid'/>"
                      % (to, f, i))
        elif re.match(r'<(message|presence|iq)\b', t):
            return self.stanza(t)
        return True

    def stanza(self, t):
        n = self.n
        say('STANZA conn=%d %s' % (n, t[:300]))
        self.srv.seen_stanza(t)
        if (t.startswith('<iq') and attr(t, 'type') == 'get' and
                'urn:xmpp:ping' in t and self.bidi and self.a.bidi):
            self.send("<iq type='result' from='%s' to='%s' id='%s'/>"
                      % (attr(t, 'to'), attr(t, 'from'), attr(t, 'id')))
            say('PONG conn=%d' % n)
            return True
        self.stanzas += 1
        if n != 1 or self.stanzas != 1:
            return True
        if self.a.hang_after_stanza:
            say('HANG conn=%d' % n)
            self.srv.accepting.clear()
            time.sleep(self.a.hang_after_stanza)
            say('RESUME conn=%d' % n)
            self.srv.accepting.set()
            return False
        self.steps = list(self.a.then)
        return True

    def run_steps(self):
        while self.steps:
            kind, _, arg = self.steps[0].partition(' ')
            if kind == 'send':
                self.send(arg)
                say('SENT conn=%d %s' % (self.n, arg[:200]))
            elif kind == 'wait':
                if arg not in self.seen:
                    return
                say('SAW conn=%d %s' % (self.n, arg[:200]))
            self.steps.pop(0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--listen', required=True)
    p.add_argument('--port', type=int, default=5269)
    p.add_argument('--domain', required=True)
    p.add_argument('--cert', required=True)
    p.add_argument('--key', required=True)
    p.add_argument('--sasl', choices=('refuse', 'none'), default='refuse')
    p.add_argument('--bidi', action='store_true')
    p.add_argument('--hang-after-stanza', type=float, default=0)
    p.add_argument('--then', action='append', default=[])
    p.add_argument('--expect', action='append', default=[])
    p.add_argument('--timeout', type=float, default=30)
    a = p.parse_args()
    sys.exit(0 if Server(a).run() else 1)


if __name__ == '__main__':
    main()
