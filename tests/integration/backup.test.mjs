// `hearth backup` while the server runs (it makes the copy through its control
// socket), then `hearth restore` into a stopped directory gives back exactly
// the backed-up content.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Server, HEARTH_BIN, signedPost, pseudonymOnForum, login } from './lib/harness.mjs';

const hearth = (...args) => execFileSync(HEARTH_BIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

test('online backup, mutate, restore', async () => {
  const server = await Server.start();
  try {
    const admin = await server.admin();
    const me = await pseudonymOnForum(server, admin, 'backup-employee', 'keeper');
    const kept = (await me.forum.ok('post', signedPost(server, me.p, 'general', 'before the backup'))).post;
    const backupDir = join(server.dir, 'backup-1');
    assert.match(hearth('backup', '--data', server.data, '--to', backupDir), /running server backed up/);
    assert.throws(() => hearth('backup', '--data', server.data, '--to', backupDir), /already exists/);
    // A second server on the same data directory is refused with a clear message.
    assert.throws(() => hearth('serve', '--data', server.data, '--listen', '127.0.0.1:0'),
      (e) => e.status === 1 && /in use by another hearth process/.test(e.stderr));

    const lost = (await me.forum.ok('post', signedPost(server, me.p, 'general', 'after the backup'))).post;
    me.forum.close();
    admin.close();
    assert.throws(() => hearth('restore', '--from', backupDir, '--data', server.data), /in use|running|stop/i,
      'restore refuses a directory a server has open');
    await server.stop();
    hearth('restore', '--from', backupDir, '--data', server.data);
    await server.launch();

    const f = await server.connect('forum');
    await login(f, server, me.p);
    const ids = (await f.ok('feed', { channel: 'general' })).posts.map((p) => p.id);
    assert.ok(ids.includes(kept.id));
    assert.ok(!ids.includes(lost.id));
    f.close();
  } finally { await server.stop(); server.cleanup(); }
});

// After a restart the block cache is empty: an op begun on an I/O thread
// whose records are only on disk is redone on the worker pool (counted in
// /metrics) and answers like any other.
test('ops whose records are only on disk are handed to the pool and succeed', async () => {
  const server = await Server.start();
  try {
    const admin = await server.admin();
    const me = await pseudonymOnForum(server, admin, 'disk-employee', 'on_disk');
    const first = (await me.forum.ok('post', signedPost(server, me.p, 'general', 'before the restart'))).post;
    me.forum.close();
    admin.close();
    // A backup flushes the memtables into table files; the restart starts
    // with an empty memtable and block cache.
    hearth('backup', '--data', server.data, '--to', join(server.dir, 'flush'));
    await server.stop();
    await server.launch();

    const handoffs = async () => {
      const text = await (await fetch(server.url + '/metrics')).text();
      return Number(/^hearth_io_handoffs_total (\d+)$/m.exec(text)[1]);
    };
    assert.equal(await handoffs(), 0);
    const f = await server.connect('forum');
    const { pseudonym } = await login(f, server, me.p);  // the pseudonym record is on disk only
    assert.equal(pseudonym.handle, 'on_disk');
    assert.ok(await handoffs() >= 1, 'the login was redone on the pool');
    // A flag reads the flagged post, which is on disk only: handed off too.
    const before = await handoffs();
    await f.ok('flag', { post_id: first.id, reason: 'spam' });
    assert.ok(await handoffs() > before, 'the flag was redone on the pool');
    const second = (await f.ok('post', signedPost(server, me.p, 'general', 'after the restart'))).post;
    const ids = (await f.ok('feed', { channel: 'general' })).posts.map((p) => p.id);
    assert.ok(ids.includes(first.id) && ids.includes(second.id));
    f.close();
  } finally { await server.stop(); server.cleanup(); }
});
