// Getting (or renewing) a pseudonym: prove employment on /v1/issuer, obtain a
// blind signature on the pseudonym key under the ACTIVE key of the verified
// directory, close that connection, wait, then spend the token with `certify`
// on a fresh /v1/forum connection.
import { b64urlDecode, b64urlEncode } from './b64';
import { localPinStore, verifyDirectory, type PinStore, type VerifiedDirectory } from './directory';
import { Rpc, RpcError } from './rpc';
import { PREFIX_BYTES, blindToken, finalizeToken, importIssuerKey } from './token';
import type { Pseudonym } from './forum';

export async function fetchDirectory(pins: PinStore = localPinStore): Promise<VerifiedDirectory> {
  const res = await fetch('/v1/keys', { cache: 'no-store', credentials: 'omit' });
  if (!res.ok) throw new Error(`Could not load the key directory (HTTP ${res.status}).`);
  return verifyDirectory(await res.json(), pins);
}

/** What is needed to finish (or retry) one blind issuance; all base64url. */
export interface BlindingState {
  key_id: string;
  spki: string;
  prepared: string;
  inv: string;
  blinded_msg: string;
}

export interface Quota {
  key_id: string;
  epoch: number;
  allowed: number;
  used: number;
}

export class IssuerSession {
  private constructor(
    private readonly rpc: Rpc,
    /** Null when a trusted proxy identified the employee (header mode): the page never learns the id. */
    readonly employeeId: string | null,
  ) {}

  /** True when the connection was authenticated by the company's sign-in proxy, not by a password. */
  get viaProxy(): boolean {
    return this.employeeId === null;
  }

  /**
   * Header (SSO proxy) mode: the issuer connection is authenticated by the
   * proxy at upgrade, so `quota` answers at once on a fresh connection. Returns
   * the open session and its quota, or null (connection closed) when the
   * server wants a sign-in (`unauthenticated`). Other failures are thrown.
   */
  static async fromProxy(open: () => Promise<Rpc> = () => new Rpc('/v1/issuer').open()): Promise<{ session: IssuerSession; quota: Quota } | null> {
    const rpc = await open();
    try {
      const quota = await rpc.call<Quota>('quota');
      return { session: new IssuerSession(rpc, null), quota };
    } catch (e) {
      rpc.close();
      if (e instanceof RpcError && e.code === 'unauthenticated') return null;
      throw e;
    }
  }

  static async enroll(employeeId: string, code: string, password: string): Promise<IssuerSession> {
    const rpc = await new Rpc('/v1/issuer').open();
    try {
      await rpc.call('enroll', { employee_id: employeeId, code, password });
      await rpc.call('login', { employee_id: employeeId, password });
      return new IssuerSession(rpc, employeeId);
    } catch (e) {
      rpc.close();
      throw e;
    }
  }

  static async signIn(employeeId: string, password: string): Promise<IssuerSession> {
    const rpc = await new Rpc('/v1/issuer').open();
    try {
      await rpc.call('login', { employee_id: employeeId, password });
      return new IssuerSession(rpc, employeeId);
    } catch (e) {
      rpc.close();
      throw e;
    }
  }

  get open(): boolean {
    return !this.rpc.closed;
  }

  quota(): Promise<Quota> {
    return this.rpc.call<Quota>('quota');
  }

  onClose(l: () => void) {
    return this.rpc.onClose(l);
  }

  /**
   * Blinds `msg(pk)` under the active key, asks for the blind signature,
   * finalizes (verifying it), and closes the issuer connection.
   *
   * `onBlinded` is given the blinding state before `issue` is sent, so it can be
   * kept: if the answer is lost, `resume` sends the same blinded message again,
   * which the issuer answers with the same blind signature without using
   * another quota unit (PROTOCOL.md §5).
   */
  async obtainToken(
    pk: Uint8Array,
    opts: { pins?: PinStore; onBlinded?: (b: BlindingState) => Promise<void>; resume?: BlindingState | null } = {},
  ): Promise<{ key_id: string; prefix: string; sig: string; directory: VerifiedDirectory }> {
    try {
      // The directory as this connection sees it must verify and not roll back.
      const directory = verifyDirectory(await this.rpc.call('keys'), opts.pins ?? localPinStore);
      const active = directory.active;
      if (!active) throw new Error('The issuer has no active key right now.');
      const issuerKey = await importIssuerKey(active.spki);
      let b: BlindingState;
      if (opts.resume && opts.resume.key_id === active.key_id && opts.resume.spki === active.spki) {
        b = opts.resume;
      } else {
        const t = await blindToken(issuerKey, pk);
        b = {
          key_id: active.key_id,
          spki: active.spki,
          prepared: b64urlEncode(t.prepared),
          inv: b64urlEncode(t.inv),
          blinded_msg: b64urlEncode(t.blindedMsg),
        };
        await opts.onBlinded?.(b);
      }
      const r = await this.rpc.call<{ blind_sig: string }>('issue', { key_id: b.key_id, blinded_msg: b.blinded_msg });
      const prepared = b64urlDecode(b.prepared);
      const sig = await finalizeToken(
        issuerKey,
        { prefix: prepared.slice(0, PREFIX_BYTES), prepared, blindedMsg: b64urlDecode(b.blinded_msg), inv: b64urlDecode(b.inv) },
        b64urlDecode(r.blind_sig),
      );
      return { key_id: b.key_id, prefix: b64urlEncode(prepared.slice(0, PREFIX_BYTES)), sig: b64urlEncode(sig), directory };
    } finally {
      await this.rpc.closeAndWait();
    }
  }

  close() {
    this.rpc.close();
  }
}

/** Spends a token on its own fresh /v1/forum connection, then closes it. */
export async function certify(fields: {
  key_id: string;
  prefix: string;
  sig: string;
  pseudonym_pk: string;
  handle: string;
}): Promise<Pseudonym> {
  const rpc = await new Rpc('/v1/forum').open();
  try {
    const r = await rpc.call<{ pseudonym: Pseudonym }>('certify', fields);
    return r.pseudonym;
  } finally {
    rpc.close();
  }
}

export function randomDelaySeconds(): number {
  const r = new Uint32Array(1);
  crypto.getRandomValues(r);
  return 5 + (r[0] % 56); // 5..60
}

export const HANDLE_RE = /^[A-Za-z0-9_]{3,20}$/;

export function isRpcCode(e: unknown, ...codes: string[]): e is RpcError {
  return e instanceof RpcError && codes.includes(e.code);
}
