// The byte strings hearth signs (PROTOCOL.md §3), each built in exactly one
// place. Lines are joined by '\n' with no trailing newline. Fields other than
// the post body must not contain '\n'; the builders refuse them.

import type { Bytes } from './b64';

const utf8 = new TextEncoder();

export const PSEUDONYM_LABEL = 'hearth/pseudonym/v1';
export const PSEUDONYM_MSG_BYTES = 52; // 19 + 1 + 32
export const ED25519_PK_BYTES = 32;

export interface DirectoryLine {
  key_id: string;
  epoch: number;
  issue_from: number;
  issue_until: number;
  accept_until: number;
  state: string;
}

function field(name: string, value: string): string {
  if (value.includes('\n')) throw new Error(`${name} must not contain a newline`);
  return value;
}

function intText(name: string, value: number): string {
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer`);
  return String(value);
}

/** hearth/keys/v1 \n ISSUER \n SEQ \n one line per key "KEY_ID EPOCH FROM UNTIL ACCEPT STATE". */
export function directoryBytes(issuer: string, seq: number, keys: DirectoryLine[]): Bytes {
  const lines = ['hearth/keys/v1', field('issuer', issuer), intText('seq', seq)];
  for (const k of keys) {
    const parts = [
      field('key_id', k.key_id),
      intText('epoch', k.epoch),
      intText('issue_from', k.issue_from),
      intText('issue_until', k.issue_until),
      intText('accept_until', k.accept_until),
      field('state', k.state),
    ];
    for (const p of parts) if (p.includes(' ')) throw new Error('directory field must not contain a space');
    lines.push(parts.join(' '));
  }
  return utf8.encode(lines.join('\n'));
}

/** "hearth/pseudonym/v1" 0x00 pk: the 52-byte message the blind token signs. */
export function pseudonymMsg(pk: Uint8Array): Bytes {
  if (pk.length !== ED25519_PK_BYTES) throw new Error('pseudonym key must be 32 bytes');
  const out = new Uint8Array(PSEUDONYM_MSG_BYTES);
  out.set(utf8.encode(PSEUDONYM_LABEL), 0);
  out[PSEUDONYM_LABEL.length] = 0;
  out.set(pk, PSEUDONYM_LABEL.length + 1);
  return out;
}

/** hearth/login/v1 \n ISSUER \n NONCE (base64url text, as received). */
export function loginBytes(issuer: string, nonceB64url: string): Bytes {
  return utf8.encode(['hearth/login/v1', field('issuer', issuer), field('nonce', nonceB64url)].join('\n'));
}

/** hearth/post/v1 \n ISSUER \n CHANNEL \n PARENT_ID-or-empty \n CLIENT_NONCE \n BODY */
export function postBytes(
  issuer: string,
  channel: string,
  parent: string | null,
  nonce: string,
  body: string,
): Bytes {
  return utf8.encode(
    [
      'hearth/post/v1',
      field('issuer', issuer),
      field('channel', channel),
      field('parent', parent ?? ''),
      field('nonce', nonce),
      body,
    ].join('\n'),
  );
}
