// Key directory verification (PROTOCOL.md §4): the Ed25519 signature by the
// master key over the §3 directory bytes, every key_id recomputed from its
// SPKI, keys in ascending epoch with at most one active, and a seq that never
// goes down (the highest seen is remembered, with the master key it came from).
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { b64urlDecode, b64urlEncode, hex } from './b64';
import { directoryBytes } from './domain';

export type KeyState = 'active' | 'retired' | 'revoked';

export interface DirectoryKey {
  key_id: string;
  spki: string;
  bits: number;
  epoch: number;
  issue_from: number;
  issue_until: number;
  accept_until: number;
  state: KeyState;
}

export interface Directory {
  issuer: string;
  master_key: string;
  seq: number;
  keys: DirectoryKey[];
  sig: string;
}

export interface VerifiedDirectory extends Directory {
  /** Short, human-comparable fingerprint of the master key. */
  fingerprint: string;
  active: DirectoryKey | null;
  /**
   * Tokens issued per key_id, when the answer carries them (PROTOCOL.md §4):
   * not covered by the signature, so information for the crowd size only.
   */
  issued: Record<string, number>;
}

export type DirectoryProblem = 'shape' | 'signature' | 'key_id' | 'rollback' | 'master_key_changed' | 'tagging';

export class DirectoryError extends Error {
  constructor(
    readonly problem: DirectoryProblem,
    message: string,
  ) {
    super(message);
    this.name = 'DirectoryError';
  }
}

/** The highest seq seen, and the master key it was signed by. */
export interface DirectoryPin {
  master_key: string;
  seq: number;
}

export interface PinStore {
  load(): DirectoryPin | null;
  save(pin: DirectoryPin): void;
  clear(): void;
}

const PIN_KEY = 'hearth.directory.pin';

export const localPinStore: PinStore = {
  load() {
    try {
      const raw = localStorage.getItem(PIN_KEY);
      if (!raw) return null;
      const pin = JSON.parse(raw) as DirectoryPin;
      if (typeof pin.master_key !== 'string' || !Number.isSafeInteger(pin.seq)) return null;
      return pin;
    } catch {
      return null;
    }
  },
  save(pin) {
    localStorage.setItem(PIN_KEY, JSON.stringify(pin));
  },
  clear() {
    localStorage.removeItem(PIN_KEY);
  },
};

export function memoryPinStore(initial: DirectoryPin | null = null): PinStore {
  let pin = initial;
  return {
    load: () => pin,
    save: (p) => {
      pin = { ...p };
    },
    clear: () => {
      pin = null;
    },
  };
}

export function keyIdOf(spki: Uint8Array): string {
  return b64urlEncode(sha256(spki));
}

/** Groups of 4 hex digits of SHA-256(master key), 80 bits: enough to compare by eye. */
export function masterFingerprint(masterKey: Uint8Array): string {
  const h = hex(sha256(masterKey)).slice(0, 20);
  return h.match(/.{4}/g)!.join(' ');
}

/** Short form of a key_id for people to compare: its first 8 base64url characters (48 bits). */
export function shortKeyId(keyId: string): string {
  return keyId.slice(0, 8);
}

/**
 * What the footer shows of the issuance key, so colleagues can compare it:
 * a server tagging employees with different active keys shows up as a mismatch.
 */
export function activeKeySummary(d: Pick<VerifiedDirectory, 'active'>): { short: string; key_id: string; epoch: number } | null {
  return d.active ? { short: shortKeyId(d.active.key_id), key_id: d.active.key_id, epoch: d.active.epoch } : null;
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

function checkShape(raw: unknown): Directory {
  const d = raw as Directory;
  const bad = (what: string) => new DirectoryError('shape', `directory: ${what}`);
  if (typeof d !== 'object' || d === null) throw bad('not an object');
  if (typeof d.issuer !== 'string' || !d.issuer) throw bad('issuer missing');
  if (typeof d.master_key !== 'string') throw bad('master_key missing');
  if (!isInt(d.seq) || d.seq < 0) throw bad('seq missing');
  if (typeof d.sig !== 'string') throw bad('sig missing');
  if (!Array.isArray(d.keys)) throw bad('keys missing');
  for (const k of d.keys) {
    if (typeof k !== 'object' || k === null) throw bad('key entry');
    if (typeof k.key_id !== 'string' || typeof k.spki !== 'string') throw bad('key_id/spki');
    for (const f of ['bits', 'epoch', 'issue_from', 'issue_until', 'accept_until'] as const) {
      if (!isInt(k[f])) throw bad(`${f} not an integer`);
    }
    if (!['active', 'retired', 'revoked'].includes(k.state)) throw bad(`unknown state ${String(k.state)}`);
  }
  return d;
}

/** The unsigned `issued` counts of a directory answer: only entries that are whole, non-negative numbers. */
function issuedCounts(raw: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  const issued = (raw as { issued?: unknown }).issued;
  if (typeof issued !== 'object' || issued === null || Array.isArray(issued)) return out;
  for (const [k, v] of Object.entries(issued)) if (isInt(v) && v >= 0) out[k] = v;
  return out;
}

/**
 * Verifies a directory as received from GET /v1/keys or the `keys` op.
 * On success the pin store is advanced to this directory's seq.
 */
export function verifyDirectory(raw: unknown, pins: PinStore): VerifiedDirectory {
  const d = checkShape(raw);
  let master: Uint8Array;
  let sig: Uint8Array;
  try {
    master = b64urlDecode(d.master_key);
    sig = b64urlDecode(d.sig);
  } catch {
    throw new DirectoryError('shape', 'directory: master_key or sig is not base64url');
  }
  if (master.length !== 32 || sig.length !== 64) throw new DirectoryError('shape', 'directory: bad key or signature length');
  let msg: Uint8Array;
  try {
    msg = directoryBytes(d.issuer, d.seq, d.keys);
  } catch (e) {
    throw new DirectoryError('shape', `directory: ${(e as Error).message}`);
  }
  let ok = false;
  try {
    ok = ed25519.verify(sig, msg, master, { zip215: false });
  } catch {
    ok = false;
  }
  if (!ok) throw new DirectoryError('signature', 'The key directory signature does not verify against its master key.');

  for (const k of d.keys) {
    let spki: Uint8Array;
    try {
      spki = b64urlDecode(k.spki);
    } catch {
      throw new DirectoryError('key_id', `key ${k.key_id}: spki is not base64url`);
    }
    if (keyIdOf(spki) !== k.key_id) {
      throw new DirectoryError('key_id', `key ${k.key_id}: key_id is not the SHA-256 of its SPKI`);
    }
  }
  for (let i = 1; i < d.keys.length; i++) {
    if (d.keys[i].epoch <= d.keys[i - 1].epoch) throw new DirectoryError('shape', 'directory: keys not in ascending epoch');
  }
  const active = d.keys.filter((k) => k.state === 'active');
  if (active.length > 1) throw new DirectoryError('shape', 'directory: more than one active key');

  const pin = pins.load();
  if (pin) {
    if (pin.master_key !== d.master_key) {
      throw new DirectoryError(
        'master_key_changed',
        'The server presents a different master key than the one this browser trusted before.',
      );
    }
    if (d.seq < pin.seq) {
      throw new DirectoryError(
        'rollback',
        `The server sent key directory #${d.seq}, older than #${pin.seq} already seen here. Refusing it.`,
      );
    }
  }
  if (!pin || d.seq > pin.seq) pins.save({ master_key: d.master_key, seq: d.seq });

  return { ...d, fingerprint: masterFingerprint(master), active: active[0] ?? null, issued: issuedCounts(raw) };
}

/** The bytes two directories must share to be the same directory: what the master key signs, and who signs it. */
function identity(d: Directory): string {
  return `${d.master_key}\n${new TextDecoder().decode(directoryBytes(d.issuer, d.seq, d.keys))}`;
}

/**
 * PROTOCOL.md §4: a client blinds only under a key of a directory fetched
 * without credentials, and refuses to go on when the directory shown on an
 * authenticated issuer connection differs from it at the same `seq`. A
 * validly signed second directory with the same `seq` is what a server
 * tagging one employee with a key of its own would have to show.
 *
 * Returns 'same', or 'newer' when the issuer connection shows a later
 * directory (a rotation in between: fetch the public one again and compare
 * once more). A lower seq never gets here: verifyDirectory refuses it.
 */
export function compareDirectories(publicDir: Directory, issuerDir: Directory): 'same' | 'newer' {
  if (issuerDir.seq > publicDir.seq) return 'newer';
  if (issuerDir.seq < publicDir.seq) {
    throw new DirectoryError('rollback', `The issuer showed key directory #${issuerDir.seq}, older than #${publicDir.seq}. Refusing it.`);
  }
  if (issuerDir.seq === publicDir.seq && identity(issuerDir) === identity(publicDir)) return 'same';
  throw new DirectoryError(
    'tagging',
    `The issuer showed your signed-in connection a different key directory (#${issuerDir.seq}) from the one anyone can ` +
      `fetch (also #${publicDir.seq}). A server that does this can tell its users apart by the key it signs with (key ` +
      'tagging), so this browser stops here and asks for no token. Tell your colleagues and the people who run the forum.',
  );
}
