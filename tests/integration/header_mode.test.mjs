// Employer authentication by a trusted reverse proxy's header (PROTOCOL §5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Server, Client, Pseudonym, fetchKeys, blindToken, finalizeToken, b64u } from './lib/harness.mjs';

test('the identity header is honoured only from a trusted proxy address', async () => {
  const s = await Server.start({ config: 'auth = "header"\ntrusted_proxies = ["127.0.0.1"]\n' });
  try {
    const url = `${s.ws}/v1/issuer`;
    const anon = await Client.open(url);
    assert.equal(await anon.err('quota'), 'unauthenticated');
    assert.equal(await anon.err('login', { employee_id: 'x', password: 'whatever12' }), 'forbidden');
    anon.close();

    const alice = await Client.open(url, { headers: { 'X-Forwarded-User': 'alice@corp.example' } });
    const key = (await fetchKeys(s)).keys.find((k) => k.state === 'active');
    assert.deepEqual(await alice.ok('quota'), { key_id: key.key_id, epoch: key.epoch, allowed: 1, used: 0 });
    const p = new Pseudonym();
    const t = await blindToken(key, p);
    const { blind_sig } = await alice.ok('issue', { key_id: key.key_id, blinded_msg: b64u(t.blindedMsg) });
    const token = await finalizeToken(t, blind_sig);
    alice.close();
    const forum = await s.connect('forum');
    assert.equal((await forum.ok('certify', { ...token, pseudonym_pk: p.pkB64, handle: 'via_proxy' })).pseudonym.handle, 'via_proxy');
    forum.close();
    // The forum endpoint never reads the header.
    const sneaky = await Client.open(`${s.ws}/v1/forum`, { headers: { 'X-Forwarded-User': 'alice@corp.example' } });
    assert.equal(await sneaky.err('channels'), 'unauthenticated');
    sneaky.close();
  } finally { await s.stop(); s.cleanup(); }

  const untrusted = await Server.start({ config: 'auth = "header"\ntrusted_proxies = ["192.0.2.1"]\n' });
  try {
    const c = await Client.open(`${untrusted.ws}/v1/issuer`, { headers: { 'X-Forwarded-User': 'mallory' } });
    assert.equal(await c.err('quota'), 'unauthenticated', 'a header from an untrusted address is ignored');
    c.close();
  } finally { await untrusted.stop(); untrusted.cleanup(); }
});
