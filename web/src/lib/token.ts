// RFC 9474 RSABSSA-SHA384-PSS-Randomized on the client side: prepare (random
// 32-byte prefix), blind under the issuer's active key, finalize (which checks
// the unblinded signature before returning it).
import { RSABSSA } from '@cloudflare/blindrsa-ts';
import { b64urlDecode } from './b64';
import { pseudonymMsg } from './domain';

export const suite = RSABSSA.SHA384.PSS.Randomized();
export const PREFIX_BYTES = 32;

/** The issuer key sizes the client blinds under (PROTOCOL.md §7 lets admins choose these). */
export const MIN_ISSUER_BITS = 2048;
export const MAX_ISSUER_BITS = 4096;
/** RFC 9474 §5 (and every sane RSA deployment): e = 65537. */
export const ISSUER_EXPONENT = 65537;

export class IssuerKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IssuerKeyError';
  }
}

function exponentOf(bytes: Uint8Array): number {
  let e = 0;
  for (const b of bytes) {
    if (e > 0xffffff) return Infinity;
    e = e * 256 + b;
  }
  return e;
}

/**
 * Imports an issuer key for blinding, after checking the key itself rather
 * than what the directory says of it: the modulus size as WebCrypto parsed it
 * from the SPKI (at least 2048 bits, and equal to the directory's `bits`,
 * which would otherwise be a lie), and the public exponent 65537. A weak key
 * (a small modulus, or e = 3) would let whoever holds it forge tokens or
 * learn from the blinded message.
 */
export async function importIssuerKey(spkiB64url: string, claimedBits?: number): Promise<CryptoKey> {
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey('spki', b64urlDecode(spkiB64url), { name: 'RSA-PSS', hash: 'SHA-384' }, true, [
      'verify',
    ]);
  } catch {
    throw new IssuerKeyError('The issuer key is not a valid RSA public key.');
  }
  const alg = key.algorithm as RsaHashedKeyAlgorithm;
  const bits = alg.modulusLength;
  if (!(bits >= MIN_ISSUER_BITS)) throw new IssuerKeyError(`The issuer key has a ${bits}-bit modulus; at least ${MIN_ISSUER_BITS} bits are required.`);
  if (bits > MAX_ISSUER_BITS) throw new IssuerKeyError(`The issuer key has a ${bits}-bit modulus; at most ${MAX_ISSUER_BITS} bits are accepted.`);
  if (claimedBits !== undefined && claimedBits !== bits) {
    throw new IssuerKeyError(`The key directory says the issuer key has ${claimedBits} bits, but its modulus has ${bits}.`);
  }
  const e = exponentOf(alg.publicExponent);
  if (e !== ISSUER_EXPONENT) throw new IssuerKeyError(`The issuer key's public exponent is ${e}, not ${ISSUER_EXPONENT}.`);
  return key;
}

export interface BlindedToken {
  prefix: Uint8Array;
  /** prefix || msg: what the finished signature covers. */
  prepared: Uint8Array;
  blindedMsg: Uint8Array;
  inv: Uint8Array;
}

export async function blindToken(issuerKey: CryptoKey, pseudonymPk: Uint8Array): Promise<BlindedToken> {
  const prepared = suite.prepare(pseudonymMsg(pseudonymPk));
  const prefix = prepared.slice(0, PREFIX_BYTES);
  const { blindedMsg, inv } = await suite.blind(issuerKey, prepared);
  return { prefix, prepared, blindedMsg, inv };
}

/** Unblinds and verifies; throws if the issuer's answer is not a valid signature. */
export async function finalizeToken(issuerKey: CryptoKey, t: BlindedToken, blindSig: Uint8Array): Promise<Uint8Array> {
  return suite.finalize(issuerKey, t.prepared, blindSig, t.inv);
}

export async function verifyToken(issuerKey: CryptoKey, prefix: Uint8Array, pk: Uint8Array, sig: Uint8Array) {
  const prepared = new Uint8Array(PREFIX_BYTES + 52);
  prepared.set(prefix, 0);
  prepared.set(pseudonymMsg(pk), PREFIX_BYTES);
  return suite.verify(issuerKey, sig, prepared);
}
