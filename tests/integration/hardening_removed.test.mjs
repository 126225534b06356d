// Removing an account ends its open sessions: a removed moderator cannot go
// on reading flags or the moderation log, and a removed employee's issuer
// connections are closed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, enrolledEmployee, sleep } from './lib/harness.mjs';

let server, admin;
before(async () => { server = await Server.start(); admin = await server.admin(); });
after(async () => { admin?.close(); await server?.stop(); server?.cleanup(); });

// The close of a connection, or null if it is still open after timeoutMs.
async function closedWithin(client, timeoutMs) {
  return Promise.race([client.closed, sleep(timeoutMs).then(() => null)]);
}

// An op's reply, or 'closed' if the connection closes first. Once the
// server's close frame has arrived the socket is closing and `ws` refuses the
// send itself: that counts as closed too.
async function replyOrClose(client, op, fields = {}) {
  const reply = client.call(op, fields).catch((e) => {
    if (client.ws.readyState !== 1) return client.closed.then(() => 'closed');
    throw e;
  });
  return Promise.race([reply, client.closed.then(() => 'closed')]);
}

test('a removed moderator: its open session is closed and reads nothing more', async () => {
  await admin.ok('staff.add', { username: 'leaving_mod', role: 'moderator', password: 'moderator password' });
  const mod = await server.connect('staff');
  await mod.ok('login', { username: 'leaving_mod', password: 'moderator password' });
  await mod.ok('flags');
  const other = await server.connect('staff');
  await other.ok('login', { username: 'leaving_mod', password: 'moderator password' });

  await admin.ok('staff.remove', { username: 'leaving_mod' });
  for (const op of ['flags', 'modlog']) {
    const r = await replyOrClose(mod, op);
    assert.ok(r === 'closed' || r.error?.code === 'unauthenticated', `${op} after removal: ${JSON.stringify(r)}`);
  }
  for (const c of [mod, other]) {
    const closed = await closedWithin(c, 3000);
    assert.ok(closed, 'the session was closed');
    assert.equal(closed.code, 1008);
  }
  const again = await server.connect('staff');
  assert.equal(await again.err('login', { username: 'leaving_mod', password: 'moderator password' }), 'unauthenticated');
  again.close();
});

test('a removed admin is closed too; other staff sessions stay', async () => {
  await admin.ok('staff.add', { username: 'second_admin', role: 'admin', password: 'admin password 2' });
  await admin.ok('staff.add', { username: 'staying_mod', role: 'moderator', password: 'moderator password' });
  const a2 = await server.connect('staff');
  await a2.ok('login', { username: 'second_admin', password: 'admin password 2' });
  const stays = await server.connect('staff');
  await stays.ok('login', { username: 'staying_mod', password: 'moderator password' });
  await admin.ok('staff.remove', { username: 'second_admin' });
  assert.equal((await closedWithin(a2, 3000))?.code, 1008);
  assert.equal(await closedWithin(stays, 500), null, 'another account keeps its session');
  await stays.ok('flags');
  stays.close();
});

test('a removed employee: its issuer sessions are closed', async () => {
  const emp = await enrolledEmployee(server, admin, 'leaving-employee', 'employee password');
  const second = await server.connect('issuer');
  await second.ok('login', { employee_id: 'leaving-employee', password: 'employee password' });
  const colleague = await enrolledEmployee(server, admin, 'staying-employee', 'employee password');
  await emp.ok('quota');

  await admin.ok('roster.remove', { employee_id: 'leaving-employee' });
  const r = await replyOrClose(emp, 'quota');
  assert.ok(r === 'closed' || r.error?.code === 'unauthenticated', `quota after removal: ${JSON.stringify(r)}`);
  for (const c of [emp, second]) assert.equal((await closedWithin(c, 3000))?.code, 1008);
  assert.equal(await closedWithin(colleague, 500), null);
  await colleague.ok('quota');
  colleague.close();
});
