// Getting (or renewing) a pseudonym: prove employment on /v1/issuer and get
// a blind token there (lib/issuer.ts), close that connection, wait
// (lib/schedule.ts), then spend the token with `certify` on a fresh
// /v1/forum connection (lib/forum.ts). What those steps share lives here.
import { localPinStore, verifyDirectory, type PinStore, type VerifiedDirectory } from './directory';
import { RpcError } from './rpc';

/** The directory anyone can fetch: `GET /v1/keys` on this origin, without credentials, verified. */
export async function fetchDirectory(pins: PinStore = localPinStore): Promise<VerifiedDirectory> {
  const res = await fetch('/v1/keys', { cache: 'no-store', credentials: 'omit' });
  if (!res.ok) throw new Error(`Could not load the key directory (HTTP ${res.status}).`);
  return verifyDirectory(await res.json(), pins);
}

export const HANDLE_RE = /^[A-Za-z0-9_]{3,20}$/;

export function isRpcCode(e: unknown, ...codes: string[]): e is RpcError {
  return e instanceof RpcError && codes.includes(e.code);
}
