// The envelope's edge cases (PROTOCOL.md §2) and the plain HTTP side (§1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import { Server, Client, fetchKeys } from './lib/harness.mjs';

let server;
before(async () => {
  server = await Server.start({ config: '[limits]\nframe_max = 4096\n' });
  const web = join(server.dir, 'web');
  mkdirSync(join(web, 'assets'), { recursive: true });
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>employee</title>');
  writeFileSync(join(web, 'staff.html'), '<!doctype html><title>staff</title>');
  writeFileSync(join(web, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(server.dir, 'secret.txt'), 'outside the web root');
  await server.stop();
  await server.launch(['--web', web]);
});
after(async () => { await server?.stop(); server?.cleanup(); });

test('malformed frames get bad_request and the connection stays open', async () => {
  const c = await server.connect('forum');
  c.sendRaw('this is not json');
  let r = await c.nextOrphan();
  assert.deepEqual([r.id, r.ok, r.error.code], [null, false, 'bad_request']);
  c.sendRaw('[1,2,3]');
  r = await c.nextOrphan();
  assert.equal(r.error.code, 'bad_request');
  c.sendRaw('{"op":"challenge"}');
  r = await c.nextOrphan();
  assert.equal(r.error.code, 'bad_request');
  assert.match(r.error.message, /id/);
  c.sendRaw('{"id":-1,"op":"challenge"}');
  r = await c.nextOrphan();
  assert.equal(r.error.code, 'bad_request');
  c.sendRaw('{"id":9007199254740992,"op":"challenge"}');
  r = await c.nextOrphan();
  assert.equal(r.error.code, 'bad_request');
  // Readable id but no op: the reply carries the id.
  const reply = await c.call('', {});
  assert.equal(reply.error.code, 'unknown_op');
  const noOp = await new Promise((resolve) => { c.pending.set(77, resolve); c.sendRaw('{"id":77}'); });
  assert.equal(noOp.error.code, 'bad_request');
  assert.match(noOp.error.message, /op/);
  // Not valid JSON (a lone surrogate escape), but the id is readable: the reply carries it.
  const lone = await new Promise((resolve) => { c.pending.set(78, resolve); c.sendRaw('{"id":78,"op":"challenge","x":"\\ud800"}'); });
  assert.equal(lone.error.code, 'bad_request');
  // An unknown op's name is echoed cut at a character boundary (valid UTF-8).
  const longOp = await c.call('ᣔ'.repeat(100));
  assert.equal(longOp.error.code, 'unknown_op');
  // Unknown fields are ignored.
  const ch = await c.ok('challenge', { extra: { nested: true } });
  assert.equal(Buffer.from(ch.nonce, 'base64url').length, 32);
  c.close();
});

test('binary frame closes with 1003, invalid UTF-8 with 1007, oversized frame with 1009', async () => {
  const a = await server.connect('forum');
  a.sendRaw(Buffer.from([1, 2, 3]), { binary: true });
  assert.equal((await a.closed).code, 1003);

  const b = await server.connect('forum');
  b.sendRaw(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
  assert.equal((await b.closed).code, 1007);

  const d = await server.connect('forum');
  d.sendRaw(JSON.stringify({ id: 1, op: 'challenge', pad: 'x'.repeat(5000) }));
  assert.equal((await d.closed).code, 1009);

  // Others are still served.
  const e = await server.connect('forum');
  await e.ok('challenge');
  e.close();
});

test('HTTP: health, keys, metrics, static files, errors, origin check', async () => {
  let res = await fetch(`${server.url}/healthz`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: 'ok' });

  const dir = await fetchKeys(server);
  assert.equal(dir.keys.length, 1);
  const c = await server.connect('issuer');
  assert.deepEqual(await c.ok('keys'), dir, 'the keys op returns the same directory');
  c.close();

  res = await fetch(`${server.url}/metrics`);
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.match(text, /hearth_connections\{endpoint="forum"\}/);
  assert.match(text, /hearth_ops_total\{endpoint="issuer",op="keys",code="ok"\} 1/);
  assert.match(text, /hearth_op_duration_seconds_bucket/);

  res = await fetch(`${server.url}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /text\/html/);
  assert.match(res.headers.get('content-security-policy'), /default-src 'self'/);
  assert.match(await res.text(), /employee/);
  res = await fetch(`${server.url}/staff`);
  assert.match(await res.text(), /staff/);
  res = await fetch(`${server.url}/assets/app.js`);
  assert.match(res.headers.get('content-type'), /javascript/);
  res = await fetch(`${server.url}/assets/`);
  assert.equal(res.status, 404, 'no directory listing');
  res = await fetch(`${server.url}/nothing-here`);
  assert.equal(res.status, 404);
  res = await fetch(`${server.url}/v1/keys`, { method: 'POST', body: '{}' });
  assert.equal(res.status, 405);
  res = await fetch(`${server.url}/healthz`, { method: 'HEAD' });
  assert.equal(res.status, 200);

  // Path escapes, raw on the wire (fetch would normalise them).
  for (const target of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/.hidden']) {
    const status = await rawStatus(target);
    assert.equal(status, 404, target);
  }

  // Origin: the server's own origin passes, another is refused with 403.
  const own = await Client.open(`${server.ws}/v1/forum`, { origin: server.url });
  own.close();
  await assert.rejects(Client.open(`${server.ws}/v1/forum`, { origin: 'https://evil.example' }), (e) => e.status === 403);
  await assert.rejects(Client.open(`${server.ws}/v1/nowhere`), (e) => e.status === 404);
});

function rawStatus(target) {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(port), '127.0.0.1', () => s.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let buf = '';
    s.on('data', (d) => { buf += d; });
    s.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(buf)?.[1])));
    s.on('error', reject);
  });
}
