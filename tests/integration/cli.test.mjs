// The command line as an operator meets it: --help everywhere, exit code 2
// and the usage for a bad flag, and config files whose mistakes are named
// before anything starts; `wal_sync_interval_ms` takes effect (a lone write is
// not held back by a long interval, and the WAL sync counter moves).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, HEARTH_BIN, ADMIN_PASSWORD, pseudonymOnForum, signedPost, sleep } from './lib/harness.mjs';

const run = (...args) => spawnSync(HEARTH_BIN, args, { encoding: 'utf8' });

test('--help on every command, exit 0', () => {
  for (const cmd of [[], ['init'], ['serve'], ['roster'], ['roster', 'import'], ['staff'], ['staff', 'add'],
    ['keys'], ['keys', 'rotate'], ['backup'], ['restore']]) {
    const r = run(...cmd, '--help');
    assert.equal(r.status, 0, `hearth ${cmd.join(' ')} --help: ${r.stderr}`);
    assert.match(r.stdout, /Usage|OPTIONS|Options/i, `hearth ${cmd.join(' ')} --help prints a usage`);
  }
  assert.match(run('serve', '--help').stdout, /--listen/);
  assert.match(run('init', '--help').stdout, /--data/);
});

test('a bad flag or a missing value: exit 2 with the usage of that command', () => {
  const bad = run('serve', '--data', tmpdir(), '--no-such-flag');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /no-such-flag/);
  assert.match(bad.stderr, /--listen/, 'the usage of serve follows');
  const missing = run('backup', '--data', tmpdir());
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /--to/);
});

test('config mistakes are named and nothing starts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-cli-'));
  const data = join(dir, 'data');
  writeFileSync(join(dir, 'admin.pw'), ADMIN_PASSWORD + '\n');
  const init = run('init', '--data', data, '--admin-password-file', join(dir, 'admin.pw'));
  assert.equal(init.status, 0, init.stderr);
  const cases = [
    ['[server]\nno_such_setting = 1\n', /server\.no_such_setting/],
    ['[nosection]\n', /unknown section \[nosection\]/],
    ['[server]\nwal_sync_interval_ms = 5000\n', /wal_sync_interval_ms.*0 to 1000/],
    ['[server]\nwal_sync_interval_ms = "fast"\n', /wal_sync_interval_ms/],
    ['[forum]\ntime_granularity = 0\n', /time_granularity/],
    ['[storage]\nblock_cache_mb = 0\n', /block_cache_mb.*1 to 1048576/],
    ['[server\n', /line 1/],
  ];
  for (const [toml, message] of cases) {
    const cfg = join(dir, 'bad.toml');
    writeFileSync(cfg, toml);
    const r = run('serve', '--data', data, '--listen', '127.0.0.1:0', '--config', cfg);
    assert.notEqual(r.status, 0, `${JSON.stringify(toml)} is refused`);
    assert.match(r.stderr, message, `${JSON.stringify(toml)}: ${r.stderr}`);
    assert.doesNotMatch(r.stdout, /listening/);
  }
  const again = run('init', '--data', data, '--admin-password-file', join(dir, 'admin.pw'));
  assert.notEqual(again.status, 0);
  assert.match(again.stderr, /already initialised/);
});

async function metric(server, name) {
  const text = await (await fetch(server.url + '/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return Number(line.split(' ')[1]);
}

test('wal_sync_interval_ms: a post after a quiet spell is synced at once; one right after a sync waits', async () => {
  // A long interval (1 s) makes the two cases far apart, so that the
  // assertions hold on a loaded machine too.
  const server = await Server.start({ config: '[server]\nwal_sync_interval_ms = 1000\n' });
  try {
    const { forum, p } = await pseudonymOnForum(server, await server.admin(), 'emp-cli', 'cli_user');
    await sleep(1100);  // past the interval of the syncs made while certifying
    const syncs = await metric(server, 'hearth_wal_syncs_total');
    const waits = await metric(server, 'hearth_durable_waits_total');
    let t = performance.now();
    const first = await forum.ok('post', signedPost(server, p, 'general', 'one lone post'));
    const lone = performance.now() - t;
    assert.ok(first.post.id);
    assert.ok(lone < 500, `a lone post is not held for the interval (${lone.toFixed(0)} ms)`);
    assert.ok(await metric(server, 'hearth_wal_syncs_total') > syncs, 'its reply waited for a WAL sync');
    assert.ok(await metric(server, 'hearth_durable_waits_total') > waits);
    t = performance.now();
    await forum.ok('post', signedPost(server, p, 'general', 'a second post'));
    const second = performance.now() - t;
    assert.ok(second >= 300, `a post right after a sync waits for the next interval (${second.toFixed(0)} ms)`);
    forum.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});
