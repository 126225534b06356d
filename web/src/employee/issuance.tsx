// The employer-side sign-in form and the issue → wait → certify sequence,
// shared by "Get pseudonym" and renewal.
import { useEffect, useRef, useState } from 'preact/hooks';
import { b64urlEncode } from '../lib/b64';
import type { VerifiedDirectory } from '../lib/directory';
import { IssuerSession, certify, isRpcCode, type Quota } from '../lib/issuance';
import { keystore, type PendingToken, type StoredPseudonym } from '../lib/keystore';
import { explain } from '../lib/rpc';
import { Field, Notice, useTick } from '../ui/common';

export type ProxyMode = 'probing' | 'proxy' | 'password' | 'unknown';

/**
 * Asks once, on a fresh issuer connection that is closed again, whether the
 * server already knows who we are from the company's sign-in proxy (header
 * mode). 'password' means the roster sign-in is needed; 'unknown' that the
 * question could not be asked (the sign-in form stays, and pressing the
 * button asks again).
 */
export function useProxyMode(): { mode: ProxyMode; quota: Quota | null } {
  const [st, setSt] = useState<{ mode: ProxyMode; quota: Quota | null }>({ mode: 'probing', quota: null });
  useEffect(() => {
    let alive = true;
    IssuerSession.fromProxy()
      .then((r) => {
        r?.session.close();
        if (alive) setSt(r ? { mode: 'proxy', quota: r.quota } : { mode: 'password', quota: null });
      })
      .catch(() => alive && setSt({ mode: 'unknown', quota: null }));
    return () => {
      alive = false;
    };
  }, []);
  return st;
}

/**
 * The issuer session to get a token on: the one signed in with a password,
 * or else a fresh connection the proxy has already authenticated. Null when
 * neither is there (the employee must sign in first).
 */
export async function issuerSessionFor(signedIn: IssuerSession | null): Promise<IssuerSession | null> {
  if (signedIn?.open) return signedIn;
  const r = await IssuerSession.fromProxy();
  return r ? r.session : null;
}

/** Shown instead of the sign-in form when the company's sign-in proxy already identifies the employee. */
export function ProxyIdentified(props: { quota: Quota | null }) {
  return (
    <div class="notice notice-ok">
      <p>
        Your company sign-in already identifies you to the issuer, so no Employee ID or password is needed here.
        {props.quota && (
          <>
            {' '}
            Tokens for key epoch {props.quota.epoch}: {props.quota.used} of {props.quota.allowed} used.
          </>
        )}
      </p>
    </div>
  );
}

export function EmployerForm(props: {
  allowEnroll: boolean;
  session: IssuerSession | null;
  onSession: (s: IssuerSession | null) => void;
  /** Told while a sign-in is in flight, so nothing uses the old session meanwhile. */
  onBusy?: (busy: boolean) => void;
  /** Locked while a token is being obtained on the current session. */
  locked?: boolean;
}) {
  const [employeeId, setEmployeeId] = useState('');
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [quota, setQuota] = useState<Quota | null>(null);

  const current = useRef<IssuerSession | null>(null);
  current.current = props.session;
  useEffect(() => {
    const s = props.session;
    if (!s) {
      setQuota(null);
      return;
    }
    s.quota()
      .then(setQuota)
      .catch(() => setQuota(null));
    return s.onClose(() => {
      if (current.current === s) props.onSession(null);
    });
  }, [props.session]);

  const act = async (kind: 'enroll' | 'signin') => {
    setError(null);
    if (!employeeId.trim()) return setError('Enter your Employee ID.');
    if (kind === 'enroll' && !code.trim()) return setError('Enter the enrollment code you were given.');
    if (kind === 'enroll' && [...password].length < 10) return setError('Choose a password of at least 10 characters.');
    if (!password) return setError('Enter your password.');
    setBusy(true);
    props.onBusy?.(true);
    try {
      const s =
        kind === 'enroll'
          ? await IssuerSession.enroll(employeeId.trim(), code.trim(), password)
          : await IssuerSession.signIn(employeeId.trim(), password);
      setCode('');
      props.session?.close();
      props.onSession(s);
    } catch (e) {
      if (isRpcCode(e, 'unauthenticated'))
        setError(kind === 'enroll' ? 'That enrollment code is wrong or was already used.' : 'Employee ID or password is wrong.');
      else if (isRpcCode(e, 'forbidden'))
        setError('This server identifies employees through the company sign-in (single sign-on), not with a password here. Open this page through the company sign-in and try again.');
      else setError(explain(e));
    } finally {
      setBusy(false);
      props.onBusy?.(false);
    }
  };

  return (
    <form
      class="stack"
      onSubmit={(e) => {
        e.preventDefault();
        void act(props.allowEnroll && code.trim() ? 'enroll' : 'signin');
      }}
    >
      <Field label="Employee ID" value={employeeId} onInput={setEmployeeId} autoComplete="username" />
      {props.allowEnroll && (
        <Field
          label="Enrollment code"
          value={code}
          onInput={setCode}
          hint="Only the first time: the one-time code you were handed."
        />
      )}
      <Field
        label="Password"
        type="password"
        value={password}
        onInput={setPassword}
        autoComplete={props.allowEnroll && code ? 'new-password' : 'current-password'}
        hint={props.allowEnroll ? 'When enrolling, choose one of at least 10 characters.' : undefined}
      />
      {error && <Notice kind="error">{error}</Notice>}
      {props.session && (
        <div class="signed-in notice notice-ok" aria-live="polite">
          <p>
            {props.session.employeeId !== null ? (
              <>
                Signed in on the employer side as <strong>{props.session.employeeId}</strong>.
              </>
            ) : (
              'Identified on the employer side by your company sign-in.'
            )}
            {quota && (
              <>
                {' '}
                Tokens for key epoch {quota.epoch}: {quota.used} of {quota.allowed} used.
              </>
            )}
          </p>
          <button
            type="button"
            class="secondary"
            disabled={props.locked}
            onClick={() => {
              props.session?.close();
              props.onSession(null);
            }}
          >
            Sign out of employer side
          </button>
        </div>
      )}
      <div class="row">
        {props.allowEnroll && (
          <button type="button" disabled={busy || props.locked} onClick={() => void act('enroll')}>
            Enroll
          </button>
        )}
        <button type="button" class={props.allowEnroll ? 'secondary' : ''} disabled={busy || props.locked} onClick={() => void act('signin')}>
          Sign in
        </button>
      </div>
    </form>
  );
}

export interface IssuanceState {
  steps: string[];
  waitUntil: number | null;
  busy: boolean;
  error: string | null;
}

/**
 * Runs the blind issuance and the delayed certify. `finish` can be called on
 * its own to resume a pending token (after a reload or a taken handle).
 */
export function useIssuance(dir: VerifiedDirectory | null, onDirectory: (d: VerifiedDirectory) => void) {
  const [st, setSt] = useState<IssuanceState>({ steps: [], waitUntil: null, busy: false, error: null });
  const alive = useRef(true);
  useEffect(
    () => () => {
      alive.current = false;
    },
    [],
  );
  const step = (s: string) => setSt((x) => ({ ...x, steps: [...x.steps, s] }));
  const fail = (error: string) => setSt((x) => ({ ...x, busy: false, waitUntil: null, error }));

  async function finish(p: PendingToken, issuerName: string, masterKey: string): Promise<StoredPseudonym | null> {
    setSt((x) => ({ ...x, busy: true, error: null }));
    const wait = p.certify_after - Date.now();
    if (wait > 0) {
      setSt((x) => ({ ...x, waitUntil: p.certify_after }));
      await new Promise((r) => setTimeout(r, wait));
      if (!alive.current) return null;
      setSt((x) => ({ ...x, waitUntil: null }));
    }
    step(p.renewal ? 'Renewing the certification on a fresh forum connection…' : 'Certifying the pseudonym on a fresh forum connection…');
    let handle = p.handle;
    try {
      const ps = await certify({
        key_id: p.key_id,
        prefix: p.prefix,
        sig: p.sig,
        pseudonym_pk: p.pk,
        handle: p.handle,
      });
      handle = ps.handle;
    } catch (e) {
      if (isRpcCode(e, 'conflict')) {
        fail(`The handle “${p.handle}” is taken. Choose another Handle and press Get pseudonym again (your token is kept).`);
        return null;
      }
      if (!isRpcCode(e, 'token_spent')) {
        fail(`Certification failed: ${explain(e)}`);
        return null;
      }
      // token_spent: an earlier attempt went through but its answer was lost; signing in will tell.
    }
    const stored: StoredPseudonym = { sk: p.sk, pk: p.pk, handle, issuer: issuerName, master_key: masterKey };
    await keystore.promote(stored);
    step(p.renewal ? `Renewed @${handle}.` : `Certified as @${handle}.`);
    setSt((x) => ({ ...x, busy: false }));
    return stored;
  }

  async function issue(
    session: IssuerSession,
    key: { sk: Uint8Array; pk: Uint8Array },
    opts: { handle: string; delaySeconds: number; renewal: boolean },
  ): Promise<PendingToken | null> {
    setSt({ steps: [], waitUntil: null, busy: true, error: null });
    step(opts.renewal ? 'Using your existing pseudonym key.' : 'Generated a new pseudonym key in this browser.');
    try {
      const pk = b64urlEncode(key.pk);
      const held = await keystore.getBlinding();
      const resume = held && held.pk === pk ? held : null;
      if (resume) step('Asking again for the signature of the request sent earlier (no new quota is used).');
      const t = await session.obtainToken(key.pk, {
        resume,
        onBlinded: (b) => keystore.putBlinding({ ...b, sk: key.sk, pk, renewal: opts.renewal }),
      });
      onDirectory(t.directory);
      step('Blinded the key and received the issuer’s blind signature; the issuer never saw the key.');
      step('Closed the employer connection.');
      const p: PendingToken = {
        sk: key.sk,
        pk,
        key_id: t.key_id,
        prefix: t.prefix,
        sig: t.sig,
        renewal: opts.renewal,
        handle: opts.handle,
        certify_after: Date.now() + opts.delaySeconds * 1000,
      };
      await keystore.tokenReady(p);
      return p;
    } catch (e) {
      if (isRpcCode(e, 'quota_exhausted'))
        fail(
          opts.renewal
            ? 'You already received your token for the current key. Renewal becomes possible with the next key rotation; until then your certification cannot be extended.'
            : 'You already received your token for the current key. If you saved a backup of that pseudonym, restore it below; otherwise wait for the next key rotation.',
        );
      else if (isRpcCode(e, 'network', 'timeout'))
        fail(
          `The connection was lost before the issuer's answer arrived (${explain(e)}). Sign in again and press the button again: the same request is sent, so no second token is used.`,
        );
      else fail(`Could not get a token: ${explain(e)}`);
      return null;
    }
  }

  void dir;
  return { st, issue, finish };
}

export function IssuanceProgress(props: { st: IssuanceState }) {
  const now = useTick(250);
  const { st } = props;
  if (!st.steps.length && !st.error && !st.waitUntil) return null;
  const left = st.waitUntil ? Math.max(0, Math.ceil((st.waitUntil - now) / 1000)) : 0;
  return (
    <div class="progress" aria-live="polite">
      <ol>
        {st.steps.map((s, i) => (
          <li key={i}>{s}</li>
        ))}
        {st.waitUntil && (
          <li>
            Waiting <strong>{left} s</strong> before certifying, so the two steps cannot be matched by time…
          </li>
        )}
      </ol>
      {st.error && <Notice kind="error">{st.error}</Notice>}
    </div>
  );
}
