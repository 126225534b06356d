// Key epochs are never short (PROTOCOL.md §7): an issuing window shorter
// than keys.min_window_days, or two rotations closer than that, would let an
// admin put one employee alone in an epoch. Revocation is the exception; the
// key made by `hearth init` does not count as a rotation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, HEARTH_BIN, fetchKeys } from './lib/harness.mjs';

test('keys.rotate: windows and spacing at least the minimum (default 1 day), except revocation', async () => {
  const server = await Server.start();
  try {
    const admin = await server.admin();
    const seq0 = (await fetchKeys(server)).seq;
    assert.equal(await admin.err('keys.rotate', { issue_days: 0.5, accept_days: 1 }), 'bad_request', 'a half-day window');
    assert.equal(await admin.err('keys.rotate', { issue_days: 9 / 86400 }), 'bad_request', 'a 9 s window');
    assert.equal((await fetchKeys(server)).seq, seq0, 'refused rotations changed nothing');

    // The init key does not count: a fresh server may rotate once at once.
    const r1 = await admin.ok('keys.rotate', { issue_days: 1, accept_days: 2, reason: 'first' });
    assert.equal(r1.seq, seq0 + 1);
    const r = await admin.call('keys.rotate', { reason: 'too soon' });
    assert.equal(r.error?.code, 'bad_request', 'a second rotation within a day');
    assert.match(r.error.message, /day/);

    // A revocation is always possible, and its fresh key counts as a rotation.
    const active = r1.keys.find((k) => k.state === 'active');
    const revoked = await admin.ok('keys.revoke', { key_id: active.key_id, reason: 'compromised' });
    assert.equal(revoked.seq, r1.seq + 1);
    assert.equal(await admin.err('keys.rotate', {}), 'bad_request', 'no rotation right after the replacement key');
    const retired = r1.keys.find((k) => k.state === 'retired');
    await admin.ok('keys.revoke', { key_id: retired.key_id, reason: 'cleanup' });
    admin.close();
  } finally { await server.stop(); server.cleanup(); }
});

test('keys.min_window_days is configurable; a config with a shorter issue_days is refused', async () => {
  const server = await Server.start({ config: '[keys]\nmin_window_days = 0.25\n' });
  try {
    const admin = await server.admin();
    assert.equal(await admin.err('keys.rotate', { issue_days: 0.2 }), 'bad_request');
    await admin.ok('keys.rotate', { issue_days: 0.25, accept_days: 1 });
    assert.equal(await admin.err('keys.rotate', { issue_days: 0.25 }), 'bad_request');
    admin.close();
  } finally { await server.stop(); server.cleanup(); }

  const dir = mkdtempSync(join(tmpdir(), 'hearth-keys-'));
  try {
    writeFileSync(join(dir, 'bad.toml'), '[keys]\nissue_days = 0.5\naccept_days = 1\n');
    const r = spawnSync(HEARTH_BIN, ['init', '--data', join(dir, 'data'), '--config', join(dir, 'bad.toml')], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /min_window_days|issue_days/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('hearth keys rotate keeps the same rules offline', async () => {
  const server = await Server.start();
  await server.stop();
  try {
    const rotate = (...args) => spawnSync(HEARTH_BIN, ['keys', 'rotate', '--data', server.data, '--config', server.configFile,
      ...args], { encoding: 'utf8' });
    const short = rotate('--issue-days', '0.1', '--accept-days', '1');
    assert.notEqual(short.status, 0, 'a short window is refused');
    assert.match(short.stderr, /day/);
    assert.equal(rotate().status, 0, 'the first rotation after init');
    const again = rotate();
    assert.notEqual(again.status, 0, 'a second one within a day is refused');
    assert.match(again.stderr, /day/);
  } finally { server.cleanup(); }
});
