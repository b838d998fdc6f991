#!/usr/bin/python3
"""xmpp_user: a scripted XMPP user (slixmpp) for the end-to-end tests.

It logs in to a real server (c2s on loopback inside the test's network
namespace), then reads commands, one a line, from a FIFO (--commands) and
prints one line per event it sees, so that a shell test can drive a
conversation step by step and wait (bounded) for each line in the log:

  commands                              printed events
  send JID TEXT                         SESSION jid
  chat-state JID composing|paused|...   RECV message from=JID body=TEXT
  subscribe JID                         RECV chat-state from=JID state=S
  approve JID      (subscribed)         RECV error from=JID cond=C
  deny JID         (unsubscribed)       RECV subscribe from=JID
  unsubscribe JID                       RECV subscribed from=JID
  presence SHOW [STATUS...]             RECV unsubscribe(d) from=JID
     (available|away|xa|dnd|chat|unavailable)
                                        RECV presence from=JID show=S status=T
  probe JID                             RECV unavailable from=JID
  quit

Every wait is the test's (rig_wait_log); this script itself stops after
--lifetime seconds at the latest, so nothing outlives a test.
"""
import argparse
import asyncio
import os
import sys

import slixmpp


class User(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        self.done = False
        self['feature_mechanisms'].unencrypted_plain = True
        self.register_plugin('xep_0085')    # chat states
        self.register_plugin('xep_0199')
        # the roster is the server's business: we answer by command only
        self.auto_authorize = None
        self.auto_subscribe = False
        self.add_event_handler('session_start', self.on_start)
        self.add_event_handler('message', self.on_message)
        self.add_event_handler('message_error', self.on_error)
        self.add_event_handler('chatstate', self.on_chat_state)
        for kind in ('subscribe', 'subscribed', 'unsubscribe',
                     'unsubscribed'):
            self.add_event_handler('presence_' + kind, self.on_sub(kind))
        # every presence stanza, roster or not (presence_available is only
        # raised for some of them)
        self.add_event_handler('presence', self.on_any_presence)
        self.add_event_handler('failed_auth', self.on_failed)
        self.add_event_handler('connection_failed', self.on_failed)
        self.add_event_handler('disconnected', self.on_disconnected)

    def on_disconnected(self, event):
        self.say('DISCONNECTED')
        self.done = True

    def say(self, text):
        print(text, flush=True)

    async def on_start(self, event):
        self.send_presence()
        await self.get_roster()
        self.say('SESSION %s' % self.boundjid.bare)
        asyncio.ensure_future(self.read_commands())

    def on_failed(self, event):
        self.say('FAILED %s' % (event,))
        self.done = True

    def on_message(self, msg):
        if msg['type'] == 'error':
            return
        if msg['body']:
            self.say('RECV message from=%s type=%s body=%s' %
                     (msg['from'].bare, msg['type'], msg['body']))

    def on_error(self, msg):
        self.say('RECV error from=%s cond=%s text=%s' %
                 (msg['from'].bare, msg['error']['condition'],
                  msg['error']['text']))

    def on_chat_state(self, msg):
        self.say('RECV chat-state from=%s state=%s' %
                 (msg['from'].bare, msg['chat_state']))

    def on_sub(self, kind):
        def handler(pres):
            self.say('RECV %s from=%s' % (kind, pres['from'].bare))
        return handler

    def on_any_presence(self, pres):
        if pres['from'].bare == self.boundjid.bare:
            return
        ptype = pres['type']
        if ptype == 'unavailable':
            self.say('RECV unavailable from=%s status=%s' %
                     (pres['from'].bare, pres['status']))
        elif ptype in ('available', 'away', 'chat', 'dnd', 'xa'):
            self.say('RECV presence from=%s show=%s status=%s' %
                     (pres['from'].bare, pres['show'] or 'available',
                      pres['status']))

    def command(self, line):
        words = line.split()
        if not words:
            return
        cmd, rest = words[0], words[1:]
        if cmd == 'send' and len(rest) >= 2:
            self.send_message(mto=rest[0], mbody=' '.join(rest[1:]),
                              mtype='chat')
        elif cmd == 'chat-state' and len(rest) == 2:
            msg = self.make_message(mto=rest[0], mtype='chat')
            msg['chat_state'] = rest[1]
            msg.send()
        elif cmd == 'subscribe' and len(rest) == 1:
            self.send_presence(pto=rest[0], ptype='subscribe')
        elif cmd == 'approve' and len(rest) == 1:
            self.send_presence(pto=rest[0], ptype='subscribed')
        elif cmd == 'deny' and len(rest) == 1:
            self.send_presence(pto=rest[0], ptype='unsubscribed')
        elif cmd == 'unsubscribe' and len(rest) == 1:
            self.send_presence(pto=rest[0], ptype='unsubscribe')
        elif cmd == 'probe' and len(rest) == 1:
            self.send_presence(pto=rest[0], ptype='probe')
        elif cmd == 'presence' and rest:
            show, status = rest[0], ' '.join(rest[1:]) or None
            if show == 'unavailable':
                self.send_presence(ptype='unavailable', pstatus=status)
            elif show == 'available':
                self.send_presence(pstatus=status)
            else:
                self.send_presence(pshow=show, pstatus=status)
        elif cmd == 'quit':
            self.done = True
            return
        else:
            self.say('BAD command: %s' % line)
            return
        self.say('DID %s' % line)

    async def read_commands(self):
        loop = asyncio.get_event_loop()
        fd = os.open(self.args.commands, os.O_RDWR | os.O_NONBLOCK)
        buf = b''
        queue = asyncio.Queue()

        def readable():
            try:
                data = os.read(fd, 4096)
            except BlockingIOError:
                return
            queue.put_nowait(data)
        loop.add_reader(fd, readable)
        while True:
            data = await queue.get()
            buf += data
            while b'\n' in buf:
                line, buf = buf.split(b'\n', 1)
                self.command(line.decode('utf-8', 'replace').strip())


async def run(args):
    user = User(args)
    user.connect((args.host, args.port), force_starttls=False,
                 disable_starttls=True)
    loop = asyncio.get_event_loop()
    end = loop.time() + args.lifetime
    while loop.time() < end and not user.done:
        await asyncio.sleep(0.05)
    user.disconnect()
    await asyncio.sleep(0.2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--jid', required=True)
    ap.add_argument('--password', required=True)
    ap.add_argument('--host', required=True)
    ap.add_argument('--port', type=int, default=5222)
    ap.add_argument('--commands', required=True, help='FIFO to read')
    ap.add_argument('--lifetime', type=float, default=300)
    args = ap.parse_args()
    asyncio.get_event_loop().run_until_complete(run(args))
    return 0


if __name__ == '__main__':
    sys.exit(main())
