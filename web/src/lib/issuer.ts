// The issuer endpoint /v1/issuer, typed (PROTOCOL.md §5): employer sign-in
// (roster password or the company's sign-in proxy), quota, and the blind
// issuance itself: blind `msg(pk)` under the active key of the directory
// everybody sees, `issue`, finalize (verifying the signature), and close the
// connection before anything is spent.
import { b64urlDecode, b64urlEncode } from './b64';
import { DirectoryError, compareDirectories, localPinStore, verifyDirectory, type PinStore, type VerifiedDirectory } from './directory';
import { fetchDirectory } from './issuance';
import { Rpc, RpcError } from './rpc';
import { PREFIX_BYTES, blindToken, finalizeToken, importIssuerKey } from './token';

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

/** A finished token, ready to be spent with `certify`; all base64url. */
export interface IssuedToken {
  key_id: string;
  prefix: string;
  sig: string;
  /** The directory it was blinded under (fetched without credentials). */
  directory: VerifiedDirectory;
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

  /** The directory as this signed-in connection shows it (compared, never blinded under). */
  private async keys(pins: PinStore): Promise<VerifiedDirectory> {
    return verifyDirectory(await this.rpc.call('keys'), pins);
  }

  private issue(keyId: string, blindedMsg: string): Promise<{ blind_sig: string }> {
    return this.rpc.call<{ blind_sig: string }>('issue', { key_id: keyId, blinded_msg: blindedMsg });
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
    opts: {
      /** Fetches the directory anyone can fetch, without credentials (GET /v1/keys). */
      publicDirectory?: () => Promise<VerifiedDirectory>;
      pins?: PinStore;
      onBlinded?: (b: BlindingState) => Promise<void>;
      resume?: BlindingState | null;
    } = {},
  ): Promise<IssuedToken> {
    try {
      const pins = opts.pins ?? localPinStore;
      const publicDirectory = opts.publicDirectory ?? (() => fetchDirectory(pins));
      // Blind only under the directory everybody sees (PROTOCOL.md §4); the
      // one this signed-in connection shows must be the same one.
      let directory = await publicDirectory();
      const shown = await this.keys(pins);
      if (compareDirectories(directory, shown) === 'newer') {
        directory = await publicDirectory();
        if (compareDirectories(directory, shown) === 'newer') {
          throw new DirectoryError(
            'tagging',
            `The issuer shows key directory #${shown.seq}, but the public one is still #${directory.seq}. Try again in a minute; if it persists, tell the people who run the forum.`,
          );
        }
      }
      const active = directory.active;
      if (!active) throw new Error('The issuer has no active key right now.');
      const issuerKey = await importIssuerKey(active.spki, active.bits);
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
      const r = await this.issue(b.key_id, b.blinded_msg);
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
