// RFC 9474 RSABSSA-SHA384-PSS-Randomized on the client side: prepare (random
// 32-byte prefix), blind under the issuer's active key, finalize (which checks
// the unblinded signature before returning it).
import { RSABSSA } from '@cloudflare/blindrsa-ts';
import { b64urlDecode } from './b64';
import { pseudonymMsg } from './domain';

export const suite = RSABSSA.SHA384.PSS.Randomized();
export const PREFIX_BYTES = 32;

export async function importIssuerKey(spkiB64url: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('spki', b64urlDecode(spkiB64url), { name: 'RSA-PSS', hash: 'SHA-384' }, true, [
    'verify',
  ]);
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
