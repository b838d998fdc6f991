#!/usr/bin/python3
"""xmpp_client: a bounded XMPP client (slixmpp) for the integration tests.

It logs in to a real server (c2s, plain, no TLS: the tests run on
loopback inside a network namespace), sends what it is told, and waits --
never longer than --timeout -- for what it expects. Every stanza it gets
is printed as one line ("RECV ..."), so the test's log shows what
happened. Exit status: 0 expectations met, 1 timeout, 2 failed (login, ping).

  xmpp_client.py --jid alice@xmpp.test --password pw --host 127.0.0.1 \\
      --send bob@sip.test "hello" --expect-from bob@sip.test \\
      --expect-body "echo: hello" --timeout 20
"""
import argparse
import asyncio
import sys

import slixmpp


class Client(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        self.ok = False
        self.failed = False
        self.got = 0
        self['feature_mechanisms'].unencrypted_plain = True
        self.register_plugin('xep_0199')
        self.add_event_handler('session_start', self.on_start)
        self.add_event_handler('message', self.on_message)
        self.add_event_handler('message_error', self.on_message)
        self.add_event_handler('presence_subscribed', self.on_subscribed)
        self.add_event_handler('failed_auth', self.on_failed)
        self.add_event_handler('connection_failed', self.on_failed)

    def say(self, text):
        print(text, flush=True)

    async def on_start(self, event):
        self.send_presence()
        self.say('SESSION %s' % self.boundjid)
        for to in self.args.subscribe:
            self.send_presence(pto=to, ptype='subscribe')
            self.say('SENT subscribe to=%s' % to)
        for i in range(self.args.repeat):
            for to, body in self.args.send:
                text = body if self.args.repeat == 1 else '%s %d' % (body, i)
                self.send_message(mto=to, mbody=text, mtype='chat')
                self.say('SENT to=%s body=%s' % (to, text))
        if self.args.ping:
            try:
                rtt = await self['xep_0199'].ping(self.args.ping,
                                                  timeout=self.args.timeout)
                self.say('RECV pong from=%s rtt=%.3f' % (self.args.ping, rtt))
                self.ok = True
            except Exception as e:  # IqError, IqTimeout
                self.say('PING failed: %s' % (e,))
                self.failed = True
            return
        if not self.args.expect_body and not self.args.expect_error and \
                not self.args.expect_subscribed:
            self.ok = True

    def matches_from(self, jid):
        want = self.args.expect_from
        return want is None or jid.bare == want or str(jid) == want

    def on_message(self, msg):
        if msg['type'] == 'error':
            cond = msg['error']['condition']
            self.say('RECV error from=%s cond=%s text=%s' %
                     (msg['from'], cond, msg['error']['text']))
            if self.args.expect_error and cond == self.args.expect_error \
                    and self.matches_from(msg['from']):
                self.ok = True
            return
        self.say('RECV message from=%s body=%s' % (msg['from'], msg['body']))
        want = self.args.expect_body
        if want and self.matches_from(msg['from']) and \
                msg['body'].startswith(want):
            self.got += 1
            if self.got >= self.args.count:
                self.ok = True

    def on_subscribed(self, pres):
        self.say('RECV subscribed from=%s' % pres['from'])
        if self.args.expect_subscribed and self.matches_from(pres['from']):
            self.ok = True

    def on_failed(self, event):
        self.say('FAILED %s' % (event,))
        self.failed = True


async def run(args):
    c = Client(args)
    c.connect((args.host, args.port), force_starttls=False,
              disable_starttls=True)
    loop = asyncio.get_event_loop()
    end = loop.time() + args.timeout
    while loop.time() < end and not c.ok and not c.failed:
        await asyncio.sleep(0.05)
    ok, failed = c.ok, c.failed
    c.disconnect()
    await asyncio.sleep(0.1)
    if failed and not ok:
        print('RESULT failed', flush=True)
        return 2
    print('RESULT %s' % ('ok' if ok else 'timeout'), flush=True)
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--jid', required=True)
    p.add_argument('--password', required=True)
    p.add_argument('--host', required=True)
    p.add_argument('--port', type=int, default=5222)
    p.add_argument('--send', nargs=2, action='append', default=[],
                   metavar=('TO', 'BODY'))
    p.add_argument('--repeat', type=int, default=1,
                   help='send each --send this many times (body + " N")')
    p.add_argument('--subscribe', action='append', default=[])
    p.add_argument('--expect-from')
    p.add_argument('--expect-body', help='a message body starting with this')
    p.add_argument('--count', type=int, default=1,
                   help='how many --expect-body messages to wait for')
    p.add_argument('--expect-error', help='an error message with this condition')
    p.add_argument('--expect-subscribed', action='store_true')
    p.add_argument('--ping', help='XEP-0199 ping this JID and wait for the answer')
    p.add_argument('--timeout', type=float, default=20)
    args = p.parse_args()
    sys.exit(asyncio.run(run(args)))


if __name__ == '__main__':
    main()
