import { describe, expect, it, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { ed25519 } from '@noble/curves/ed25519.js';
import { RSABSSA } from '@cloudflare/blindrsa-ts';
import { b64urlDecode, b64urlEncode, concatBytes } from '../src/lib/b64';
import { directoryBytes, pseudonymMsg } from '../src/lib/domain';
import {
  DirectoryError,
  keyIdOf,
  memoryPinStore,
  verifyDirectory,
  type Directory,
  type DirectoryKey,
} from '../src/lib/directory';
import { newPostNonce, newPseudonymKey, signLogin, signPost, verifyPost } from '../src/lib/pseudonym';
import { blindToken, finalizeToken, importIssuerKey, suite, verifyToken } from '../src/lib/token';
import { exportBackup, importBackup } from '../src/lib/backup';

const hexToBytes = (h: string) => new Uint8Array(h.match(/../g)?.map((x) => parseInt(x, 16)) ?? []);

let rsa: CryptoKeyPair;
let spki: Uint8Array;
beforeAll(async () => {
  rsa = await RSABSSA.SHA384.generateKey({ modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) });
  spki = new Uint8Array(await crypto.subtle.exportKey('spki', rsa.publicKey));
});

function signedDirectory(master: Uint8Array, seq: number, keys: DirectoryKey[], issuer = 'hearth-local'): Directory {
  const sig = ed25519.sign(directoryBytes(issuer, seq, keys), master);
  return {
    issuer,
    master_key: b64urlEncode(ed25519.getPublicKey(master)),
    seq,
    keys,
    sig: b64urlEncode(sig),
  };
}

function keyEntry(epoch: number, state: DirectoryKey['state']): DirectoryKey {
  return {
    key_id: keyIdOf(spki),
    spki: b64urlEncode(spki),
    bits: 2048,
    epoch,
    issue_from: 1764000000,
    issue_until: 1766592000,
    accept_until: 1769184000,
    state,
  };
}

describe('key directory verification', () => {
  const master = ed25519.utils.randomSecretKey();

  it('accepts a well-signed directory and reports its active key and fingerprint', () => {
    const pins = memoryPinStore();
    const v = verifyDirectory(signedDirectory(master, 3, [keyEntry(1, 'active')]), pins);
    expect(v.active?.epoch).toBe(1);
    expect(v.fingerprint).toMatch(/^[0-9a-f]{4}( [0-9a-f]{4}){4}$/);
    expect(pins.load()?.seq).toBe(3);
  });

  it('key_id is the base64url SHA-256 of the SPKI DER', async () => {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', spki));
    expect(keyIdOf(spki)).toBe(b64urlEncode(digest));
    expect(keyIdOf(spki)).toHaveLength(43);
  });

  it('refuses a bad signature', () => {
    const d = signedDirectory(master, 3, [keyEntry(1, 'active')]);
    const tampered = { ...d, seq: 4 };
    expect(() => verifyDirectory(tampered, memoryPinStore())).toThrow(DirectoryError);
    try {
      verifyDirectory(tampered, memoryPinStore());
    } catch (e) {
      expect((e as DirectoryError).problem).toBe('signature');
    }
    const other = signedDirectory(ed25519.utils.randomSecretKey(), 3, [keyEntry(1, 'active')]);
    expect(() => verifyDirectory({ ...d, sig: other.sig }, memoryPinStore())).toThrow(/signature/);
  });

  it('refuses a key_id that is not the hash of its spki, even when signed', () => {
    const k = { ...keyEntry(1, 'active'), key_id: b64urlEncode(new Uint8Array(32)) };
    const d = signedDirectory(master, 3, [k]);
    expect(() => verifyDirectory(d, memoryPinStore())).toThrow(expect.objectContaining({ problem: 'key_id' }));
  });

  it('refuses a lower seq than the highest seen, accepts equal and higher', () => {
    const pins = memoryPinStore();
    verifyDirectory(signedDirectory(master, 5, [keyEntry(1, 'active')]), pins);
    expect(() => verifyDirectory(signedDirectory(master, 4, [keyEntry(1, 'active')]), pins)).toThrow(
      expect.objectContaining({ problem: 'rollback' }),
    );
    expect(pins.load()?.seq).toBe(5);
    verifyDirectory(signedDirectory(master, 5, [keyEntry(1, 'active')]), pins);
    verifyDirectory(signedDirectory(master, 6, [keyEntry(1, 'retired'), keyEntry(2, 'active')]), pins);
    expect(pins.load()?.seq).toBe(6);
  });

  it('refuses a different master key than the pinned one', () => {
    const pins = memoryPinStore();
    verifyDirectory(signedDirectory(master, 1, [keyEntry(1, 'active')]), pins);
    const other = signedDirectory(ed25519.utils.randomSecretKey(), 9, [keyEntry(1, 'active')]);
    expect(() => verifyDirectory(other, pins)).toThrow(expect.objectContaining({ problem: 'master_key_changed' }));
  });

  it('refuses two active keys and malformed shapes', () => {
    const two = signedDirectory(master, 1, [keyEntry(1, 'active'), keyEntry(2, 'active')]);
    expect(() => verifyDirectory(two, memoryPinStore())).toThrow(/more than one active/);
    expect(() => verifyDirectory(null, memoryPinStore())).toThrow(DirectoryError);
    expect(() => verifyDirectory({ issuer: 'x' }, memoryPinStore())).toThrow(DirectoryError);
    const badState = signedDirectory(master, 1, [{ ...keyEntry(1, 'active'), state: 'weird' as never }]);
    expect(() => verifyDirectory(badState, memoryPinStore())).toThrow(/unknown state/);
  });
});

describe('post signatures', () => {
  const key = newPseudonymKey();
  const nonce = newPostNonce();
  const post = {
    channel: 'general',
    parent: null,
    body: 'hello <img src=x onerror=alert(1)>\nsecond line',
    nonce,
    sig: signPost(key.sk, 'hearth-local', 'general', null, nonce, 'hello <img src=x onerror=alert(1)>\nsecond line'),
    author: { handle: 'alice', pk: b64urlEncode(key.pk) },
  };

  it('nonces are base64url of 16..64 characters', () => {
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
    expect(newPostNonce()).not.toBe(nonce);
  });

  it('verifies a correctly signed post', () => {
    expect(verifyPost(post, 'hearth-local')).toBe(true);
  });

  it('rejects tampering with body, channel, parent, nonce, issuer or author', () => {
    expect(verifyPost({ ...post, body: post.body + '!' }, 'hearth-local')).toBe(false);
    expect(verifyPost({ ...post, channel: 'random' }, 'hearth-local')).toBe(false);
    expect(verifyPost({ ...post, parent: 'p1' as never }, 'hearth-local')).toBe(false);
    expect(verifyPost({ ...post, nonce: newPostNonce() }, 'hearth-local')).toBe(false);
    expect(verifyPost(post, 'other-issuer')).toBe(false);
    const other = newPseudonymKey();
    expect(verifyPost({ ...post, author: { handle: 'alice', pk: b64urlEncode(other.pk) } }, 'hearth-local')).toBe(false);
  });

  it('reports garbage as unverifiable instead of throwing', () => {
    expect(verifyPost({ ...post, sig: 'not base64!' }, 'hearth-local')).toBe(false);
    expect(verifyPost({ ...post, sig: 'AAAA' }, 'hearth-local')).toBe(false);
    expect(verifyPost({ ...post, author: undefined as never }, 'hearth-local')).toBe(false);
  });

  it('reply signatures cover the parent id', () => {
    const n = newPostNonce();
    const sig = signPost(key.sk, 'hearth-local', 'general', 'p1', n, 'reply');
    const reply = { ...post, parent: 'p1' as string | null, nonce: n, body: 'reply', sig };
    expect(verifyPost(reply, 'hearth-local')).toBe(true);
    expect(verifyPost({ ...reply, parent: null }, 'hearth-local')).toBe(false);
  });

  it('login signature is Ed25519 over the §3 login bytes', () => {
    const sig = b64urlDecode(signLogin(key.sk, 'hearth-local', 'bm9uY2U'));
    const msg = new TextEncoder().encode('hearth/login/v1\nhearth-local\nbm9uY2U');
    expect(ed25519.verify(sig, msg, key.pk)).toBe(true);
  });
});

describe('blind RSA tokens (RSABSSA-SHA384-PSS-Randomized)', () => {
  it('blind → sign → finalize round trip with a local key, verifiable as plain RSA-PSS', async () => {
    const issuerKey = await importIssuerKey(b64urlEncode(spki));
    const pseudonym = newPseudonymKey();
    const t = await blindToken(issuerKey, pseudonym.pk);
    expect(t.prefix).toHaveLength(32);
    expect(t.prepared).toEqual(concatBytes(t.prefix, pseudonymMsg(pseudonym.pk)));
    expect(t.blindedMsg).toHaveLength(256);
    const blindSig = await suite.blindSign(rsa.privateKey, t.blindedMsg);
    const sig = await finalizeToken(issuerKey, t, blindSig);
    expect(sig).toHaveLength(256);
    expect(await verifyToken(issuerKey, t.prefix, pseudonym.pk, sig)).toBe(true);
    // What the server does at certify: RSASSA-PSS verify over prefix || msg, salt 48.
    expect(await crypto.subtle.verify({ name: 'RSA-PSS', saltLength: 48 }, issuerKey, sig, t.prepared)).toBe(true);
    // The signature is bound to the pseudonym key.
    expect(await verifyToken(issuerKey, t.prefix, newPseudonymKey().pk, sig)).toBe(false);
  }, 30000);

  it('finalize refuses a blind signature that is not valid', async () => {
    const issuerKey = await importIssuerKey(b64urlEncode(spki));
    const t = await blindToken(issuerKey, newPseudonymKey().pk);
    const blindSig = await suite.blindSign(rsa.privateKey, t.blindedMsg);
    blindSig[10] ^= 1;
    await expect(finalizeToken(issuerKey, t, blindSig)).rejects.toThrow();
  }, 30000);

  it('RFC 9474 A.1 vector: finalize(blind_sig, inv) gives sig, which verifies over prepared_msg', async () => {
    const data = JSON.parse(readFileSync(new URL('../../tests/data/rfc9474.json', import.meta.url), 'utf8'));
    const v = data.vectors.find((x: { name: string }) => x.name === 'RSABSSA-SHA384-PSS-Randomized');
    const jwk = { kty: 'RSA', n: b64urlEncode(hexToBytes(v.n)), e: b64urlEncode(hexToBytes(v.e)), ext: true };
    const pub = await crypto.subtle.importKey('jwk', jwk, { name: 'RSA-PSS', hash: 'SHA-384' }, true, ['verify']);
    const prepared = hexToBytes(v.prepared_msg);
    expect(prepared).toEqual(concatBytes(hexToBytes(v.msg_prefix), hexToBytes(v.msg)));
    const sig = await suite.finalize(pub, prepared, hexToBytes(v.blind_sig), hexToBytes(v.inv));
    expect(Array.from(sig)).toEqual(Array.from(hexToBytes(v.sig)));
    expect(await suite.verify(pub, hexToBytes(v.sig), prepared)).toBe(true);
  });
});

describe('passphrase-protected export', () => {
  const fast = { t: 1, m: 64, p: 1 };
  const key = newPseudonymKey();
  const payload = {
    handle: 'alice',
    pk: b64urlEncode(key.pk),
    sk: b64urlEncode(key.sk),
    issuer: 'hearth-local',
    master_key: 'mk',
  };

  it('round-trips with the right passphrase', async () => {
    const file = await exportBackup(payload, 'correct horse battery', fast);
    expect(file).not.toContain(payload.sk);
    const back = await importBackup(file, 'correct horse battery');
    expect(back).toEqual(payload);
  });

  it('fails with a wrong passphrase or an altered header', async () => {
    const file = await exportBackup(payload, 'correct horse battery', fast);
    await expect(importBackup(file, 'wrong horse battery')).rejects.toThrow(/Wrong passphrase/);
    const f = JSON.parse(file);
    f.kdf.t = 2;
    await expect(importBackup(JSON.stringify(f), 'correct horse battery')).rejects.toThrow(/Wrong passphrase/);
    await expect(importBackup('{"hello":1}', 'x')).rejects.toThrow(/not a hearth backup/);
  });

  it('refuses short passphrases', async () => {
    await expect(exportBackup(payload, 'short', fast)).rejects.toThrow();
  });

  it('uses Argon2id: the default parameters derive in reasonable time', async () => {
    const t0 = Date.now();
    const file = await exportBackup(payload, 'correct horse battery');
    expect(JSON.parse(file).kdf).toMatchObject({ alg: 'argon2id', m: 19456, t: 2, p: 1 });
    expect(Date.now() - t0).toBeLessThan(20000);
  }, 30000);
});
