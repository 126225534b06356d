// Two services that two parties can run (PROTOCOL.md §10): an issuer on
// 127.0.0.1 and a forum on 127.0.0.2, each with its own data directory, the
// forum pinned to the issuer's master key and fetching its directory over
// HTTP through a relay this test controls (to take the issuer away, or to
// show the forum an older or foreign directory).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readdirSync, readlinkSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  Server, Pseudonym, b64u, verifyDirectory, blindToken, finalizeToken, login, signedPost, enrolledEmployee, sleep,
  ADMIN_PASSWORD, HEARTH_BIN,
} from './lib/harness.mjs';

let issuer, forum, otherIssuer, relay, relayUrl;
let mode = 'pass';     // pass | down | text
let servedText = '';   // for mode 'text'

async function getJson(url) {
  const res = await fetch(url);
  assert.equal(res.status, 200, url);
  return res.json();
}
const keysOf = (s) => getJson(`${s.url}/v1/keys`);
const metric = async (s, name) => {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const m = new RegExp(`^${name.replace(/[{}"]/g, (c) => '\\' + c)} (-?\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};
async function until(what, fn, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
async function staffLogin(server) {
  const c = await server.connect('staff');
  await c.ok('login', { username: 'admin', password: ADMIN_PASSWORD });
  return c;
}

before(async () => {
  issuer = await Server.start({ role: 'issuer' });
  otherIssuer = await Server.start({ role: 'issuer' });
  relay = http.createServer(async (req, res) => {
    if (mode === 'down') { res.writeHead(503); return res.end('issuer down'); }
    if (mode === 'text') { res.writeHead(200, { 'content-type': 'application/json' }); return res.end(servedText); }
    const upstream = await fetch(`${issuer.url}${req.url}`);
    res.writeHead(upstream.status, { 'content-type': 'application/json' });
    res.end(await upstream.text());
  });
  await new Promise((r) => relay.listen(0, '127.0.0.1', r));
  relayUrl = `http://127.0.0.1:${relay.address().port}`;
  forum = await Server.start({
    role: 'forum', host: '127.0.0.2', config: '[forum]\ndirectory_refresh = 1\n',
    initArgs: ['--issuer-url', relayUrl, '--master-key', issuer.masterKey],
  });
});

after(async () => {
  for (const s of [forum, issuer, otherIssuer]) if (s) { await s.stop(); s.cleanup(); }
  relay?.close();
});

test('a forum cannot be initialised against a directory that another master key signed', async () => {
  const data = join(forum.dir, 'wrong');
  await assert.rejects(promisify(execFile)(HEARTH_BIN, ['init', '--role', 'forum', '--data', data, '--issuer-url', relayUrl,
    '--master-key', otherIssuer.masterKey], { encoding: 'utf8' }), /does not verify under --master-key/);
  assert.ok(!existsSync(join(data, 'forum')), 'nothing was created');
});

test('each role serves only its own endpoints and ops, and says where the other is', async () => {
  const cfgForum = await getJson(`${forum.url}/v1/config`);
  assert.equal(cfgForum.role, 'forum');
  assert.equal(cfgForum.forum, forum.ws + '/v1/forum');
  assert.equal(cfgForum.issuer, relayUrl.replace('http://', 'ws://') + '/v1/issuer');
  const cfgIssuer = await getJson(`${issuer.url}/v1/config`);
  assert.deepEqual(cfgIssuer, { role: 'issuer', issuer: issuer.ws + '/v1/issuer' });

  await assert.rejects(forum.connect('issuer'), (e) => e.status === 404);
  await assert.rejects(issuer.connect('forum'), (e) => e.status === 404);
  const fs = await staffLogin(forum);
  assert.equal(await fs.err('keys.rotate', {}), 'unknown_op');
  assert.equal(await fs.err('roster.import', { employees: ['x'] }), 'unknown_op');
  const is = await staffLogin(issuer);
  assert.equal(await is.err('flags'), 'unknown_op');
  assert.equal(await is.err('ban', { handle: 'abc', reason: 'r' }), 'unknown_op');
  assert.equal(await is.err('channels.add', { name: 'x', description: '' }), 'unknown_op');
  // keys is on every endpoint of every role; the forum's is the issuer's, verified.
  const { issued: _a, ...forumKeys } = await fs.ok('keys');
  const { issued: _b, ...issuerKeys } = await is.ok('keys');
  assert.deepEqual(forumKeys, issuerKeys);
  fs.close();
  is.close();
});

test('the whole employee story across the two services, then rotation and revocation propagate', async () => {
  const iAdmin = await staffLogin(issuer);
  const fAdmin = await staffLogin(forum);

  // The client blinds under a key from a directory fetched without credentials, from the forum.
  const dir = await keysOf(forum);
  assert.ok(await verifyDirectory(dir));
  assert.equal(dir.master_key, issuer.masterKey);
  const key = dir.keys.find((k) => k.state === 'active');

  const people = [];
  for (const [id, handle] of [['ann@example.com', 'Ann_Voice'], ['ben@example.com', 'Ben_Voice']]) {
    const conn = await enrolledEmployee(issuer, iAdmin, id);
    const p = new Pseudonym();
    const t = await blindToken(key, p);
    const { blind_sig } = await conn.ok('issue', { key_id: key.key_id, blinded_msg: b64u(t.blindedMsg) });
    const token = await finalizeToken(t, blind_sig);
    conn.close();
    const f = await forum.connect('forum');
    const { pseudonym } = await f.ok('certify', { ...token, pseudonym_pk: p.pkB64, handle });
    assert.equal(pseudonym.handle, handle);
    assert.equal(await f.err('certify', { ...token, pseudonym_pk: p.pkB64, handle }), 'token_spent');
    await login(f, forum, p);
    people.push({ p, f, handle, id });
  }
  const [ann, ben] = people;
  const { post } = await ann.f.ok('post', signedPost(forum, ann.p, 'general', 'Across two services'));
  await ben.f.ok('flag', { post_id: post.id, reason: 'spam' });
  const { items } = await fAdmin.ok('flags');
  assert.equal(items[0].post.id, post.id);
  await fAdmin.ok('hide', { post_id: post.id, reason: 'spam' });
  assert.equal((await ben.f.ok('thread', { post_id: post.id })).post.hidden, true);

  // anonymity: issued comes from the issuer's directory answer, certified from the forum.
  await until('issued counts on the forum', async () => (await ann.f.ok('anonymity')).issued === 2);
  const an = await ann.f.ok('anonymity');
  assert.equal(an.certified, 2);

  // Rotation on the issuer: the forum follows (timer, or at once on an unknown key id).
  const rotated = await iAdmin.ok('keys.rotate', { reason: 'yearly' });
  const key2 = rotated.keys.find((k) => k.state === 'active');
  const conn = await issuer.connect('issuer');
  await conn.ok('login', { employee_id: ann.id, password: 'correct horse battery' });
  const t2 = await blindToken(key2, ann.p);
  const { blind_sig } = await conn.ok('issue', { key_id: key2.key_id, blinded_msg: b64u(t2.blindedMsg) });
  conn.close();
  const token2 = await finalizeToken(t2, blind_sig);
  const renew = await forum.connect('forum');
  const renewed = await until('the forum to learn the new key', async () => {
    const r = await renew.call('certify', { ...token2, pseudonym_pk: ann.p.pkB64, handle: ann.handle });
    if (r.ok) return r.result;
    assert.ok(['key_unknown', 'rate_limited'].includes(r.error.code), r.error.code);
    await sleep(400);
    return null;
  });
  assert.equal(renewed.pseudonym.valid_until, key2.accept_until);
  assert.equal((await keysOf(forum)).seq, rotated.seq);
  const log = await fAdmin.ok('modlog');
  assert.ok(log.entries.some((e) => e.action === 'keys.rotate' && e.target === key2.key_id), 'rotation in the public log');

  // Revocation of the first key: Ben, certified only under it, must renew.
  const revoked = await iAdmin.ok('keys.revoke', { key_id: key.key_id, reason: 'compromised' });
  await until('the forum to see the revocation', async () => (await keysOf(forum)).seq === revoked.seq);
  const again = await forum.connect('forum');
  const { nonce } = await again.ok('challenge');
  const { sig } = { sig: b64u(ben.p.sign(new TextEncoder().encode(`hearth/login/v1\n${forum.issuer}\n${nonce}`))) };
  assert.equal(await again.err('login', { pseudonym_pk: ben.p.pkB64, sig }), 'key_expired');
  assert.ok((await fAdmin.ok('modlog')).entries.some((e) => e.action === 'keys.revoke' && e.target === key.key_id));
  for (const c of [iAdmin, fAdmin, ann.f, ben.f, renew, again]) c.close();
});

test('the forum refuses a lower seq or another master key, and serves through an issuer outage', async () => {
  const good = await keysOf(forum);
  const refusedBefore = await metric(forum, 'hearth_issuer_directory_fetches_total{result="refused"}');

  // Another issuer's directory (its own master key, signed correctly by it).
  servedText = JSON.stringify(await keysOf(otherIssuer));
  mode = 'text';
  await until('a refusal', async () =>
    (await metric(forum, 'hearth_issuer_directory_fetches_total{result="refused"}')) > refusedBefore);
  assert.deepEqual((await keysOf(forum)).seq, good.seq);
  assert.equal((await keysOf(forum)).master_key, issuer.masterKey);

  // An older directory of the right issuer: a lower seq.
  const older = { ...good, seq: good.seq - 1 };
  servedText = JSON.stringify(older);
  const refusedMid = await metric(forum, 'hearth_issuer_directory_fetches_total{result="refused"}');
  await until('a second refusal', async () =>
    (await metric(forum, 'hearth_issuer_directory_fetches_total{result="refused"}')) > refusedMid);
  assert.equal((await keysOf(forum)).seq, good.seq);

  // The issuer is away: /healthz still 200 and says so, /metrics shows it, the forum still serves.
  mode = 'down';
  const health = await until('the forum to notice the outage', async () => {
    const h = await getJson(`${forum.url}/healthz`);
    return h.issuer && h.issuer.reachable === false ? h : null;
  });
  assert.equal(health.status, 'ok');
  assert.equal(await metric(forum, 'hearth_issuer_reachable'), 0);
  const f = await forum.connect('forum');
  assert.equal((await f.ok('keys')).seq, good.seq);
  f.close();

  mode = 'pass';
  await until('the issuer to be back', async () => (await getJson(`${forum.url}/healthz`)).issuer.reachable === true);
  assert.equal(await metric(forum, 'hearth_issuer_reachable'), 1);
});

test('neither data directory holds the other store, and neither process opens the other\'s files', async () => {
  assert.deepEqual(readdirSync(issuer.data).filter((n) => n === 'issuer' || n === 'forum'), ['issuer']);
  assert.deepEqual(readdirSync(forum.data).filter((n) => n === 'issuer' || n === 'forum'), ['forum']);
  const open = (s) => readdirSync(`/proc/${s.proc.pid}/fd`).map((fd) => {
    try { return readlinkSync(`/proc/${s.proc.pid}/fd/${fd}`); } catch { return ''; }
  });
  const iFiles = open(issuer);
  const fFiles = open(forum);
  assert.ok(iFiles.some((p) => p.startsWith(join(issuer.data, 'issuer'))), 'the issuer has its store open');
  assert.ok(fFiles.some((p) => p.startsWith(join(forum.data, 'forum'))), 'the forum has its store open');
  assert.ok(!iFiles.some((p) => p.startsWith(forum.dir)), 'the issuer opens nothing of the forum');
  assert.ok(!fFiles.some((p) => p.startsWith(issuer.dir)), 'the forum opens nothing of the issuer');
});
