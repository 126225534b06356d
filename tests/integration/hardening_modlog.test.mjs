// Moderation-log entries about a post say what the post is now: `post_state`
// ("visible", "hidden" or "deleted") and, while it is visible, an `excerpt`
// of its first 120 code points (docs/protocol.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Server, signedPost, pseudonymOnForum } from './lib/harness.mjs';

test('modlog entries about posts carry excerpt and post_state, as the post is now', async () => {
  const server = await Server.start();
  try {
    const admin = await server.admin();
    const author = await pseudonymOnForum(server, admin, 'log-author', 'log_author');
    const body = '\u00e9\u{1F600}'.repeat(100) + ' and the rest of a long post';  // 228 code points
    const post = (await author.forum.ok('post', signedPost(server, author.p, 'general', body))).post;
    const expected = [...body].slice(0, 120).join('');

    await admin.ok('hide', { post_id: post.id, reason: 'rude' });
    let [hide] = (await author.forum.ok('modlog', { limit: 1 })).entries;
    assert.equal(hide.action, 'hide');
    assert.equal(hide.post_state, 'hidden');
    assert.equal(hide.excerpt, null, 'no excerpt of a hidden post');

    await admin.ok('restore', { post_id: post.id, reason: 'on appeal' });
    const log = (await author.forum.ok('modlog', { limit: 2 })).entries;
    assert.deepEqual(log.map((e) => [e.action, e.post_state, e.excerpt]),
      [['restore', 'visible', expected], ['hide', 'visible', expected]], 'both entries show the post as it is now');
    assert.equal([...log[0].excerpt].length, 120);
    // Staff read the same entries.
    const staffLog = (await admin.ok('modlog', { limit: 1 })).entries;
    assert.equal(staffLog[0].excerpt, expected);

    await author.forum.ok('delete', { post_id: post.id });
    for (const e of (await author.forum.ok('modlog', { limit: 2 })).entries) {
      assert.equal(e.post_state, 'deleted');
      assert.equal(e.excerpt, null);
    }

    // A short post's excerpt is the whole body; entries about other things carry neither field.
    const short = (await author.forum.ok('post', signedPost(server, author.p, 'general', 'brief'))).post;
    await admin.ok('hide', { post_id: short.id, reason: 'x' });
    await admin.ok('restore', { post_id: short.id, reason: 'y' });
    await admin.ok('ban', { handle: 'log_author', reason: 'z' });
    await admin.ok('keys.rotate', { reason: 'scheduled' });
    const [rotate, ban, restore] = (await admin.ok('modlog', { limit: 3 })).entries;
    assert.equal(restore.excerpt, 'brief');
    assert.equal(restore.post_state, 'visible');
    for (const e of [rotate, ban]) {
      assert.ok(!('excerpt' in e) && !('post_state' in e), `${e.action} entries are not about a post`);
    }
    admin.close(); author.forum.close();
  } finally { await server.stop(); server.cleanup(); }
});
