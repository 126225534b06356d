// Staff change their own password: `staff.passwd {old_password, new_password}`
// on /v1/staff, and `hearth staff passwd` on the command line (offline).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Server, HEARTH_BIN } from './lib/harness.mjs';

async function staffLogin(server, username, password) {
  const c = await server.connect('staff');
  const r = await c.call('login', { username, password });
  c.close();
  return r.ok ? 'ok' : r.error.code;
}

test('staff.passwd changes the signed-in account\'s password', async () => {
  const server = await Server.start();
  try {
    const admin = await server.admin();
    await admin.ok('staff.add', { username: 'pw_mod', role: 'moderator', password: 'first password' });
    const anon = await server.connect('staff');
    assert.equal(await anon.err('staff.passwd', { old_password: 'first password', new_password: 'second password' }),
      'unauthenticated');
    const mod = await server.connect('staff');
    await mod.ok('login', { username: 'pw_mod', password: 'first password' });
    assert.equal(await mod.err('staff.passwd', { old_password: 'first password' }), 'bad_request');
    assert.equal(await mod.err('staff.passwd', { old_password: 'first password', new_password: 7 }), 'bad_request');
    assert.equal(await mod.err('staff.passwd', { old_password: 'first password', new_password: 'short' }), 'bad_request');
    assert.equal(await mod.err('staff.passwd', { old_password: 'wrong password', new_password: 'second password' }),
      'unauthenticated');
    assert.equal(await staffLogin(server, 'pw_mod', 'first password'), 'ok', 'failed changes changed nothing');

    assert.deepEqual(await mod.ok('staff.passwd', { old_password: 'first password', new_password: 'second password' }), {});
    assert.equal(await staffLogin(server, 'pw_mod', 'first password'), 'unauthenticated');
    assert.equal(await staffLogin(server, 'pw_mod', 'second password'), 'ok');
    await mod.ok('flags');  // the session that changed it goes on

    const audit = await admin.ok('audit', { limit: 5 });
    const entry = audit.entries.find((e) => e.action === 'staff.passwd');
    assert.ok(entry, 'the change is in the audit log');
    assert.equal(entry.actor, 'pw_mod');
    assert.ok(!JSON.stringify(audit).includes('second password'), 'never the password');

    // Wrong old passwords count as failed logins: five lock the account.
    for (let i = 0; i < 5; i++) {
      assert.equal(await mod.err('staff.passwd', { old_password: `guess ${i} guess`, new_password: 'third password' }),
        'unauthenticated');
    }
    assert.equal(await mod.err('staff.passwd', { old_password: 'second password', new_password: 'third password' }),
      'rate_limited');
    for (const c of [admin, anon, mod]) c.close();
  } finally { await server.stop(); server.cleanup(); }
});

test('hearth staff passwd sets a password offline, from a file or generated', async () => {
  const server = await Server.start();
  try {
    const admin = await server.admin();
    await admin.ok('staff.add', { username: 'cli_mod', role: 'moderator', password: 'first password' });
    admin.close();
    await server.stop();

    const passwd = (...args) => spawnSync(HEARTH_BIN, ['staff', 'passwd', '--data', server.data, '--config', server.configFile,
      ...args], { encoding: 'utf8' });
    assert.equal(spawnSync(HEARTH_BIN, ['staff', 'passwd', '--help'], { encoding: 'utf8' }).status, 0);
    const pwFile = join(server.dir, 'new.pw');
    writeFileSync(pwFile, 'from a file password\n');
    const fromFile = passwd('--username', 'cli_mod', '--password-file', pwFile);
    assert.equal(fromFile.status, 0, fromFile.stderr);
    writeFileSync(pwFile, 'short\n');
    assert.notEqual(passwd('--username', 'cli_mod', '--password-file', pwFile).status, 0, 'a short password is refused');
    const unknown = passwd('--username', 'nobody_here');
    assert.notEqual(unknown.status, 0);
    assert.match(unknown.stderr, /nobody_here/);

    await server.launch();
    assert.equal(await staffLogin(server, 'cli_mod', 'from a file password'), 'ok');
    await server.stop();

    const generated = passwd('--username', 'cli_mod');
    assert.equal(generated.status, 0, generated.stderr);
    const pw = /password: (\S+)/.exec(generated.stdout)?.[1];
    assert.ok(pw && pw.length >= 10, `prints the new password once: ${generated.stdout}`);
    await server.launch();
    assert.equal(await staffLogin(server, 'cli_mod', pw), 'ok');
    assert.equal(await staffLogin(server, 'cli_mod', 'from a file password'), 'unauthenticated');
  } finally { await server.stop(); server.cleanup(); }
});
