// Ed25519 pseudonym keys: generation, login and post signatures, and the
// end-to-end check of every post shown.
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { b64urlDecode, b64urlEncode, concatBytes, randomBytes } from './b64';
import { loginBytes, postBytes } from './domain';

const utf8 = new TextEncoder();

export interface PseudonymKey {
  sk: Uint8Array; // 32-byte seed
  pk: Uint8Array;
}

export function newPseudonymKey(): PseudonymKey {
  const sk = ed25519.utils.randomSecretKey();
  return { sk, pk: ed25519.getPublicKey(sk) };
}

export function publicKeyOf(sk: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(sk);
}

export function signLogin(sk: Uint8Array, issuer: string, nonce: string): string {
  return b64urlEncode(ed25519.sign(loginBytes(issuer, nonce), sk));
}

/** A fresh client nonce: 24 random bytes, 32 base64url characters (16..64 allowed). */
export function newPostNonce(): string {
  return b64urlEncode(randomBytes(24));
}

export function signPost(
  sk: Uint8Array,
  issuer: string,
  channel: string,
  parent: string | null,
  nonce: string,
  body: string,
): string {
  return b64urlEncode(ed25519.sign(postBytes(issuer, channel, parent, nonce, body), sk));
}

export interface SignedPost {
  channel: string;
  parent: string | null;
  body: string;
  nonce: string;
  sig: string;
  author: { handle: string; pk: string };
}

/** True only when the post's signature verifies under its author's key. */
export function verifyPost(p: SignedPost, issuer: string): boolean {
  try {
    if (!p.author || typeof p.body !== 'string' || typeof p.nonce !== 'string') return false;
    const pk = b64urlDecode(p.author.pk);
    const sig = b64urlDecode(p.sig);
    if (pk.length !== 32 || sig.length !== 64) return false;
    return ed25519.verify(sig, postBytes(issuer, p.channel, p.parent ?? null, p.nonce, p.body), pk, { zip215: false });
  } catch {
    return false;
  }
}

const verified = new Map<string, boolean>();
const VERIFIED_MAX = 5000;

/**
 * verifyPost, memoised: views re-render often. The cache key is a hash of
 * everything the answer depends on (the author's key, the signature and the
 * exact signed bytes), so a post re-sent with any field changed, the body
 * included, is verified afresh.
 */
export function verifyPostCached(p: SignedPost & { id: string }, issuer: string): boolean {
  let k: string;
  try {
    const signed = postBytes(issuer, p.channel, p.parent ?? null, p.nonce, p.body);
    k = b64urlEncode(sha256(concatBytes(utf8.encode(`${JSON.stringify([p.author.pk, p.sig])}\n`), signed)));
  } catch {
    return false;
  }
  let v = verified.get(k);
  if (v === undefined) {
    v = verifyPost(p, issuer);
    if (verified.size >= VERIFIED_MAX) verified.clear();
    verified.set(k, v);
  }
  return v;
}
