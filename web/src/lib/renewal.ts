// Spending a held token on its schedule: whether it may be spent now
// (lib/schedule.ts), and the certify itself on a fresh /v1/forum connection.
import type { DirectoryKey, VerifiedDirectory } from './directory';
import { certify, crowdOf, type Anonymity, type Pseudonym } from './forum';
import { isRpcCode } from './issuance';
import { keystore, type PendingToken, type StoredPseudonym } from './keystore';
import { DEFAULT_MIN_CROWD, certifyVerdict, type CertifyVerdict } from './schedule';

/** What the client knows of the crowd under one key: tokens issued, and the minimum wanted. */
export interface CrowdFacts {
  issued: number | null;
  minCrowd: number;
}

/** Tokens issued under `keyId`, from the directory answer or from `anonymity`. */
export function crowdFacts(keyId: string, dir: VerifiedDirectory | null, anonymity: Anonymity | null): CrowdFacts {
  return {
    issued: dir?.issued[keyId] ?? crowdOf(anonymity, keyId)?.issued ?? null,
    minCrowd: anonymity?.min_crowd ?? DEFAULT_MIN_CROWD,
  };
}

/**
 * The key whose certification covers the pseudonym now: the non-revoked key
 * whose accept_until is its valid_until (PROTOCOL.md §6), or null.
 */
export function coveringKey(me: Pick<Pseudonym, 'valid_until'>, dir: VerifiedDirectory | null): DirectoryKey | null {
  return dir?.keys.find((k) => k.state !== 'revoked' && k.accept_until === me.valid_until) ?? null;
}

export type SpendCheck = CertifyVerdict | { ok: false; reason: 'gone' };

/**
 * May `p` be spent now? A hurried token may (the employee chose it); else the
 * schedule's verdict on its key. 'gone' when its key is no longer usable
 * (revoked, or past accept_until): the token can never be spent.
 */
export function spendCheck(p: PendingToken, now: number, dir: VerifiedDirectory | null, anonymity: Anonymity | null): SpendCheck {
  const key = dir?.keys.find((k) => k.key_id === p.key_id);
  if (dir && (!key || key.state === 'revoked' || key.accept_until * 1000 <= now)) return { ok: false, reason: 'gone' };
  if (p.hurry || !key) return { ok: true };
  const c = crowdFacts(p.key_id, dir, anonymity);
  return certifyVerdict(now, key, c.issued, c.minCrowd);
}

/** False once the token can never be spent (its key revoked or past accept_until); waiting is not that. */
export function stillSpendable(p: PendingToken, now: number, dir: VerifiedDirectory | null): boolean {
  const c = spendCheck({ ...p, hurry: true }, now, dir, null);
  return c.ok;
}

export type SpendResult = { ok: true; stored: StoredPseudonym } | { ok: false; code: 'conflict' | 'failed'; message: string };

/**
 * Spends the token with `certify` on its own fresh forum connection and, on
 * success, makes it the pseudonym kept in this browser (one transaction).
 * `token_spent` means an earlier attempt went through and its answer was
 * lost: the pseudonym is kept all the same, and logging in tells.
 */
export async function spendToken(p: PendingToken, issuer: string, masterKey: string): Promise<SpendResult> {
  let handle = p.handle;
  try {
    const ps = await certify({ key_id: p.key_id, prefix: p.prefix, sig: p.sig, pseudonym_pk: p.pk, handle: p.handle });
    handle = ps.handle;
  } catch (e) {
    if (isRpcCode(e, 'conflict')) return { ok: false, code: 'conflict', message: (e as Error).message };
    if (!isRpcCode(e, 'token_spent')) return { ok: false, code: 'failed', message: (e as Error).message };
  }
  const stored: StoredPseudonym = { sk: p.sk, pk: p.pk, handle, issuer, master_key: masterKey };
  await keystore.promote(stored);
  return { ok: true, stored };
}
