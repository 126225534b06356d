// Passphrase-protected export of the pseudonym secret: Argon2id derives an
// AES-256-GCM key; the header (format, KDF parameters, salt, iv) is bound as
// additional data so none of it can be altered without failing decryption.
import { argon2idAsync } from '@noble/hashes/argon2.js';
import { b64urlDecode, b64urlEncode, bytesEqual, randomBytes, type Bytes } from './b64';
import { publicKeyOf } from './pseudonym';

export const BACKUP_FORMAT = 'hearth-pseudonym-backup';

/**
 * The name the file is saved under: the same for everyone, so that a
 * downloads folder or a cloud sync says nothing of whose pseudonym it holds.
 */
export const BACKUP_FILE_NAME = 'hearth-backup.hearthkey';

export interface KdfParams {
  t: number;
  m: number; // KiB
  p: number;
}

/** OWASP's Argon2id baseline (19 MiB, 2 passes); a second or two in a browser. */
export const DEFAULT_KDF: KdfParams = { t: 2, m: 19456, p: 1 };

export interface BackupPayload {
  handle: string;
  pk: string; // base64url
  sk: string; // base64url seed
  issuer: string;
  master_key: string;
}

interface BackupFile {
  format: typeof BACKUP_FORMAT;
  version: 1;
  kdf: { alg: 'argon2id' } & KdfParams & { salt: string };
  cipher: { alg: 'AES-256-GCM'; iv: string };
  ciphertext: string;
}

const enc = new TextEncoder();

function headerBytes(f: Omit<BackupFile, "ciphertext">): Bytes {
  const k = f.kdf;
  return enc.encode(
    [f.format, f.version, k.alg, k.t, k.m, k.p, k.salt, f.cipher.alg, f.cipher.iv].join('\n'),
  );
}

async function deriveKey(passphrase: string, salt: Uint8Array, kdf: KdfParams): Promise<CryptoKey> {
  const raw = await argon2idAsync(enc.encode(passphrase.normalize('NFC')), salt, { ...kdf, dkLen: 32 });
  try {
    return await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
  } finally {
    raw.fill(0);
  }
}

export async function exportBackup(payload: BackupPayload, passphrase: string, kdf: KdfParams = DEFAULT_KDF) {
  if (passphrase.length < 8) throw new Error('Choose a passphrase of at least 8 characters.');
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const head: Omit<BackupFile, 'ciphertext'> = {
    format: BACKUP_FORMAT,
    version: 1,
    kdf: { alg: 'argon2id', ...kdf, salt: b64urlEncode(salt) },
    cipher: { alg: 'AES-256-GCM', iv: b64urlEncode(iv) },
  };
  const key = await deriveKey(passphrase, salt, kdf);
  const ct = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: headerBytes(head) },
    key,
    enc.encode(JSON.stringify(payload)),
  );
  const file: BackupFile = { ...head, ciphertext: b64urlEncode(new Uint8Array(ct)) };
  return JSON.stringify(file, null, 1);
}

export async function importBackup(text: string, passphrase: string): Promise<BackupPayload> {
  let f: BackupFile;
  try {
    f = JSON.parse(text) as BackupFile;
  } catch {
    throw new Error('This is not a hearth backup file.');
  }
  if (f?.format !== BACKUP_FORMAT || f.version !== 1 || f.kdf?.alg !== 'argon2id' || f.cipher?.alg !== 'AES-256-GCM') {
    throw new Error('This is not a hearth backup file (or a newer version).');
  }
  const { t, m, p } = f.kdf;
  if (![t, m, p].every((v) => Number.isSafeInteger(v) && v > 0) || m > 4 * 1024 * 1024 || t > 64) {
    throw new Error('The backup file has unusable key-derivation parameters.');
  }
  const key = await deriveKey(passphrase, b64urlDecode(f.kdf.salt), { t, m, p });
  let plain: ArrayBuffer;
  try {
    plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: b64urlDecode(f.cipher.iv), additionalData: headerBytes(f) },
      key,
      b64urlDecode(f.ciphertext),
    );
  } catch {
    throw new Error('Wrong passphrase, or the file was altered.');
  }
  const payload = JSON.parse(new TextDecoder().decode(plain)) as BackupPayload;
  const sk = b64urlDecode(payload.sk);
  if (sk.length !== 32 || !bytesEqual(publicKeyOf(sk), b64urlDecode(payload.pk))) {
    throw new Error('The backup file is inconsistent (public key does not match).');
  }
  return payload;
}
