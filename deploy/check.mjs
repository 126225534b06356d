// A two-party deployment built from the files in deploy/, run on this
// machine: `hearth serve` as issuer and as forum (settings from
// hearth-issuer.toml and hearth-forum.toml), both behind one nginx running
// nginx-issuer.conf and nginx-forum.conf with TLS from a throwaway CA, and
// a stand-in for the SSO proxy's auth endpoint. An employee then goes
// through it the way the browser client does, and the checks below say
// what the sites must do. Called by deploy/check.sh, which prepares
// CHECK_WORK (the CA, the site copies) and finds NGINX.
//
// Only ports change from the shipped files (443 -> 28443, 8081 -> 28081,
// ...), the IPv6 listen lines are dropped, and the forum fetches the
// issuer's directory by address (https://127.0.0.1:28443, the names do not
// resolve here), so it is told the issuer's public WebSocket URL with
// forum.issuer_ws_url.
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import https from 'node:https';
import assert from 'node:assert/strict';
import {
  Client, Pseudonym, blindToken, finalizeToken, login, signedPost, sleep,
} from '../tests/integration/lib/harness.mjs';

const require = createRequire(new URL('../tests/integration/package.json', import.meta.url));
const WebSocket = require('ws');

const here = dirname(fileURLToPath(import.meta.url));
const W = process.env.CHECK_WORK;
const NGINX = process.env.NGINX;
const HEARTH = process.env.HEARTH_BIN;
const WEB = process.env.WEB_DIST;
if (!W || !NGINX || !HEARTH) {
  console.error('deploy/check.mjs is run by deploy/check.sh');
  process.exit(2);
}

const PORT = { tls: 28443, plain: 28080, issuer: 28081, forum: 28082, sso: 24180 };
const ISSUER_HOST = 'hearth-issuer.example.com';
const FORUM_HOST = 'hearth.example.com';
const issuerOrigin = `https://${ISSUER_HOST}:${PORT.tls}`;
const forumOrigin = `https://${FORUM_HOST}:${PORT.tls}`;
const ISSUER_NAME = 'acme-hearth';
const ca = readFileSync(join(W, 'ca/ca.pem'));
const lookup = (_name, opts, cb) => (opts && opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4));

const procs = [];
let failed = 0;
async function check(what, fn) {
  try {
    await fn();
    console.log(`  ok   ${what}`);
  } catch (e) {
    failed++;
    console.log(`  FAIL ${what}\n       ${String(e.stack ?? e).split('\n').slice(0, 6).join('\n       ')}`);
  }
}

function start(name, cmd, args, env = {}) {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  p.out = '';
  p.stdout.on('data', (d) => { p.out += d; });
  p.stderr.on('data', (d) => { p.out += d; });
  p.exited = new Promise((r) => p.on('exit', (code, signal) => r({ code, signal })));
  p.label = name;
  procs.push(p);
  return p;
}
async function stop(p) {
  if (p.exitCode !== null || p.signalCode !== null) return p.exited;
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), 5000);
  const r = await p.exited;
  clearTimeout(t);
  return r;
}
async function waitFor(what, fn, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch { /* not yet */ }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
function listening(p, re) {
  return waitFor(`${p.label} to listen`, () => {
    if (p.exitCode !== null) throw Object.assign(new Error(`${p.label} exited: ${p.out}`), { fatal: true });
    return re.test(p.out);
  }, 20000);
}

// HTTPS through nginx, by name (resolved to 127.0.0.1, SNI and Host set).
function get(host, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request({ host, port: PORT.tls, path, method: 'GET', headers, ca, lookup, servername: host },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => { body += d; });
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
      });
    req.on('error', reject);
    req.end();
  });
}
// A WebSocket through nginx; rejects with .status on an HTTP refusal.
function wsOpen(host, path, { origin, headers } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://${host}:${PORT.tls}${path}`, { origin, headers, ca, lookup, maxPayload: 1 << 24 });
    const c = new Client(ws);
    ws.once('open', () => resolve(c));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
  });
}
const refusal = (p) => p.then(() => { throw new Error('the upgrade was accepted'); }, (e) => e.status);

// ------------------------------------------------------------ settings
const port = (s) => s.replaceAll(`https://${FORUM_HOST}"`, `${forumOrigin}"`)
  .replaceAll(`https://${ISSUER_HOST}"`, `${issuerOrigin}"`)
  .replaceAll(`wss://${FORUM_HOST}/`, `wss://${FORUM_HOST}:${PORT.tls}/`);
const issuerToml = port(readFileSync(join(here, 'hearth-issuer.toml'), 'utf8'));
const forumToml = port(readFileSync(join(here, 'hearth-forum.toml'), 'utf8'))
  .replace('directory_refresh = 60', 'directory_refresh = 1')
  .replace(/^# issuer_ws_url = .*$/m, `issuer_ws_url = "wss://${ISSUER_HOST}:${PORT.tls}/v1/issuer"`);
assert.match(issuerToml, /allowed_origins = \["https:\/\/hearth\.example\.com:28443", "https:\/\/hearth-issuer\.example\.com:28443"\]/);
assert.match(forumToml, /^issuer_ws_url = /m);
writeFileSync(join(W, 'issuer.toml'), issuerToml);
writeFileSync(join(W, 'forum.toml'), forumToml);
const PASSWORD = 'check-admin-password';
writeFileSync(join(W, 'admin.pw'), PASSWORD + '\n');

// ------------------------------------------------------------- nginx
const live = (s) => s
  .replace(/^\s*listen \[::\]:\d+.*\n/gm, '')
  .replace(/listen 443 /g, `listen 127.0.0.1:${PORT.tls} `)
  .replace(/listen 80;/g, `listen 127.0.0.1:${PORT.plain};`)
  .replaceAll('127.0.0.1:8081', `127.0.0.1:${PORT.issuer}`)
  .replaceAll('127.0.0.1:8082', `127.0.0.1:${PORT.forum}`)
  .replaceAll('127.0.0.1:4180', `127.0.0.1:${PORT.sso}`);
for (const site of ['nginx-issuer.conf', 'nginx-forum.conf']) {
  writeFileSync(join(W, 'ng/conf', `live-${site}`), live(readFileSync(join(W, 'ng/conf', site), 'utf8')));
}
const tmp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${W}/ng/tmp/${t};`).join('\n');
writeFileSync(join(W, 'ng/live.conf'), `pid ${W}/ng/logs/live.pid;
error_log ${W}/ng/logs/live-error.log;
events {}
http {
${tmp}
  include ${process.env.NGINX_MIME};
  include ${W}/ng/conf/live-nginx-issuer.conf;
  include ${W}/ng/conf/live-nginx-forum.conf;
}
`);

// ------------------------------------------- a stand-in for the SSO proxy
// /oauth2/auth answers 202 with the user for a cookie "sso=NAME", 401
// without; it records the identity headers it was sent.
const ssoSeen = [];
const sso = http.createServer((req, res) => {
  if (req.url.startsWith('/oauth2/auth')) {
    ssoSeen.push({ xff: req.headers['x-forwarded-for'], xuser: req.headers['x-forwarded-user'] });
    const m = /(?:^|;\s*)sso=([A-Za-z0-9._-]+)/.exec(req.headers.cookie ?? '');
    if (!m) { res.writeHead(401); return res.end(); }
    res.writeHead(202, { 'X-Auth-Request-User': m[1] });
    return res.end();
  }
  res.writeHead(404);
  res.end();
});

async function main() {
  await new Promise((r, j) => { sso.once('error', j); sso.listen(PORT.sso, '127.0.0.1', r); });

  // ---- the issuer: init, serve
  const issuerData = join(W, 'issuer-data');
  const initOut = execFileSync(HEARTH, ['init', '--role', 'issuer', '--data', issuerData, '--issuer', ISSUER_NAME,
    '--admin-password-file', join(W, 'admin.pw'), '--config', join(W, 'issuer.toml')], { encoding: 'utf8' });
  const masterKey = /master key: (\S+)/.exec(initOut)?.[1];
  assert.ok(masterKey, `init printed no master key:\n${initOut}`);
  const issuer = start('issuer', HEARTH, ['serve', '--data', issuerData, '--listen', `127.0.0.1:${PORT.issuer}`,
    '--web', WEB, '--config', join(W, 'issuer.toml')]);
  await listening(issuer, /hearth listening on/);

  // ---- nginx with both sites
  const nginx = start('nginx', NGINX, ['-p', join(W, 'ng'), '-c', join(W, 'ng/live.conf'), '-g', 'daemon off;']);
  await waitFor('nginx', async () => (await get(ISSUER_HOST, '/healthz')).status === 200);

  // ---- the forum: init against the issuer through nginx and TLS, serve
  const forumData = join(W, 'forum-data');
  const tlsEnv = { SSL_CERT_FILE: join(W, 'ca/ca.pem') };
  const issuerUrl = `https://127.0.0.1:${PORT.tls}`;
  await check('forum init refuses a master key the issuer\'s directory does not verify under', () => {
    const other = Buffer.alloc(32, 7).toString('base64url');
    assert.throws(() => execFileSync(HEARTH, ['init', '--role', 'forum', '--data', join(W, 'wrong'), '--issuer-url',
      issuerUrl, '--master-key', other, '--config', join(W, 'forum.toml')], { env: { ...process.env, ...tlsEnv },
      stdio: 'pipe' }), /does not verify under --master-key/);
    assert.ok(!existsSync(join(W, 'wrong', 'forum')));
  });
  execFileSync(HEARTH, ['init', '--role', 'forum', '--data', forumData, '--issuer-url', issuerUrl,
    '--master-key', masterKey, '--admin-password-file', join(W, 'admin.pw'), '--config', join(W, 'forum.toml')],
  { env: { ...process.env, ...tlsEnv }, stdio: 'pipe' });
  const forum = start('forum', HEARTH, ['serve', '--data', forumData, '--listen', `127.0.0.1:${PORT.forum}`,
    '--web', WEB, '--config', join(W, 'forum.toml')], tlsEnv);
  await listening(forum, /hearth listening on/);

  // ---- what each site serves
  await check('the issuer host sends employees to the forum, and hides /metrics', async () => {
    const r = await get(ISSUER_HOST, '/');
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, `https://${FORUM_HOST}/`);
    assert.equal((await get(ISSUER_HOST, '/metrics')).status, 404);
    assert.match((await get(ISSUER_HOST, '/healthz')).headers['strict-transport-security'] ?? '', /max-age=/);
  });
  await check('the issuer host serves its staff console and its directory without SSO', async () => {
    const s = await get(ISSUER_HOST, '/staff');
    assert.equal(s.status, 200);
    assert.match(s.body, /<html/i);
    const k = await get(ISSUER_HOST, '/v1/keys');
    assert.equal(k.status, 200);
    assert.equal(JSON.parse(k.body).master_key, masterKey);
  });
  await check('the SSO sign-in path of the issuer host', async () => {
    const r = await get(ISSUER_HOST, '/sign-in');
    assert.equal(r.status, 302);
    assert.match(r.headers.location, /\/oauth2\/start\?rd=\/signed-in$/);
    const done = await get(ISSUER_HOST, '/signed-in');
    assert.equal(done.status, 200);
    assert.match(done.body, /signed in/);
  });
  await check('the forum host: the client with a CSP that lets it reach the issuer, no /metrics, no /v1/issuer', async () => {
    const page = await get(FORUM_HOST, '/');
    assert.equal(page.status, 200);
    assert.match(page.body, /<html/i);
    const csp = page.headers['content-security-policy'];
    assert.match(csp, new RegExp(`connect-src 'self' wss://${ISSUER_HOST.replaceAll('.', '\\.')}:${PORT.tls}(;| )`));
    assert.equal((await get(FORUM_HOST, '/metrics')).status, 404);
    assert.equal((await get(FORUM_HOST, '/v1/issuer')).status, 404);
    assert.equal(await refusal(wsOpen(FORUM_HOST, '/v1/issuer', { origin: forumOrigin })), 404);
  });
  await check('GET /v1/config on the forum names both endpoints as wss://', async () => {
    const cfg = JSON.parse((await get(FORUM_HOST, '/v1/config')).body);
    // (nginx passes $host, without the port: 443 in a real deployment.)
    assert.deepEqual(cfg, { role: 'forum', issuer: `wss://${ISSUER_HOST}:${PORT.tls}/v1/issuer`,
      forum: `wss://${FORUM_HOST}/v1/forum` });
    const icfg = JSON.parse((await get(ISSUER_HOST, '/v1/config')).body);
    assert.deepEqual(icfg, { role: 'issuer', issuer: `wss://${ISSUER_HOST}/v1/issuer`,
      forum: `wss://${FORUM_HOST}:${PORT.tls}/v1/forum` });
  });
  await check('the forum serves the issuer\'s signed directory, verified', async () => {
    const a = JSON.parse((await get(ISSUER_HOST, '/v1/keys')).body);
    const b = JSON.parse((await get(FORUM_HOST, '/v1/keys')).body);
    assert.equal(b.seq, a.seq);
    assert.equal(b.sig, a.sig);
    const h = JSON.parse((await get(FORUM_HOST, '/healthz')).body);
    assert.equal(h.status, 'ok');
    assert.equal(h.issuer.reachable, true);
  });

  // ---- sign-in on the issuer through the SSO stand-in
  await check('/v1/issuer without an SSO session is refused by nginx (401)', async () => {
    assert.equal(await refusal(wsOpen(ISSUER_HOST, '/v1/issuer', { origin: forumOrigin })), 401);
    // A client's own identity header changes nothing.
    assert.equal(await refusal(wsOpen(ISSUER_HOST, '/v1/issuer',
      { origin: forumOrigin, headers: { 'X-Forwarded-User': 'mallory' } })), 401);
  });
  await check('/v1/issuer from an origin the issuer does not list is refused (403)', async () => {
    assert.equal(await refusal(wsOpen(ISSUER_HOST, '/v1/issuer',
      { origin: 'https://elsewhere.example.net', headers: { Cookie: 'sso=alice' } })), 403);
  });

  const directory = JSON.parse((await get(FORUM_HOST, '/v1/keys')).body);  // as the client: from its own origin
  const active = directory.keys.find((k) => k.state === 'active');
  const p = new Pseudonym();
  let token;
  await check('an employee signed in by SSO gets a token from a page of the forum\'s origin', async () => {
    const c = await wsOpen(ISSUER_HOST, '/v1/issuer',
      { origin: forumOrigin, headers: { Cookie: 'sso=alice', 'X-Forwarded-User': 'mallory' } });
    const q = await c.ok('quota');
    assert.equal(q.used, 0);
    const t = await blindToken(active, p);
    const { blind_sig } = await c.ok('issue', { key_id: active.key_id, blinded_msg: Buffer.from(t.blindedMsg).toString('base64url') });
    token = await finalizeToken(t, blind_sig);
    c.close();
    assert.ok(ssoSeen.length > 0);
    for (const s of ssoSeen) assert.ok(!s.xff && !s.xuser, 'the SSO check gets no address and no client identity header');
  });
  await check('the identity is the SSO proxy\'s, never the client\'s header', async () => {
    const spoof = await wsOpen(ISSUER_HOST, '/v1/issuer',
      { origin: forumOrigin, headers: { Cookie: 'sso=bob', 'X-Forwarded-User': 'alice' } });
    assert.equal((await spoof.ok('quota')).used, 0, 'bob, not alice');
    spoof.close();
    const again = await wsOpen(ISSUER_HOST, '/v1/issuer', { origin: forumOrigin, headers: { Cookie: 'sso=alice' } });
    assert.equal((await again.ok('quota')).used, 1, 'alice has used her token');
    again.close();
  });

  // ---- certify and post on the forum
  const handle = 'checker';
  await check('the token certifies a pseudonym on the forum, which posts', async () => {
    assert.ok(token, 'no token');
    const f = await wsOpen(FORUM_HOST, '/v1/forum', { origin: forumOrigin });
    await f.ok('certify', { ...token, pseudonym_pk: p.pkB64, handle });
    await login(f, { issuer: ISSUER_NAME }, p);
    const posted = await f.ok('post', signedPost({ issuer: ISSUER_NAME }, p, 'general', 'hello from behind two proxies'));
    assert.ok(posted.id ?? posted.post?.id);
    const feed = await f.ok('feed', { channel: 'general' });
    assert.ok(JSON.stringify(feed).includes('hello from behind two proxies'));
    f.close();
  });

  // ---- rotation on the issuer reaches the forum
  await check('a rotation on the issuer\'s staff console reaches the forum and its moderation log', async () => {
    const staff = await wsOpen(ISSUER_HOST, '/v1/staff', { origin: issuerOrigin });
    await staff.ok('login', { username: 'admin', password: PASSWORD });
    const dir = await staff.ok('keys.rotate', { reason: 'check' });
    staff.close();
    await waitFor('the forum to follow', async () => JSON.parse((await get(FORUM_HOST, '/v1/keys')).body).seq === dir.seq);
    const fs = await wsOpen(FORUM_HOST, '/v1/staff', { origin: forumOrigin });
    await fs.ok('login', { username: 'admin', password: PASSWORD });
    const log = await fs.ok('modlog', {});
    assert.ok(log.entries.some((e) => e.action === 'keys.rotate'), JSON.stringify(log));
    assert.equal(await fs.err('keys.rotate', {}), 'unknown_op');
    fs.close();
  });

  // ---- the issuer goes away; the forum stays
  await check('with the issuer down the forum keeps serving and says so', async () => {
    await stop(issuer);
    const h = await waitFor('the forum to notice', async () => {
      const r = await get(FORUM_HOST, '/healthz');
      const b = JSON.parse(r.body);
      return r.status === 200 && b.issuer.reachable === false ? b : null;
    });
    assert.match(h.issuer.note, /last verified/);
    const f = await wsOpen(FORUM_HOST, '/v1/forum', { origin: forumOrigin });
    await login(f, { issuer: ISSUER_NAME }, p);
    const feed = await f.ok('feed', { channel: 'general' });
    assert.ok(JSON.stringify(feed).includes('hello from behind two proxies'));
    f.close();
  });

  await check('the forum starts again while the issuer is away, from its kept copy', async () => {
    const seq = JSON.parse((await get(FORUM_HOST, '/v1/keys')).body).seq;
    assert.equal((await stop(forum)).code, 0);
    const again = start('forum (restarted)', HEARTH, ['serve', '--data', forumData, '--listen',
      `127.0.0.1:${PORT.forum}`, '--web', WEB, '--config', join(W, 'forum.toml')], tlsEnv);
    await listening(again, /hearth listening on/);
    assert.equal(JSON.parse((await get(FORUM_HOST, '/v1/keys')).body).seq, seq);
    const h = JSON.parse((await get(FORUM_HOST, '/healthz')).body);
    assert.equal(h.issuer.reachable, false);
  });

  await check('nginx wrote no access log and no error line for any of this', async () => {
    const logs = join(W, 'ng/logs');
    for (const f of ['hearth-issuer.error.log', 'hearth-forum.error.log']) {
      const file = join(logs, f);
      if (existsSync(file)) assert.equal(readFileSync(file, 'utf8'), '', f);
    }
    assert.ok(!existsSync(join(logs, 'access.log')));
  });

  for (const p of [...procs].reverse()) await stop(p);
  const unclean = procs.filter((p) => p.exitCode !== 0);
  if (unclean.length) {
    console.log(`  FAIL clean exits: ${unclean.map((p) => `${p.label} ${p.exitCode}\n${p.out.slice(-1500)}`).join('\n')}`);
    failed++;
  }
}

try {
  await main();
} catch (e) {
  failed++;
  console.log(`  FAIL ${e.stack ?? e}`);
  for (const p of procs) if (p.out) console.log(`--- ${p.label}:\n${p.out.slice(-2000)}`);
} finally {
  for (const p of procs) await stop(p);
  sso.close();
}
console.log(failed ? `deploy/check.mjs: ${failed} check(s) failed` : 'deploy/check.mjs: all checks passed');
process.exit(failed ? 1 : 0);
