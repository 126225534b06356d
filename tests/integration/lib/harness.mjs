// Test harness: starts the real `hearth serve` on a free loopback port with a
// fresh data directory, and speaks the wire protocol with a real WebSocket
// client. Blind RSA and Ed25519 come from independent libraries
// (@cloudflare/blindrsa-ts, @noble/curves), never from hearth's own code.
import { spawn, execFileSync, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync, rmSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import WebSocket from 'ws';
import { RSABSSA } from '@cloudflare/blindrsa-ts';
import { ed25519 } from '@noble/curves/ed25519.js';

export const HEARTH_BIN = process.env.HEARTH_BIN ?? new URL('../../../build/hearth', import.meta.url).pathname;
export const ADMIN_PASSWORD = 'admin-password-for-tests';

export const b64u = (bytes) => Buffer.from(bytes).toString('base64url');
export const unb64u = (s) => new Uint8Array(Buffer.from(s, 'base64url'));
export const utf8 = (s) => new TextEncoder().encode(s);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ server

export class Server {
  // role: 'all' (default), 'issuer' or 'forum' (then initArgs carries
  // --issuer-url and --master-key); host: the loopback address to listen on
  // (127.0.0.2 makes a second origin).
  static async start({ config = '', issuer = 'hearth-test', init = true, dataDir, role, initArgs = [],
    host = '127.0.0.1' } = {}) {
    const s = new Server();
    s.dir = dataDir ?? mkdtempSync(join(tmpdir(), 'hearth-it-'));
    s.data = join(s.dir, 'data');
    s.configFile = join(s.dir, 'hearth.toml');
    // Fast Argon2id so that the suite stays quick; everything else is default.
    writeFileSync(s.configFile, `[issuer]\nargon2_opslimit = 1\nargon2_memlimit = 8192\nissued_refresh = 0\n${config}`);
    s.issuer = issuer;
    s.host = host;
    if (init) {
      writeFileSync(join(s.dir, 'admin.pw'), ADMIN_PASSWORD + '\n');
      const roleArgs = role ? ['--role', role] : [];
      const issuerArgs = role === 'forum' ? [] : ['--issuer', issuer];
      // (asynchronously: a forum's init fetches from an HTTP server that may live in this process)
      s.initOutput = (await promisify(execFile)(HEARTH_BIN, ['init', '--data', s.data, ...issuerArgs, ...roleArgs,
        ...initArgs, '--admin-password-file', join(s.dir, 'admin.pw'), '--config', s.configFile], { encoding: 'utf8' })).stdout;
      const m = /master key: (\S+)/.exec(s.initOutput);
      if (m) s.masterKey = m[1];
    }
    await s.launch();
    return s;
  }

  async launch(extraArgs = []) {
    this.stderr = '';
    this.stdout = '';
    this.proc = spawn(HEARTH_BIN, ['serve', '--data', this.data, '--listen', `${this.host ?? '127.0.0.1'}:0`,
      '--config', this.configFile, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stderr.on('data', (d) => { this.stderr += d; });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
    this.url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('server did not start: ' + this.stderr)), 20000);
      this.proc.stdout.on('data', (d) => {
        this.stdout += d;
        const m = /hearth listening on (http:\/\/\S+)/.exec(this.stdout);
        if (m) { clearTimeout(timer); resolve(m[1]); }
      });
      this.proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}: ${this.stderr}`)); });
    });
    this.ws = this.url.replace('http://', 'ws://');
  }

  // SIGTERM must end the server cleanly: exit code 0 and no sanitizer report
  // (the suite also runs against sanitizer builds).
  async stop(signal = 'SIGTERM') {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return this.exited;
    this.proc.kill(signal);
    const result = await this.exited;
    if (/AddressSanitizer|LeakSanitizer|ThreadSanitizer|runtime error:/.test(this.stderr))
      throw new Error(`sanitizer report from the server:\n${this.stderr.slice(-4000)}`);
    if (signal === 'SIGTERM' && result.code !== 0)
      throw new Error(`server exited ${result.code} (${result.signal}) on SIGTERM:\n${this.stderr.slice(-2000)}`);
    return result;
  }

  cleanup() { rmSync(this.dir, { recursive: true, force: true }); }

  async connect(endpoint, opts = {}) { return Client.open(`${this.ws}/v1/${endpoint}`, opts); }

  async admin() {
    const c = await this.connect('staff');
    await c.ok('login', { username: 'admin', password: ADMIN_PASSWORD });
    return c;
  }

  // Every byte of every file under a folder of the data directory.
  filesBytes(sub) {
    const out = [];
    const walk = (d) => {
      for (const name of readdirSync(d)) {
        const p = join(d, name);
        if (statSync(p).isDirectory()) walk(p); else out.push(readFileSync(p));
      }
    };
    walk(join(this.data, sub));
    return Buffer.concat(out);
  }
}

// ------------------------------------------------------------------ client

export class Client {
  static open(url, { origin, headers } = {}) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { origin, headers, maxPayload: 1 << 24 });
      const c = new Client(ws);
      ws.once('open', () => resolve(c));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    });
  }

  constructor(ws) {
    this.ws = ws;
    this.nextId = 1;
    this.pending = new Map();
    this.events = [];
    this.eventWaiters = [];
    this.orphans = [];          // replies with id null
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data, isBinary) => {
      const msg = JSON.parse(data.toString());
      if (msg.event) {
        this.events.push(msg);
        for (const w of this.eventWaiters.splice(0)) w();
        return;
      }
      const p = this.pending.get(msg.id);
      if (p) { this.pending.delete(msg.id); p(msg); } else this.orphans.push(msg);
    });
  }

  // Sends one request, resolves with the whole reply envelope.
  call(op, fields = {}) {
    const id = this.nextId++;
    const frame = JSON.stringify({ id, op, ...fields });
    return new Promise((resolve, reject) => {
      this.pending.set(id, resolve);
      this.ws.send(frame, (err) => err && reject(err));
      setTimeout(() => { if (this.pending.delete(id)) reject(new Error(`no reply to ${op} within 30s: ${frame.slice(0, 400)}`)); }, 30000).unref();
    });
  }

  async ok(op, fields = {}) {
    const r = await this.call(op, fields);
    if (!r.ok) throw new Error(`${op} failed: ${r.error.code}: ${r.error.message}`);
    return r.result;
  }

  // The error code of a failing op (throws if it succeeded).
  async err(op, fields = {}) {
    const r = await this.call(op, fields);
    if (r.ok) throw new Error(`${op} unexpectedly succeeded: ${JSON.stringify(r.result)}`);
    return r.error.code;
  }

  sendRaw(data, opts) { this.ws.send(data, opts); }

  nextOrphan(timeoutMs = 5000) {
    return new Promise((resolve, reject) => {
      const start = Date.now();
      const poll = () => {
        if (this.orphans.length) return resolve(this.orphans.shift());
        if (Date.now() - start > timeoutMs) return reject(new Error('no reply with id null'));
        setTimeout(poll, 10);
      };
      poll();
    });
  }

  async waitEvent(pred, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.events.findIndex(pred);
      if (i >= 0) return this.events.splice(i, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('event did not arrive');
      await new Promise((r) => { this.eventWaiters.push(r); setTimeout(r, left).unref(); });
    }
  }

  close() { this.ws.close(); }
}

// ----------------------------------------------------------- protocol bits

const suite = RSABSSA.SHA384.PSS.Randomized();

export async function fetchKeys(server) {
  const res = await fetch(`${server.url}/v1/keys`);
  return res.json();
}

export function directoryBytes(dir) {
  const lines = ['hearth/keys/v1', dir.issuer, String(dir.seq)];
  for (const k of dir.keys) lines.push(`${k.key_id} ${k.epoch} ${k.issue_from} ${k.issue_until} ${k.accept_until} ${k.state}`);
  return utf8(lines.join('\n'));
}

export async function verifyDirectory(dir) {
  if (!ed25519.verify(unb64u(dir.sig), directoryBytes(dir), unb64u(dir.master_key))) return false;
  for (const k of dir.keys) {
    const h = new Uint8Array(await webcrypto.subtle.digest('SHA-256', unb64u(k.spki)));
    if (b64u(h) !== k.key_id) return false;
  }
  return true;
}

export async function importKey(spkiB64) {
  return webcrypto.subtle.importKey('spki', unb64u(spkiB64), { name: 'RSA-PSS', hash: 'SHA-384' }, true, ['verify']);
}

export function tokenMessage(pk) {
  const msg = new Uint8Array(52);
  msg.set(utf8('hearth/pseudonym/v1'), 0);
  msg[19] = 0;
  msg.set(pk, 20);
  return msg;
}

export class Pseudonym {
  constructor() {
    this.sk = ed25519.utils.randomSecretKey();
    this.pk = ed25519.getPublicKey(this.sk);
    this.pkB64 = b64u(this.pk);
  }
  sign(bytes) { return ed25519.sign(bytes, this.sk); }
}

// Blinds the pseudonym's token message under key `key` (a directory entry).
export async function blindToken(key, pseudonym) {
  const publicKey = await importKey(key.spki);
  const prepared = suite.prepare(tokenMessage(pseudonym.pk));
  const { blindedMsg, inv } = await suite.blind(publicKey, prepared);
  return { key, publicKey, prepared, blindedMsg, inv };
}

export async function finalizeToken(t, blindSigB64) {
  const sig = await suite.finalize(t.publicKey, t.prepared, unb64u(blindSigB64), t.inv);
  return { key_id: t.key.key_id, prefix: b64u(t.prepared.slice(0, 32)), sig: b64u(sig) };
}

// Enrolls an employee (roster import by the admin, then enroll) and returns
// a logged-in issuer connection.
export async function enrolledEmployee(server, admin, employeeId, password = 'correct horse battery') {
  const { codes } = await admin.ok('roster.import', { employees: [employeeId] });
  const issuer = await server.connect('issuer');
  await issuer.ok('enroll', { employee_id: employeeId, code: codes[employeeId], password });
  return issuer;
}

// The whole employee path to a token: issue on /v1/issuer, finalize.
export async function obtainToken(server, issuer, pseudonym, key) {
  key ??= (await fetchKeys(server)).keys.find((k) => k.state === 'active');
  const t = await blindToken(key, pseudonym);
  const { blind_sig } = await issuer.ok('issue', { key_id: key.key_id, blinded_msg: b64u(t.blindedMsg) });
  return finalizeToken(t, blind_sig);
}

export function loginBytes(issuer, nonceB64) { return utf8(`hearth/login/v1\n${issuer}\n${nonceB64}`); }

export function postBytes(issuer, channel, parent, nonce, body) {
  return utf8(`hearth/post/v1\n${issuer}\n${channel}\n${parent ?? ''}\n${nonce}\n${body}`);
}

export async function login(forum, server, pseudonym) {
  const { nonce } = await forum.ok('challenge');
  return forum.ok('login', { pseudonym_pk: pseudonym.pkB64, sig: b64u(pseudonym.sign(loginBytes(server.issuer, nonce))) });
}

export function newNonce() { return b64u(webcrypto.getRandomValues(new Uint8Array(18))); }

export function signedPost(server, pseudonym, channel, body, parent = null, nonce = newNonce()) {
  return { channel, parent, body, nonce, sig: b64u(pseudonym.sign(postBytes(server.issuer, channel, parent, nonce, body))) };
}

// A certified, logged-in pseudonym on a fresh forum connection.
export async function pseudonymOnForum(server, admin, employeeId, handle) {
  const issuer = await enrolledEmployee(server, admin, employeeId);
  const p = new Pseudonym();
  const token = await obtainToken(server, issuer, p);
  issuer.close();
  const forum = await server.connect('forum');
  await forum.ok('certify', { ...token, pseudonym_pk: p.pkB64, handle });
  await login(forum, server, p);
  return { p, forum, token, handle };
}
