// RFC 6455 details: a malformed Sec-WebSocket-Key is refused (§4.2.1), and a
// message over the frame limit always ends in a clean close 1009, never a
// reset (PROTOCOL.md §2).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, sleep } from './lib/harness.mjs';
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

// A client frame (masked, RFC 6455 §5.2) with the given opcode and payload.
function clientFrame(opcode, payload, fin = true) {
  const body = Buffer.from(payload);
  const len = body.length;
  const head = len < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | len])
    : Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, len >> 8, len & 0xff]);
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  return Buffer.concat([head, mask, Buffer.from(body.map((b, i) => b ^ mask[i % 4]))]);
}

// The server's frames (unmasked) in `bytes`: [{opcode, fin, text}], whole frames only.
function serverFrames(bytes) {
  const out = [];
  let at = 0;
  while (at + 2 <= bytes.length) {
    let len = bytes[at + 1] & 0x7f, off = at + 2;
    if (len === 126) { len = bytes.readUInt16BE(off); off += 2; } else if (len === 127) { len = Number(bytes.readBigUInt64BE(off)); off += 8; }
    if (off + len > bytes.length) break;
    out.push({ opcode: bytes[at] & 0x0f, fin: (bytes[at] & 0x80) !== 0, text: bytes.subarray(off, off + len).toString('utf8') });
    at = off + len;
  }
  return out;
}

test('a message is read whole however its frames and bytes arrive', async () => {
  const c = await RawConnection.open(server);
  const r = await c.request(upgradeRequest('/v1/forum', {}), 3000);
  assert.equal(r?.status, 101);
  const start = c.data.length;
  const frames = () => serverFrames(c.data.subarray(start));
  const replies = () => frames().filter((f) => f.opcode === 1).map((f) => JSON.parse(f.text));
  // The reply with this id, once it has come (RawConnection.until wakes on each read).
  const find = (id) => replies().find((x) => x.id === id);
  const reply = async (id) => { await c.until(() => find(id) !== undefined, 5000); return find(id); };
  const keys = (id) => JSON.stringify({ id, op: 'keys' });

  // The frame header alone, its payload a moment later.
  let f = clientFrame(1, keys(1));
  c.write(f.subarray(0, 2));
  await sleep(100);
  c.write(f.subarray(2, 6));
  await sleep(100);
  c.write(f.subarray(6));
  assert.equal((await reply(1))?.ok, true, 'header, mask and payload apart');

  // One byte at a time.
  f = clientFrame(1, keys(2));
  for (const b of f) { c.write(Buffer.from([b])); await sleep(3); }
  assert.equal((await reply(2))?.ok, true, 'one byte at a time');

  // One message in three frames, a ping between two of them, the last one late.
  const text = keys(3);
  c.write(Buffer.concat([clientFrame(1, text.slice(0, 5), false), clientFrame(9, 'hi'), clientFrame(0, text.slice(5, 12), false)]));
  await sleep(100);
  c.write(clientFrame(0, text.slice(12)));
  assert.equal((await reply(3))?.ok, true, 'a fragmented message');
  assert.ok(frames().some((x) => x.opcode === 10 && x.text === 'hi'), 'the ping was answered');

  // An empty message is a malformed request (its reply has no id), and the connection goes on.
  c.write(clientFrame(1, ''));
  assert.equal((await reply(null))?.error?.code, 'bad_request', 'an empty message');

  // Two messages in one write, and one past 125 bytes (a 16-bit length).
  c.write(Buffer.concat([clientFrame(1, keys(4)), clientFrame(1, JSON.stringify({ id: 5, op: 'keys', pad: 'p'.repeat(300) }))]));
  assert.equal((await reply(4))?.ok, true, 'the first of two in one write');
  assert.equal((await reply(5))?.ok, true, 'the second, with a 16-bit length');
  assert.equal(c.ended, false, 'still open');
  c.close();
});
