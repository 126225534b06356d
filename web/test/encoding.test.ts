import { describe, expect, it } from 'vitest';
import { b64urlDecode, b64urlEncode, hex } from '../src/lib/b64';
import { directoryBytes, loginBytes, postBytes, pseudonymMsg } from '../src/lib/domain';

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('base64url', () => {
  // RFC 4648 §10 test vectors, in the url-safe alphabet without padding.
  const vectors: [string, string][] = [
    ['', ''],
    ['f', 'Zg'],
    ['fo', 'Zm8'],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg'],
    ['fooba', 'Zm9vYmE'],
    ['foobar', 'Zm9vYmFy'],
  ];
  it.each(vectors)('encodes %j as %j', (plain, enc) => {
    expect(b64urlEncode(utf8(plain))).toBe(enc);
    expect(text(b64urlDecode(enc))).toBe(plain);
  });

  it('uses - and _ instead of + and /', () => {
    expect(b64urlEncode(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('-_-_');
    expect(b64urlEncode(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
    expect(Array.from(b64urlDecode('-_-_'))).toEqual([0xfb, 0xff, 0xbf]);
  });

  it('round-trips every length up to 70 bytes', () => {
    for (let n = 0; n <= 70; n++) {
      const b = new Uint8Array(n).map((_, i) => (i * 37 + n) & 0xff);
      expect(Array.from(b64urlDecode(b64urlEncode(b)))).toEqual(Array.from(b));
    }
  });

  it.each(['Zg==', 'Zm9v=', 'Z', 'Zh', 'Zm9', 'a+bc', 'a/bc', 'ab c', 'abé'])('rejects %j', (bad) => {
    expect(() => b64urlDecode(bad)).toThrow();
  });
});

describe('§3 domain strings', () => {
  it('pseudonym msg is label, 0x00, pk: 52 bytes', () => {
    const pk = new Uint8Array(32).map((_, i) => i + 1);
    const m = pseudonymMsg(pk);
    expect(m.length).toBe(52);
    expect(hex(m)).toBe(
      '6865617274682f70736575646f6e796d2f7631' + // "hearth/pseudonym/v1"
        '00' +
        '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20',
    );
    expect(() => pseudonymMsg(new Uint8Array(31))).toThrow();
  });

  it('login bytes', () => {
    expect(text(loginBytes('hearth-local', 'AAECAw'))).toBe('hearth/login/v1\nhearth-local\nAAECAw');
    expect(hex(loginBytes('x', 'n'))).toBe('6865617274682f6c6f67696e2f76310a780a6e');
  });

  it('post bytes, top-level and reply, body last and may hold newlines', () => {
    expect(text(postBytes('hearth-local', 'general', null, 'nonce1234567890abc', 'hi\nthere'))).toBe(
      'hearth/post/v1\nhearth-local\ngeneral\n\nnonce1234567890abc\nhi\nthere',
    );
    expect(text(postBytes('acme', 'dev', 'p42', 'n', ''))).toBe('hearth/post/v1\nacme\ndev\np42\nn\n');
    expect(Array.from(postBytes('i', 'c', null, 'n', 'é'))).toEqual([
      ...utf8('hearth/post/v1\ni\nc\n\nn\n'),
      0xc3,
      0xa9,
    ]);
    expect(() => postBytes('i', 'c\n', null, 'n', 'b')).toThrow();
    expect(() => postBytes('i', 'c', null, 'n\n', 'b')).toThrow();
  });

  it('directory bytes', () => {
    const b = directoryBytes('hearth-local', 7, [
      { key_id: 'K1', epoch: 1, issue_from: 100, issue_until: 200, accept_until: 300, state: 'retired' },
      { key_id: 'K2', epoch: 2, issue_from: 200, issue_until: 400, accept_until: 500, state: 'active' },
    ]);
    expect(text(b)).toBe('hearth/keys/v1\nhearth-local\n7\nK1 1 100 200 300 retired\nK2 2 200 400 500 active');
    expect(text(directoryBytes('i', 0, []))).toBe('hearth/keys/v1\ni\n0');
    expect(() => directoryBytes('a\nb', 1, [])).toThrow();
  });
});
