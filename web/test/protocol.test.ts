import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Rpc, RpcError, endpointUrl } from '../src/lib/rpc';
import { resetEndpoints } from '../src/lib/config';
import { HANDLE_RE } from '../src/lib/issuance';
import { IssuerSession } from '../src/lib/issuer';
import { bannedText, parseDelay } from '../src/employee/text';

/** A stand-in WebSocket: records what the client sends, lets the test answer. */
class FakeSocket {
  static OPEN = 1;
  static CLOSED = 3;
  static last: FakeSocket | null = null;
  readyState = 0;
  sent: any[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onerror: (() => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  private listeners: Record<string, (() => void)[]> = {};
  constructor(readonly url: string) {
    FakeSocket.last = this;
    queueMicrotask(() => {
      this.readyState = FakeSocket.OPEN;
      this.onopen?.();
    });
  }
  send(text: string) {
    this.sent.push(JSON.parse(text));
  }
  receive(obj: unknown) {
    this.onmessage?.({ data: typeof obj === 'string' ? obj : JSON.stringify(obj) });
  }
  addEventListener(type: string, l: () => void) {
    (this.listeners[type] ??= []).push(l);
  }
  close(code = 1000) {
    this.readyState = FakeSocket.CLOSED;
    this.onclose?.({ code, reason: '' });
    for (const l of this.listeners.close ?? []) l();
  }
}

const g = globalThis as any;
let saved: { ws: unknown; loc: unknown; fetch: unknown };
beforeEach(() => {
  saved = { ws: g.WebSocket, loc: g.location, fetch: g.fetch };
  g.WebSocket = FakeSocket;
  g.location = { protocol: 'https:', host: 'hearth.example:8443' };
  // A server without GET /v1/config: every endpoint on the page's origin.
  g.fetch = async () => new Response('not found', { status: 404 });
  FakeSocket.last = null;
  resetEndpoints();
});
afterEach(() => {
  g.WebSocket = saved.ws;
  g.location = saved.loc;
  g.fetch = saved.fetch;
});

describe('endpoint URLs', () => {
  it('use the page origin, ws: or wss: to match', () => {
    expect(endpointUrl('/v1/forum', { protocol: 'http:', host: '127.0.0.1:8080' })).toBe('ws://127.0.0.1:8080/v1/forum');
    expect(endpointUrl('/v1/staff', { protocol: 'https:', host: 'h.example' })).toBe('wss://h.example/v1/staff');
  });
});

describe('§2 envelope client', () => {
  it('sends integer ids with the op and fields, matches answers by id in any order', async () => {
    const rpc = await new Rpc('/v1/forum').open();
    const ws = FakeSocket.last!;
    expect(ws.url).toBe('wss://hearth.example:8443/v1/forum');
    const a = rpc.call('feed', { channel: 'general' });
    const b = rpc.call('anonymity');
    expect(ws.sent).toEqual([
      { id: 1, op: 'feed', channel: 'general' },
      { id: 2, op: 'anonymity' },
    ]);
    ws.receive({ id: 2, ok: true, result: { certified: 7 } });
    ws.receive({ id: 1, ok: true, result: { posts: [], next: null } });
    expect(await b).toEqual({ certified: 7 });
    expect(await a).toEqual({ posts: [], next: null });
  });

  it('a field named id or op cannot override the envelope', async () => {
    const rpc = await new Rpc('/v1/forum').open();
    void rpc.call('post', { id: 99, op: 'delete', body: 'x' });
    expect(FakeSocket.last!.sent[0]).toMatchObject({ id: 1, op: 'post', body: 'x' });
  });

  it('turns failures into RpcError with the protocol code', async () => {
    const rpc = await new Rpc('/v1/issuer').open();
    const p = rpc.call('issue', { key_id: 'k', blinded_msg: 'AA' });
    FakeSocket.last!.receive({ id: 1, ok: false, error: { code: 'quota_exhausted', message: 'used' } });
    await expect(p).rejects.toMatchObject({ code: 'quota_exhausted', message: 'used' });
    await expect(p).rejects.toBeInstanceOf(RpcError);
  });

  it('delivers pushes to listeners and ignores junk frames', async () => {
    const rpc = await new Rpc('/v1/forum').open();
    const got: [string, unknown][] = [];
    rpc.onPush((e, d) => got.push([e, d]));
    const ws = FakeSocket.last!;
    ws.receive('not json');
    ws.receive({ id: null, ok: false, error: { code: 'bad_request', message: 'x' } });
    ws.receive({ event: 'post_hidden', data: { post_id: 'p1' } });
    ws.receive({ id: 42, ok: true, result: {} }); // nobody asked
    expect(got).toEqual([['post_hidden', { post_id: 'p1' }]]);
  });

  it('rejects pending calls when the connection closes, and refuses new ones', async () => {
    const rpc = await new Rpc('/v1/forum').open();
    const p = rpc.call('feed', { channel: 'general' });
    const closes: number[] = [];
    rpc.onClose((c) => closes.push(c));
    FakeSocket.last!.close(1008);
    await expect(p).rejects.toMatchObject({ code: 'network' });
    expect(closes).toEqual([1008]);
    await expect(rpc.call('feed')).rejects.toMatchObject({ code: 'network' });
  });

  it('times out a call that gets no answer', async () => {
    const rpc = await new Rpc('/v1/forum', 20).open();
    await expect(rpc.call('feed')).rejects.toMatchObject({ code: 'timeout' });
  });
});

/** Waits until the fake socket has sent `n` frames. */
async function sentFrames(n: number) {
  for (let i = 0; i < 200 && (FakeSocket.last?.sent.length ?? 0) < n; i++) await new Promise((r) => setTimeout(r, 0));
  return FakeSocket.last!.sent;
}

describe('header (SSO proxy) mode', () => {
  it('a fresh issuer connection that answers quota is used without a sign-in', async () => {
    const p = IssuerSession.fromProxy();
    const sent = await sentFrames(1);
    expect(FakeSocket.last!.url).toBe('wss://hearth.example:8443/v1/issuer');
    expect(sent).toEqual([{ id: 1, op: 'quota' }]);
    FakeSocket.last!.receive({ id: 1, ok: true, result: { key_id: 'k', epoch: 2, allowed: 1, used: 0 } });
    const r = await p;
    expect(r?.quota).toEqual({ key_id: 'k', epoch: 2, allowed: 1, used: 0 });
    expect(r?.session.viaProxy).toBe(true);
    expect(r?.session.employeeId).toBeNull();
    expect(r?.session.open).toBe(true);
  });

  it('unauthenticated means a sign-in is needed: null, and the connection is closed', async () => {
    const p = IssuerSession.fromProxy();
    await sentFrames(1);
    const ws = FakeSocket.last!;
    ws.receive({ id: 1, ok: false, error: { code: 'unauthenticated', message: 'sign in first' } });
    expect(await p).toBeNull();
    expect(ws.readyState).toBe(FakeSocket.CLOSED);
  });

  it('other failures are reported, not taken for roster mode', async () => {
    const p = IssuerSession.fromProxy();
    await sentFrames(1);
    const ws = FakeSocket.last!;
    ws.receive({ id: 1, ok: false, error: { code: 'rate_limited', message: 'slow down' } });
    await expect(p).rejects.toMatchObject({ code: 'rate_limited' });
    expect(ws.readyState).toBe(FakeSocket.CLOSED);
  });
});

describe('employee input rules', () => {
  it('handles follow the protocol pattern', () => {
    for (const ok of ['abc', 'A_b_9', 'x'.repeat(20)]) expect(HANDLE_RE.test(ok)).toBe(true);
    for (const bad of ['ab', 'x'.repeat(21), 'a b', 'ann-w', 'é_abc', 'a\nb']) expect(HANDLE_RE.test(bad)).toBe(false);
  });

  it('the delay field takes whole seconds, 0 allowed', () => {
    expect(parseDelay('0')).toBe(0);
    expect(parseDelay(' 42 ')).toBe(42);
    for (const bad of ['', '-1', '1.5', 'abc', '1e3', '7776001', '123456789']) expect(parseDelay(bad)).toBeNull();
  });

  it('a ban message names the end in local time', () => {
    expect(bannedText('this pseudonym is banned until 2026-11-25T20:13:42Z')).toMatch(/^This pseudonym is banned until .*2026/);
    expect(bannedText('banned')).toBe('This pseudonym is banned (banned).');
  });
});

describe('blind issuance over the issuer endpoint', () => {
  it('issues under the active key, finalizes, closes; a resumed request resends the same blinded message', async () => {
    const { ed25519 } = await import('@noble/curves/ed25519.js');
    const { RSABSSA } = await import('@cloudflare/blindrsa-ts');
    const { b64urlEncode, b64urlDecode } = await import('../src/lib/b64');
    const { directoryBytes } = await import('../src/lib/domain');
    const { keyIdOf, memoryPinStore, verifyDirectory } = await import('../src/lib/directory');
    const { IssuerSession } = await import('../src/lib/issuer');
    const { newPseudonymKey } = await import('../src/lib/pseudonym');
    const { suite, verifyToken, importIssuerKey } = await import('../src/lib/token');

    const rsa = await RSABSSA.SHA384.generateKey({ modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) });
    const spki = new Uint8Array(await crypto.subtle.exportKey('spki', rsa.publicKey));
    const master = ed25519.utils.randomSecretKey();
    const keys = [
      { key_id: keyIdOf(spki), spki: b64urlEncode(spki), bits: 2048, epoch: 1, issue_from: 1, issue_until: 2, accept_until: 3, state: 'active' as const },
    ];
    const dir = {
      issuer: 'hearth-local',
      master_key: b64urlEncode(ed25519.getPublicKey(master)),
      seq: 1,
      keys,
      sig: b64urlEncode(ed25519.sign(directoryBytes('hearth-local', 1, keys), master)),
    };

    // A tiny issuer: answers keys, login and issue like the server would.
    const serve = () => {
      const ws = FakeSocket.last!;
      const origSend = ws.send.bind(ws);
      ws.send = (text: string) => {
        origSend(text);
        const m = JSON.parse(text);
        void (async () => {
          if (m.op === 'login') ws.receive({ id: m.id, ok: true, result: { employee_id: 'e1' } });
          else if (m.op === 'keys') ws.receive({ id: m.id, ok: true, result: dir });
          else if (m.op === 'issue') {
            const blindSig = await suite.blindSign(rsa.privateKey, b64urlDecode(m.blinded_msg));
            ws.receive({ id: m.id, ok: true, result: { blind_sig: b64urlEncode(blindSig) } });
          }
        })();
      };
      return ws;
    };

    const key = newPseudonymKey();
    const origOpen = (await import('../src/lib/rpc')).Rpc.prototype.open;
    let ws!: FakeSocket;
    (await import('../src/lib/rpc')).Rpc.prototype.open = async function () {
      const r = await origOpen.call(this);
      ws = serve();
      return r;
    };
    try {
      let blinding: any = null;
      const s1 = await IssuerSession.signIn('e1', 'password123');
      const publicDirectory = async () => verifyDirectory(dir, memoryPinStore());
      const t1 = await s1.obtainToken(key.pk, { publicDirectory, pins: memoryPinStore(), onBlinded: async (b) => void (blinding = b) });
      expect(ws.readyState).toBe(FakeSocket.CLOSED); // the issuer connection is closed right after
      const issued = ws.sent.find((m) => m.op === 'issue');
      expect(issued).toEqual({ id: issued.id, op: 'issue', key_id: keys[0].key_id, blinded_msg: blinding.blinded_msg });
      const pub = await importIssuerKey(keys[0].spki);
      expect(await verifyToken(pub, b64urlDecode(t1.prefix), key.pk, b64urlDecode(t1.sig))).toBe(true);

      // Retry after a lost answer: the very same blinded message goes out again.
      const s2 = await IssuerSession.signIn('e1', 'password123');
      let blindedAgain = false;
      const t2 = await s2.obtainToken(key.pk, { publicDirectory, pins: memoryPinStore(), resume: blinding, onBlinded: async () => void (blindedAgain = true) });
      expect(blindedAgain).toBe(false);
      expect(ws.sent.find((m) => m.op === 'issue').blinded_msg).toBe(blinding.blinded_msg);
      expect(t2.prefix).toBe(t1.prefix);
      expect(await verifyToken(pub, b64urlDecode(t2.prefix), key.pk, b64urlDecode(t2.sig))).toBe(true);

      // The public directory differs from the one this signed-in connection shows, at the same seq:
      // nothing is blinded and no issue is sent.
      const rsa2 = await RSABSSA.SHA384.generateKey({ modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) });
      const spki2 = new Uint8Array(await crypto.subtle.exportKey('spki', rsa2.publicKey));
      const keys2 = [{ ...keys[0], key_id: keyIdOf(spki2), spki: b64urlEncode(spki2) }];
      const other = { ...dir, keys: keys2, sig: b64urlEncode(ed25519.sign(directoryBytes('hearth-local', 1, keys2), master)) };
      const s3 = await IssuerSession.signIn('e1', 'password123');
      let blinded3 = false;
      await expect(
        s3.obtainToken(key.pk, {
          publicDirectory: async () => verifyDirectory(other, memoryPinStore()),
          pins: memoryPinStore(),
          onBlinded: async () => void (blinded3 = true),
        }),
      ).rejects.toThrow(/key tagging/);
      expect(blinded3).toBe(false);
      expect(ws.sent.some((m) => m.op === 'issue')).toBe(false);
      expect(ws.readyState).toBe(FakeSocket.CLOSED);
    } finally {
      (await import('../src/lib/rpc')).Rpc.prototype.open = origOpen;
    }
  }, 30000);
});

describe('typed forum calls', () => {
  async function session() {
    const { ForumSession } = await import('../src/lib/forum');
    const { newPseudonymKey } = await import('../src/lib/pseudonym');
    const key = newPseudonymKey();
    const s = new ForumSession(key.sk, key.pk, 'hearth-local', { onPush() {}, onState() {}, onFatal() {} });
    const started = s.start();
    await sentFrames(1);
    const ws = FakeSocket.last!;
    ws.receive({ id: 1, ok: true, result: { nonce: 'bm9uY2Vub25jZW5vbmNlbm9uY2Vub25jZW5vbmNlbm8' } });
    await sentFrames(2);
    ws.receive({ id: 2, ok: true, result: { pseudonym: { handle: 'ann', pk: 'x', since_epoch: 1, valid_until: 9, posts: 0 } } });
    await started;
    return { s, ws };
  }

  it('thread pages: after and limit go out, next comes back (null at the end, or from a server without paging)', async () => {
    const { s, ws } = await session();
    const first = s.thread({ post_id: 'p1', limit: 50 });
    await sentFrames(3);
    expect(ws.sent[2]).toEqual({ id: 3, op: 'thread', post_id: 'p1', limit: 50 });
    ws.receive({ id: 3, ok: true, result: { post: { id: 'p1', hidden: true }, replies: [{ id: 'r1', hidden: true }], next: 'c1' } });
    expect(await first).toEqual({ post: { id: 'p1', hidden: true }, replies: [{ id: 'r1', hidden: true }], next: 'c1' });
    const second = s.thread({ post_id: 'p1', after: 'c1', limit: 50 });
    await sentFrames(4);
    expect(ws.sent[3]).toEqual({ id: 4, op: 'thread', post_id: 'p1', after: 'c1', limit: 50 });
    ws.receive({ id: 4, ok: true, result: { post: { id: 'p1', hidden: true }, replies: [] } });
    expect((await second).next).toBeNull();
  });

  it('feed and modlog pages, reactions and flags speak the §6 fields', async () => {
    const { s, ws } = await session();
    const feed = s.feed({ channel: 'general', before: 'c9', limit: 30 });
    await sentFrames(3);
    expect(ws.sent[2]).toEqual({ id: 3, op: 'feed', channel: 'general', before: 'c9', limit: 30 });
    ws.receive({ id: 3, ok: true, result: { posts: [], next: null } });
    expect(await feed).toEqual({ items: [], next: null });
    const react = s.react('p1', '+1', true);
    await sentFrames(4);
    expect(ws.sent[3]).toEqual({ id: 4, op: 'react', post_id: 'p1', reaction: '+1', on: true });
    ws.receive({ id: 4, ok: true, result: { post_id: 'p1', reactions: { '+1': 1, heart: 0, laugh: 0, sad: 0 } } });
    expect((await react)['+1']).toBe(1);
    const flag = s.flag('p1', 'spam');
    await sentFrames(5);
    expect(ws.sent[4]).toEqual({ id: 5, op: 'flag', post_id: 'p1', reason: 'spam' });
    ws.receive({ id: 5, ok: true, result: { post_id: 'p1' } });
    await flag;
  });
});
