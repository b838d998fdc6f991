#!/usr/bin/python3
"""raw_peer: a scripted, misbehaving XMPP server-to-server peer for tests.

It plays the initiating server from a chosen source address: stream
header (optionally preceded by raw bytes, e.g. a DOCTYPE), STARTTLS with an
optional client certificate, SASL EXTERNAL (with --sasl-fallback a refusal
does not end the script: dialback may follow), then its steps in order:
--send XML writes raw XML, --wait TEXT waits until TEXT arrived. Then it
reads until the server sends a stream error or closes (or --linger
seconds passed), and prints what it saw, one event a line:

  HEADER id=...          FEATURES starttls=... external=... dialback=... bidi=...
  PROCEED / SUCCESS / FAILURE cond     DBRESULT type=...
  SENT ... / SAW ...     STREAM-ERROR cond=... text=...       CLOSED

Every wait is bounded by --timeout. Exit status: 0 when --expect-error
names the condition received (or, without it, when the script ran
through), 1 otherwise.
"""
import argparse
import base64
import re
import socket
import ssl
import sys
import time

NS_STREAMS = 'urn:ietf:params:xml:ns:xmpp-streams'


class Peer:
    def __init__(self, args):
        self.args = args
        self.buf = ''
        self.deadline = time.monotonic() + args.timeout
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if args.bind:
            self.sock.bind((args.bind, 0))
        self.sock.settimeout(args.timeout)
        self.sock.connect((args.host, args.port))
        self.error = None
        self.closed = False

    def say(self, text):
        print(text, flush=True)

    def send(self, text):
        self.sock.sendall(text.encode())

    def header(self):
        a = self.args
        self.send("<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
                  "xmlns:stream='http://etherx.jabber.org/streams' "
                  "xmlns:db='jabber:server:dialback' from='%s' to='%s' "
                  "version='1.0'>" % (a.domain, a.to))

    def fill(self):
        """Read once more (bounded); False at end of stream or timeout."""
        left = self.deadline - time.monotonic()
        if left <= 0 or self.closed:
            return False
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except (socket.timeout, ssl.SSLError, OSError):
            return False
        if not data:
            self.closed = True
            return False
        self.buf += data.decode('utf-8', 'replace')
        self.check_error()
        return True

    def check_error(self):
        m = re.search(r'<stream:error>(.*?)</stream:error>', self.buf, re.S)
        if m and self.error is None:
            body = m.group(1)
            cond = re.search(r"<([a-z-]+) xmlns=['\"]%s['\"]" % NS_STREAMS, body)
            text = re.search(r'<text[^>]*>(.*?)</text>', body, re.S)
            self.error = cond.group(1) if cond else '?'
            self.say('STREAM-ERROR cond=%s text=%s' %
                     (self.error, text.group(1) if text else ''))

    def wait_for(self, pattern):
        """Until pattern is in the buffer; returns the match or None."""
        while True:
            m = re.search(pattern, self.buf, re.S)
            if m:
                self.buf = self.buf[m.end():]
                return m
            if self.error or not self.fill():
                return None

    def features(self):
        m = self.wait_for(r"<stream:stream[^>]*?id=['\"]([^'\"]*)['\"]")
        if not m:
            return None
        self.say('HEADER id=%s' % m.group(1))
        f = self.wait_for(r'<stream:features>(.*?)</stream:features>|<stream:features/>')
        if not f:
            return None
        feats = f.group(1) or ''
        self.say('FEATURES starttls=%s external=%s dialback=%s bidi=%s' % (
            'required' if '<required/>' in feats else
            ('yes' if 'starttls' in feats else 'no'),
            'yes' if 'EXTERNAL' in feats else 'no',
            'yes' if 'urn:xmpp:features:dialback' in feats else 'no',
            'yes' if 'urn:xmpp:features:bidi' in feats else 'no'))
        return feats

    def starttls(self):
        a = self.args
        self.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        if not self.wait_for(r'<proceed[^>]*/>'):
            return False
        self.say('PROCEED')
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if a.cert:
            ctx.load_cert_chain(a.cert, a.key)
        self.sock.settimeout(max(0.1, self.deadline - time.monotonic()))
        self.sock = ctx.wrap_socket(self.sock, server_hostname=a.to)
        self.say('TLS %s' % self.sock.version())
        self.buf = ''
        self.header()
        return True

    def sasl_external(self):
        authz = base64.b64encode((self.args.sasl_authzid or
                                  self.args.domain).encode()).decode()
        self.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
                  "mechanism='EXTERNAL'>%s</auth>" % authz)
        m = self.wait_for(r'<(success|failure)[^>]*?(/>|>(.*?)</failure>)')
        if not m:
            return False
        if m.group(1) == 'failure':
            cond = re.search(r'<([a-z-]+)/>', m.group(3) or '')
            self.say('FAILURE %s' % (cond.group(1) if cond else '?'))
            return False
        self.say('SUCCESS')
        self.buf = ''
        self.header()
        return self.features() is not None

    def report_results(self):
        for m in re.finditer(r"<db:result[^>]*type=['\"](\w+)['\"]", self.buf):
            self.say('DBRESULT type=%s' % m.group(1))
        self.buf = re.sub(r"<db:result[^>]*type=['\"]\w+['\"][^>]*/>", '',
                          self.buf)

    def drain(self):
        """Read until a stream error, the end of the stream, or timeout."""
        if self.args.linger is not None:
            self.deadline = min(self.deadline,
                                time.monotonic() + self.args.linger)
        while True:
            self.report_results()
            if self.error or not self.fill():
                break
        self.report_results()
        if self.closed or '</stream:stream>' in self.buf:
            self.say('CLOSED')


class Step(argparse.Action):
    """--send and --wait, kept in the order given."""
    def __call__(self, parser, ns, values, option_string=None):
        ns.steps = list(ns.steps or []) + [(self.const, values)]


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--host', required=True)
    p.add_argument('--port', type=int, default=5269)
    p.add_argument('--bind', help='source address')
    p.add_argument('--domain', required=True, help="our 'from' domain")
    p.add_argument('--to', required=True)
    p.add_argument('--prelude', default='', help='raw bytes before the header')
    p.add_argument('--no-header', action='store_true',
                   help='send only the prelude (it holds its own header)')
    p.add_argument('--starttls', action='store_true')
    p.add_argument('--cert')
    p.add_argument('--key')
    p.add_argument('--sasl-external', action='store_true')
    p.add_argument('--sasl-authzid', help='authorization identity to ask for')
    p.add_argument('--sasl-fallback', action='store_true',
                   help='go on (e.g. with dialback) after a SASL failure')
    p.add_argument('--send', action=Step, const='send', dest='steps',
                   default=[], help='raw XML to send after negotiation')
    p.add_argument('--wait', action=Step, const='wait', dest='steps',
                   help='wait until this text arrived')
    p.add_argument('--expect-error')
    p.add_argument('--linger', type=float,
                   help='after the steps, read this long at most')
    p.add_argument('--timeout', type=float, default=15)
    args = p.parse_args()

    peer = Peer(args)
    if args.prelude:
        peer.send(args.prelude)
    if not args.no_header:
        peer.header()
    ok = True
    if not args.no_header:
        ok = peer.features() is not None
    if ok and args.starttls:
        ok = peer.starttls() and peer.features() is not None
    if ok and args.sasl_external:
        ok = peer.sasl_external() or args.sasl_fallback
    for kind, text in args.steps if ok else []:
        if kind == 'send':
            peer.send(text)
            peer.say('SENT %s' % text[:120])
        elif peer.wait_for(re.escape(text)):
            peer.say('SAW %s' % text[:120])
        else:
            ok = False
            break
    peer.drain()
    if args.expect_error:
        good = peer.error == args.expect_error
    else:
        good = ok and peer.error is None
    print('RESULT %s' % ('ok' if good else 'unexpected'), flush=True)
    sys.exit(0 if good else 1)


if __name__ == '__main__':
    main()
