// RFC 6455 details: a malformed Sec-WebSocket-Key is refused (§4.2.1), and a
// message over the frame limit always ends in a clean close 1009, never a
// reset (PROTOCOL.md §2).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server } from './lib/harness.mjs';
import { RawConnection, upgradeRequest } from './lib/attack.mjs';

let server;
before(async () => { server = await Server.start(); });
after(async () => { await server?.stop(); server?.cleanup(); });

async function upgradeStatus(headers) {
  const c = await RawConnection.open(server);
  const r = await c.request(upgradeRequest('/v1/forum', headers), 3000);
  c.close();
  return r?.status;
}

test('Sec-WebSocket-Key must be 16 bytes in base64', async () => {
  assert.equal(await upgradeStatus({ 'Sec-WebSocket-Key': 'abc' }), 400);
  assert.equal(await upgradeStatus({ 'Sec-WebSocket-Key': 'AAAAAAAAAAAAAAAAAAAAAA==' + 'A' }), 400);
  assert.equal(await upgradeStatus({ 'Sec-WebSocket-Key': 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }), 400, '24 bytes');
  assert.equal(await upgradeStatus({ 'Sec-WebSocket-Key': '!!!!!!!!!!!!!!!!!!!!!!==' }), 400, 'not base64');
  assert.equal(await upgradeStatus({ 'Sec-WebSocket-Key': undefined }), 400, 'missing');
  assert.equal(await upgradeStatus({ 'Sec-WebSocket-Version': '8' }), 426, 'an unsupported version asks for 13');
  assert.equal(await upgradeStatus({}), 101, 'the RFC sample key is fine');
});

test('a 1 MiB message always ends in close 1009, never a reset', async () => {
  const big = 'x'.repeat(1 << 20);
  const codes = new Map();
  for (let i = 0; i < 40; i++) {
    const c = await server.connect('forum');
    c.sendRaw(big);
    c.sendRaw('{"id":1,"op":"keys"}');  // the client keeps talking, as a real one would
    const { code } = await c.closed;
    codes.set(code, (codes.get(code) ?? 0) + 1);
  }
  assert.deepEqual([...codes], [[1009, 40]], `close codes seen: ${JSON.stringify([...codes])}`);
  // The server is fine afterwards.
  const c = await server.connect('forum');
  assert.equal((await c.ok('keys')).issuer, server.issuer);
  c.close();
});
