import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { b64urlEncode } from '../src/lib/b64';
import { directoryBytes } from '../src/lib/domain';
import { DirectoryError, compareDirectories, keyIdOf, memoryPinStore, verifyDirectory, type DirectoryKey } from '../src/lib/directory';
import { newPostNonce, newPseudonymKey, signPost, verifyPostCached } from '../src/lib/pseudonym';
import { IssuerKeyError, importIssuerKey } from '../src/lib/token';
import { forgetAllReacted, loadReacted, saveReacted } from '../src/lib/reacted';
import { BACKUP_FILE_NAME } from '../src/lib/backup';

function rsaSpki(bits: number, e: number): string {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: e });
  return b64urlEncode(new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })));
}

describe('post verification cache', () => {
  it('is keyed on the exact signed bytes: a post re-sent with another body is checked again', () => {
    const key = newPseudonymKey();
    const nonce = newPostNonce();
    const body = 'the original words';
    const post = {
      id: 'p-cache-1',
      channel: 'general',
      parent: null,
      body,
      nonce,
      sig: signPost(key.sk, 'hearth-local', 'general', null, nonce, body),
      author: { handle: 'alice', pk: b64urlEncode(key.pk) },
    };
    expect(verifyPostCached(post, 'hearth-local')).toBe(true);
    // Same id, signature and author: only the body differs.
    expect(verifyPostCached({ ...post, body: 'words the author never wrote' }, 'hearth-local')).toBe(false);
    expect(verifyPostCached({ ...post, channel: 'random' }, 'hearth-local')).toBe(false);
    expect(verifyPostCached({ ...post, parent: 'p0' as never }, 'hearth-local')).toBe(false);
    expect(verifyPostCached({ ...post, nonce: newPostNonce() }, 'hearth-local')).toBe(false);
    expect(verifyPostCached(post, 'other-issuer')).toBe(false);
    // And the genuine one is still good afterwards.
    expect(verifyPostCached(post, 'hearth-local')).toBe(true);
    expect(verifyPostCached({ ...post, author: undefined as never }, 'hearth-local')).toBe(false);
  });
});

describe('issuer keys are checked as keys, not as the directory describes them', () => {
  it('accepts a 2048-bit key with e = 65537 whose bits field is right', async () => {
    const key = await importIssuerKey(rsaSpki(2048, 65537), 2048);
    expect((key.algorithm as RsaHashedKeyAlgorithm).modulusLength).toBe(2048);
  });

  it('refuses a 1024-bit key with e = 3 that claims 2048 bits', async () => {
    await expect(importIssuerKey(rsaSpki(1024, 3), 2048)).rejects.toBeInstanceOf(IssuerKeyError);
    await expect(importIssuerKey(rsaSpki(1024, 3), 2048)).rejects.toThrow(/1024-bit modulus/);
  });

  it('refuses a 1024-bit key with e = 65537, and any key under 2048 bits', async () => {
    await expect(importIssuerKey(rsaSpki(1024, 65537), 1024)).rejects.toThrow(/at least 2048/);
    await expect(importIssuerKey(rsaSpki(2040, 65537), 2040)).rejects.toThrow(/2040-bit/);
  });

  it('refuses e = 3 even at 2048 bits', async () => {
    await expect(importIssuerKey(rsaSpki(2048, 3), 2048)).rejects.toThrow(/exponent is 3,/);
  });

  it('refuses a bits field that does not match the modulus', async () => {
    await expect(importIssuerKey(rsaSpki(2048, 65537), 4096)).rejects.toThrow(/says the issuer key has 4096 bits/);
  });

  it('refuses bytes that are not an RSA key', async () => {
    await expect(importIssuerKey(b64urlEncode(new Uint8Array(40)), 2048)).rejects.toBeInstanceOf(IssuerKeyError);
  });
});

describe('directory consistency across connections (key tagging)', () => {
  const master = ed25519.utils.randomSecretKey();
  const entry = (spki: string, epoch: number, state: DirectoryKey['state']): DirectoryKey => ({
    key_id: keyIdOf(Buffer.from(spki, 'base64url')),
    spki,
    bits: 2048,
    epoch,
    issue_from: 1764000000,
    issue_until: 1766592000,
    accept_until: 1769184000,
    state,
  });
  const dirOf = (seq: number, keys: DirectoryKey[]) => ({
    issuer: 'hearth-local',
    master_key: b64urlEncode(ed25519.getPublicKey(master)),
    seq,
    keys,
    sig: b64urlEncode(ed25519.sign(directoryBytes('hearth-local', seq, keys), master)),
  });
  const k1 = rsaSpki(2048, 65537);
  const k2 = rsaSpki(2048, 65537);

  it('the same directory on both connections is fine; unsigned extras do not matter', () => {
    const pub = verifyDirectory(dirOf(4, [entry(k1, 1, 'active')]), memoryPinStore());
    const shown = verifyDirectory({ ...dirOf(4, [entry(k1, 1, 'active')]), issued: { x: 3 } }, memoryPinStore());
    expect(compareDirectories(pub, shown)).toBe('same');
  });

  it('a validly signed, different directory with the same seq is refused as key tagging', () => {
    const pub = verifyDirectory(dirOf(4, [entry(k1, 1, 'active')]), memoryPinStore());
    const tagged = verifyDirectory(dirOf(4, [entry(k2, 1, 'active')]), memoryPinStore());
    expect(() => compareDirectories(pub, tagged)).toThrow(DirectoryError);
    expect(() => compareDirectories(pub, tagged)).toThrow(/key tagging/);
    try {
      compareDirectories(pub, tagged);
    } catch (e) {
      expect((e as DirectoryError).problem).toBe('tagging');
    }
  });

  it('a later directory on the issuer connection asks for the public one again; an earlier one is refused', () => {
    const pub = verifyDirectory(dirOf(4, [entry(k1, 1, 'active')]), memoryPinStore());
    const later = verifyDirectory(dirOf(5, [entry(k1, 1, 'retired'), entry(k2, 2, 'active')]), memoryPinStore());
    expect(compareDirectories(pub, later)).toBe('newer');
    expect(() => compareDirectories(later, pub)).toThrow(/older/);
  });
});

describe('traces of a pseudonym on the device', () => {
  it('the backup file name says nothing of the pseudonym', () => {
    expect(BACKUP_FILE_NAME).toBe('hearth-backup.hearthkey');
  });

  it('forgetting removes the reaction memory of every pseudonym, and nothing else', () => {
    const store = new Map<string, string>();
    const g = globalThis as any;
    const saved = g.localStorage;
    g.localStorage = {
      get length() {
        return store.size;
      },
      key: (i: number) => [...store.keys()][i] ?? null,
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
      removeItem: (k: string) => void store.delete(k),
    };
    try {
      saveReacted('pkA', new Set(['p1|+1', 'p2|heart']));
      saveReacted('pkB', new Set(['p3|sad']));
      store.set('hearth.directory.pin', '{"seq":3}');
      expect(loadReacted('pkA')).toEqual(new Set(['p1|+1', 'p2|heart']));
      forgetAllReacted();
      expect([...store.keys()]).toEqual(['hearth.directory.pin']);
      expect(loadReacted('pkA').size).toBe(0);
    } finally {
      g.localStorage = saved;
    }
  });
});
