// Connections are bounded: every TCP connection (plain HTTP too) counts
// against limits.max_connections, and when the process runs out of file
// descriptors the accept loop backs off instead of spinning, and serves
// again once connections close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Server, Client, sleep } from './lib/harness.mjs';
import {
  RawConnection, httpGet, cpuSeconds, openDescriptors, limitDescriptors, eventually,
} from './lib/attack.mjs';

// Opens plain HTTP keep-alive connections, each answered once, until the
// server stops answering (or `max` are open). Returns the answered ones.
async function holdConnections(server, max) {
  const held = [];
  let unanswered = 0;
  while (held.length < max && unanswered < 3) {
    let c;
    try { c = await RawConnection.open(server, { timeoutMs: 1000 }); } catch { unanswered++; continue; }
    const r = await c.request(httpGet('/healthz'), 1000);
    if (r?.status === 200) held.push(c);
    else { unanswered++; c.close(); }
  }
  return held;
}

async function healthzAnswers(server) {
  try {
    const c = await RawConnection.open(server, { timeoutMs: 1000 });
    const r = await c.request(httpGet('/healthz', 'localhost', 'Connection: close\r\n'), 1000);
    c.close();
    return r?.status === 200;
  } catch { return false; }
}

test('out of descriptors: the accept loop does not spin, and /healthz answers once connections close', async () => {
  const server = await Server.start({ config: '[limits]\nmax_connections = 100000\n' });
  const held = [];
  try {
    const pid = server.proc.pid;
    limitDescriptors(pid, openDescriptors(pid) + 24);
    held.push(...await holdConnections(server, 200));
    assert.ok(held.length >= 5 && held.length < 200, `${held.length} connections held before the server ran out`);

    // More clients knock while it is exhausted; the server must idle, not spin.
    const knocking = [];
    for (let i = 0; i < 10; i++) {
      try {
        const c = await RawConnection.open(server, { timeoutMs: 1000 });
        c.write(httpGet('/healthz'));
        knocking.push(c);
      } catch { /* refused outright: fine */ }
    }
    await sleep(300);
    const before = cpuSeconds(pid);
    await sleep(3000);
    const used = cpuSeconds(pid) - before;
    console.log(`server CPU while out of descriptors: ${used.toFixed(2)} s in 3 s (${held.length} held)`);
    assert.ok(used < 0.3, `the server used ${used.toFixed(2)} s of CPU in 3 s while out of descriptors`);

    // Some connections close: the server serves again.
    for (const c of held.splice(0, 10)) c.close();
    for (const c of knocking) c.close();
    assert.ok(await eventually(() => healthzAnswers(server), 5000, 100), '/healthz answers again');
  } finally {
    for (const c of held) c.close();
    await server.stop(); server.cleanup();
  }
});

test('plain HTTP connections count against max_connections', async () => {
  const server = await Server.start({ config: '[limits]\nmax_connections = 8\n' });
  const held = [];
  try {
    held.push(...await holdConnections(server, 8));
    assert.equal(held.length, 8, 'eight plain HTTP connections are served');

    // A ninth connection of any kind is refused while they stay open.
    const extra = await RawConnection.open(server).catch(() => null);
    const r = extra && await extra.request(httpGet('/healthz'), 2000);
    assert.ok(!r || r.status === 503, `a ninth plain connection got ${r?.status}`);
    extra?.close();
    await assert.rejects(server.connect('forum'), (e) => e.status === 503 || e.code === 'ECONNRESET' || /socket hang up/.test(e.message),
      'a WebSocket upgrade past the limit is refused');

    // One closes: a WebSocket connection fits again.
    held.pop().close();
    const ws = await eventually(async () => { try { return await server.connect('forum'); } catch { return null; } }, 3000, 100);
    assert.ok(ws instanceof Client, 'a connection is accepted once another closed');
    ws.close();
  } finally {
    for (const c of held) c.close();
    await server.stop(); server.cleanup();
  }
});
