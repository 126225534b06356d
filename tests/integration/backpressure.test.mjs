// A subscriber that cannot keep up is closed with 1008 instead of the server
// buffering without bound (PROTOCOL §6, DESIGN reliability promises).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Server, signedPost, pseudonymOnForum, sleep } from './lib/harness.mjs';

async function slowClosed(server) {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/hearth_slow_subscribers_closed_total (\d+)/.exec(text)[1]);
}

test('a subscriber that stops reading is disconnected with 1008; others are unaffected', async () => {
  const server = await Server.start({
    config: '[limits]\nwrite_queue_messages = 16\nwrite_queue_bytes = 262144\nclose_timeout = 30\n' +
            '[rate]\npost = { per_second = 100000, burst = 100000 }\nops = { per_second = 100000, burst = 100000 }\n',
  });
  try {
    const admin = await server.admin();
    const author = await pseudonymOnForum(server, admin, 'bp-author', 'bp_author');
    const slow = await pseudonymOnForum(server, admin, 'bp-slow', 'bp_slow');
    const fast = await pseudonymOnForum(server, admin, 'bp-fast', 'bp_fast');
    await slow.forum.ok('subscribe', { channel: 'general' });
    await fast.forum.ok('subscribe', { channel: 'general' });
    slow.forum.ws._socket.pause();   // stop reading: the kernel buffers fill, then the server's queue

    const body = 'x'.repeat(9000);
    let sent = 0;
    while ((await slowClosed(server)) === 0 && sent < 3000) {
      await Promise.all(Array.from({ length: 50 }, () => author.forum.ok('post', signedPost(server, author.p, 'general', body))));
      sent += 50;
    }
    assert.equal(await slowClosed(server), 1, `closed after ${sent} posts`);

    slow.forum.ws._socket.resume();
    const { code } = await slow.forum.closed;
    assert.equal(code, 1008);
    // The fast subscriber got every post and is still connected.
    for (let i = 0; i < 100 && fast.forum.events.filter((e) => e.event === 'post').length < sent; i++) await sleep(50);
    assert.equal(fast.forum.events.filter((e) => e.event === 'post').length, sent);
    assert.equal(fast.forum.ws.readyState, 1);
    await fast.forum.ok('challenge');
    admin.close(); author.forum.close(); fast.forum.close();
  } finally { await server.stop(); server.cleanup(); }
});
