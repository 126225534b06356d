// The default Origin allow-list is the loopback origin of --listen, not
// whatever the request's Host header says (which a DNS-rebinding page
// controls); configured origins are added to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Server } from './lib/harness.mjs';
import { RawConnection, upgradeRequest, hostPort } from './lib/attack.mjs';

async function upgradeStatus(server, headers, path = '/v1/forum') {
  const c = await RawConnection.open(server);
  const r = await c.request(upgradeRequest(path, headers), 3000);
  c.close();
  return r?.status;
}

test('no configured origins: only the loopback origin of --listen may upgrade', async () => {
  const server = await Server.start();
  try {
    const { port } = hostPort(server);
    assert.equal(await upgradeStatus(server, { Host: 'evil', Origin: 'http://evil' }), 403, 'Host-derived origin');
    assert.equal(await upgradeStatus(server, { Host: `evil:${port}`, Origin: `http://evil:${port}` }), 403);
    assert.equal(await upgradeStatus(server, { Host: `evil:${port}`, Origin: `https://evil:${port}` }), 403);
    assert.equal(await upgradeStatus(server, { Host: `127.0.0.1:${port}`, Origin: 'null' }), 403);
    assert.equal(await upgradeStatus(server, { Host: `127.0.0.1:${port}`, Origin: `http://127.0.0.1:${port + 1}` }), 403);
    for (const p of ['/v1/issuer', '/v1/staff']) {
      assert.equal(await upgradeStatus(server, { Host: 'evil', Origin: 'http://evil' }, p), 403, p);
    }

    assert.equal(await upgradeStatus(server, { Host: `127.0.0.1:${port}`, Origin: `http://127.0.0.1:${port}` }), 101);
    assert.equal(await upgradeStatus(server, { Host: `localhost:${port}`, Origin: `http://localhost:${port}` }), 101);
    // The page's origin decides, not the Host it claims.
    assert.equal(await upgradeStatus(server, { Host: 'evil', Origin: `http://127.0.0.1:${port}` }), 101);
    // Non-browser clients send no Origin.
    assert.equal(await upgradeStatus(server, { Host: 'anything' }), 101);
  } finally { await server.stop(); server.cleanup(); }
});

test('configured origins are allowed in addition to the loopback origin', async () => {
  const server = await Server.start({ config: '[server]\nallowed_origins = ["https://hearth.example.com"]\n' });
  try {
    const { port } = hostPort(server);
    assert.equal(await upgradeStatus(server, { Host: 'hearth.example.com', Origin: 'https://hearth.example.com' }), 101);
    assert.equal(await upgradeStatus(server, { Host: `127.0.0.1:${port}`, Origin: `http://127.0.0.1:${port}` }), 101);
    assert.equal(await upgradeStatus(server, { Host: 'hearth.example.com', Origin: 'http://hearth.example.com' }), 403,
      'the scheme is part of the origin');
    assert.equal(await upgradeStatus(server, { Host: 'evil', Origin: 'http://evil' }), 403);
  } finally { await server.stop(); server.cleanup(); }
});
