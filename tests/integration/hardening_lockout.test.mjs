// Login lockouts hold under a flood (PROTOCOL.md §5, §7 "repeated failures:
// rate_limited"): failures for ids that are not accounts cannot push a locked
// account out of the failure table, and failed logins have a global ceiling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Server, enrolledEmployee } from './lib/harness.mjs';
import { metric, pipelined } from './lib/attack.mjs';

const RIGHT = 'victim password 1';
const MOD_PW = 'moderator password 1';

async function lockOut(conn, op, fields, wrong, right) {
  for (let i = 0; i < 5; i++) assert.equal(await conn.err(op, { ...fields, password: wrong }), 'unauthenticated');
  assert.equal(await conn.err(op, { ...fields, password: right }), 'rate_limited', 'locked after 5 failures');
}

test('a flood of failures for unknown ids leaves locked accounts locked and the table small', async () => {
  // Per-connection limits off: this is about the server-wide failure table,
  // which an attacker reaches through many connections anyway.
  const server = await Server.start({ config: '[rate]\nauth = { per_second = 0 }\nops = { per_second = 0 }\n' });
  try {
    const admin = await server.admin();
    (await enrolledEmployee(server, admin, 'victim', RIGHT)).close();
    await admin.ok('staff.add', { username: 'mod_victim', role: 'moderator', password: MOD_PW });

    const issuer = await server.connect('issuer');
    await lockOut(issuer, 'login', { employee_id: 'victim' }, 'wrong password!', RIGHT);
    const staff = await server.connect('staff');
    await lockOut(staff, 'login', { username: 'mod_victim' }, 'wrong password!', MOD_PW);
    const keysBefore = await metric(server, 'hearth_login_failure_keys');

    // More distinct unknown ids than the old table held before it cleared
    // itself (100,000), as enrolls (one SHA-256 each) from 20 connections,
    // plus logins for staff accounts that do not exist.
    const conns = await Promise.all(Array.from({ length: 20 }, () => server.connect('issuer')));
    const codes = new Map();
    const n = 101_000;
    const answers = await pipelined(n, 2000, (i) => conns[i % conns.length].call('enroll',
      { employee_id: `nobody-${i}`, code: 'AAAAA-BBBBB-CCCCC-DDDDD', password: 'some password' }));
    for (const a of answers) {
      const code = a.ok ? 'ok' : a.error.code;
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    assert.ok(!codes.has('ok'), 'no enroll of an unknown id succeeds');
    const staffConns = await Promise.all(Array.from({ length: 5 }, () => server.connect('staff')));
    await pipelined(500, 50, (i) => staffConns[i % staffConns.length].call('login',
      { username: `ghost-${i}`, password: 'some password' }));

    // The locked accounts are still locked: their right passwords are refused.
    const issuer2 = await server.connect('issuer');
    assert.equal(await issuer2.err('login', { employee_id: 'victim', password: RIGHT }), 'rate_limited',
      `the employee lockout held (flood answers: ${JSON.stringify([...codes])})`);
    const staff2 = await server.connect('staff');
    assert.equal(await staff2.err('login', { username: 'mod_victim', password: MOD_PW }), 'rate_limited',
      'the staff lockout held');

    // Unknown ids did not grow the table: it holds the two real accounts.
    assert.ok(keysBefore !== undefined, '/metrics exports hearth_login_failure_keys');
    const keysAfter = await metric(server, 'hearth_login_failure_keys');
    assert.ok(keysAfter <= keysBefore + 2, `failure table: ${keysBefore} keys before, ${keysAfter} after the flood`);
    for (const c of [admin, issuer, staff, issuer2, staff2, ...conns, ...staffConns]) c.close();
  } finally { await server.stop(); server.cleanup(); }
});

test('failed logins have a server-wide ceiling per second', async () => {
  const server = await Server.start({
    config: '[rate]\nauth = { per_second = 0 }\nfailed_logins = { per_second = 0.5, burst = 20 }\n',
  });
  try {
    const admin = await server.admin();
    (await enrolledEmployee(server, admin, 'worker', RIGHT)).close();
    const conns = await Promise.all(Array.from({ length: 10 }, () => server.connect('issuer')));
    const answers = await pipelined(100, 10, (i) => conns[i % conns.length].call('login',
      { employee_id: `stranger-${i}`, password: 'guess guess guess' }));
    const failed = answers.filter((a) => a.error?.code === 'unauthenticated').length;
    const limited = answers.filter((a) => a.error?.code === 'rate_limited').length;
    assert.equal(failed + limited, 100);
    assert.ok(failed >= 20 && failed <= 25, `${failed} failures went through before the ceiling (burst 20)`);
    // While the ceiling is reached, every password check waits: even a right password.
    assert.equal(await conns[0].err('login', { employee_id: 'worker', password: RIGHT }), 'rate_limited');
    assert.ok((await metric(server, 'hearth_login_failures_limited_total')) >= limited);
    for (const c of [admin, ...conns]) c.close();
  } finally { await server.stop(); server.cleanup(); }
});
