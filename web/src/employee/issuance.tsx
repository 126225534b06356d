// The employer-side sign-in form and the issue → wait → certify sequence,
// shared by "Get pseudonym" and renewal.
import { useEffect, useRef, useState } from 'preact/hooks';
import { b64urlEncode } from '../lib/b64';
import { DirectoryError, type VerifiedDirectory } from '../lib/directory';
import { IssuerKeyError } from '../lib/token';
import type { Anonymity } from '../lib/forum';
import { isRpcCode } from '../lib/issuance';
import { IssuerSession, type Quota } from '../lib/issuer';
import { crowdFacts, spendCheck, spendToken, type CrowdFacts, type SpendCheck } from '../lib/renewal';
import { DEFAULT_MIN_CROWD, HOUR_MS, recheckMoment } from '../lib/schedule';
import { keystore, type PendingToken, type StoredPseudonym } from '../lib/keystore';
import { explain } from '../lib/rpc';
import { Field, Notice, useTick } from '../ui/common';

export type ProxyMode = 'probing' | 'proxy' | 'password' | 'unknown';

const AUTH_MODE_KEY = 'hearth.issuer.auth';

/**
 * Asks once, on a fresh issuer connection that is closed again, whether the
 * server already knows who we are from the company's sign-in proxy (header
 * mode). 'password' means the roster sign-in is needed; 'unknown' that the
 * question could not be asked (the sign-in form stays, and pressing the
 * button asks again). The answer is remembered (it is the server's, not the
 * employee's), so that a page that must not contact the issuer on its own
 * (`probe: false`, renewal right after a forum login) still knows it.
 */
/** True when this server was seen identifying the browser through the company's sign-in proxy. */
export function isProxyRemembered(): boolean {
  return localStorage.getItem(AUTH_MODE_KEY) === 'proxy';
}

export function useProxyMode(opts: { probe: boolean } = { probe: true }): { mode: ProxyMode; quota: Quota | null } {
  const remembered = (): ProxyMode => {
    const m = localStorage.getItem(AUTH_MODE_KEY);
    return m === 'proxy' || m === 'password' ? m : 'unknown';
  };
  const [st, setSt] = useState<{ mode: ProxyMode; quota: Quota | null }>(() => ({
    mode: opts.probe ? 'probing' : remembered(),
    quota: null,
  }));
  useEffect(() => {
    if (!opts.probe) return;
    let alive = true;
    IssuerSession.fromProxy()
      .then((r) => {
        r?.session.close();
        const mode = r ? 'proxy' : 'password';
        localStorage.setItem(AUTH_MODE_KEY, mode);
        if (alive) setSt({ mode, quota: r ? r.quota : null });
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
  if (r) localStorage.setItem(AUTH_MODE_KEY, 'proxy');
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
      // Signed in: nothing of the password stays on the page.
      setCode('');
      setPassword('');
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

  if (props.session) {
    return (
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
    );
  }

  // A real form: Enter submits. The first submit button (Enroll, where there
  // is one) is the default; with no enrollment code typed it signs in.
  return (
    <form
      class="stack"
      onSubmit={(e) => {
        e.preventDefault();
        const by = (e as SubmitEvent).submitter as HTMLButtonElement | null;
        void act(by?.value === 'signin' || !props.allowEnroll || !code.trim() ? 'signin' : 'enroll');
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
      <div class="row">
        {props.allowEnroll && (
          <button type="submit" value="enroll" disabled={busy || props.locked}>
            Enroll
          </button>
        )}
        <button type="submit" value="signin" class={props.allowEnroll ? 'secondary' : ''} disabled={busy || props.locked}>
          Sign in
        </button>
      </div>
    </form>
  );
}

export interface IssuanceState {
  steps: string[];
  /** The moment certify is due (ms), while waiting for it. */
  waitUntil: number | null;
  /** Why the wait was extended past the chosen moment, if it was. */
  hold: SpendCheck | null;
  /** The token being waited on is a renewal. */
  renewal: boolean;
  /** Crowd facts for the key the token is under, for the warning beside "Certify now". */
  crowd: CrowdFacts | null;
  busy: boolean;
  error: string | null;
}

const IDLE: IssuanceState = { steps: [], waitUntil: null, hold: null, renewal: false, crowd: null, busy: false, error: null };

/** Where the waiting loop learns the current directory and crowd size. */
export interface ScheduleContext {
  dir: () => VerifiedDirectory | null;
  anonymity: () => Anonymity | null;
}

/**
 * Runs the blind issuance and the scheduled certify. `finish` can be called
 * on its own to resume a pending token (after a reload or a taken handle);
 * `hurry` lets the employee skip the rest of the wait.
 */
export function useIssuance(onDirectory: (d: VerifiedDirectory) => void) {
  const [st, setSt] = useState<IssuanceState>(IDLE);
  const alive = useRef(true);
  const wake = useRef<(() => void) | null>(null);
  const hurried = useRef(false);
  useEffect(
    () => () => {
      alive.current = false;
      wake.current?.();
    },
    [],
  );
  const step = (s: string) => setSt((x) => ({ ...x, steps: [...x.steps, s] }));
  const fail = (error: string) => setSt((x) => ({ ...x, busy: false, waitUntil: null, hold: null, error }));

  /** Sleeps until `at` (ms), or until `hurry` is called; wakes hourly to look at the clock (long timers overflow). */
  const sleepUntil = (at: number) =>
    new Promise<void>((resolve) => {
      let t: ReturnType<typeof setTimeout>;
      const arm = () => {
        const left = at - Date.now();
        if (left <= 0) return done();
        t = setTimeout(arm, Math.min(left, HOUR_MS));
      };
      function done() {
        clearTimeout(t);
        wake.current = null;
        resolve();
      }
      wake.current = done;
      arm();
    });

  async function finish(p: PendingToken, issuerName: string, masterKey: string, ctx: ScheduleContext): Promise<StoredPseudonym | null> {
    hurried.current = false;
    setSt((x) => ({ ...x, busy: true, error: null, renewal: p.renewal }));
    for (;;) {
      if (hurried.current && !p.hurry) {
        p = { ...p, hurry: true, certify_after: Date.now() };
        await keystore.putPending(p);
      }
      if (p.certify_after > Date.now()) {
        setSt((x) => ({ ...x, waitUntil: p.certify_after, crowd: crowdFacts(p.key_id, ctx.dir(), ctx.anonymity()) }));
        await sleepUntil(p.certify_after);
        if (!alive.current) return null;
        if (hurried.current) continue;
      }
      const check = spendCheck(p, Date.now(), ctx.dir(), ctx.anonymity());
      if (check.ok) break;
      if (check.reason === 'gone') {
        await keystore.clearPending();
        fail('The key this token was issued under can no longer be used (revoked or expired), so the token is lost. Get a new one under the current key.');
        return null;
      }
      // Too young a key, or too small a crowd: wait, say why, and look again.
      p = { ...p, certify_after: check.reason === 'young' ? Math.max(check.until, recheckMoment(Date.now())) : recheckMoment(Date.now()) };
      await keystore.putPending(p);
      setSt((x) => ({ ...x, hold: check }));
    }
    setSt((x) => ({ ...x, waitUntil: null, hold: null }));
    step(p.renewal ? 'Renewing the certification on a fresh forum connection…' : 'Certifying the pseudonym on a fresh forum connection…');
    const r = await spendToken(p, issuerName, masterKey);
    if (!r.ok) {
      if (r.code === 'conflict') fail(`The handle “${p.handle}” is taken. Choose another Handle and press Get pseudonym again (your token is kept).`);
      else fail(`Certification failed: ${r.message}`);
      return null;
    }
    step(p.renewal ? `Renewed @${r.stored.handle}.` : `Certified as @${r.stored.handle}.`);
    setSt((x) => ({ ...x, busy: false }));
    return r.stored;
  }

  async function issue(
    session: IssuerSession,
    key: { sk: Uint8Array; pk: Uint8Array },
    opts: { handle: string; delayMs: number; hurry: boolean; renewal: boolean },
  ): Promise<PendingToken | null> {
    setSt({ ...IDLE, busy: true, renewal: opts.renewal });
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
      const now = Date.now();
      const p: PendingToken = {
        sk: key.sk,
        pk,
        key_id: t.key_id,
        prefix: t.prefix,
        sig: t.sig,
        renewal: opts.renewal,
        handle: opts.handle,
        certify_after: now + opts.delayMs,
        fetched_at: now,
        hurry: opts.hurry,
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
      else if (e instanceof DirectoryError || e instanceof IssuerKeyError) fail(`Stopped before asking for a token. ${e.message}`);
      else fail(`Could not get a token: ${explain(e)}`);
      return null;
    }
  }

  /** Skip the rest of the wait (the employee chose to, after the crowd warning). */
  function hurry() {
    hurried.current = true;
    wake.current?.();
  }

  return { st, issue, finish, hurry };
}

/** "14:05", or "Tue 3 Dec, 14:05" when it is not within the next 20 hours. */
export function aboutTime(ms: number, now = Date.now()): string {
  const d = new Date(ms);
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  if (ms - now < 20 * HOUR_MS && d.getDate() === new Date(now).getDate()) return time;
  return d.toLocaleString(undefined, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

/**
 * The plain warning for going faster than the schedule: how many colleagues
 * the certify would hide among (tokens issued under the key so far).
 */
export function HurryWarning(props: { crowd: CrowdFacts | null }) {
  const issued = props.crowd?.issued ?? null;
  const min = props.crowd?.minCrowd ?? DEFAULT_MIN_CROWD;
  return (
    <p class="hurry-warning">
      Going faster makes it easier to match this step with your sign-in by time.{' '}
      {issued === null
        ? 'This server does not say how many colleagues have a token under the current key, so the crowd you would hide among is unknown.'
        : issued <= 1
          ? 'You are the only one with a token under the current key so far: going now, you would hide among nobody.'
          : `You would hide among the ${issued} colleagues who have a token under the current key so far${issued < min ? ` (fewer than the ${min} wanted)` : ''}.`}
    </p>
  );
}

export function IssuanceProgress(props: { st: IssuanceState; onHurry: () => void }) {
  const now = useTick(250);
  const { st } = props;
  if (!st.steps.length && !st.error && !st.waitUntil) return null;
  const left = st.waitUntil ? Math.max(0, Math.ceil((st.waitUntil - now) / 1000)) : 0;
  const what = st.renewal ? 'Your certification will be renewed' : 'Your pseudonym will be ready';
  return (
    <div class="progress" aria-live="polite">
      <ol>
        {st.steps.map((s, i) => (
          <li key={i}>{s}</li>
        ))}
        {st.waitUntil && left <= 120 && !st.hold && (
          <li>
            Waiting <strong>{left} s</strong> before certifying, so the two steps cannot be matched by time…
          </li>
        )}
        {st.waitUntil && (left > 120 || st.hold) && (
          <li>
            {what} at about <strong>{aboutTime(st.waitUntil, now)}</strong>. You can close this page: it is finished the
            next time you open it after that.
          </li>
        )}
      </ol>
      {st.hold && !st.hold.ok && st.hold.reason === 'young' && (
        <Notice kind="info">
          Waiting because the key your token is under is new: certifying waits until it has been active long enough
          (about {aboutTime(st.hold.until, now)}) for colleagues to have fetched their tokens under it too.
        </Notice>
      )}
      {st.hold && !st.hold.ok && st.hold.reason === 'crowd' && (
        <Notice kind="info">
          Waiting because only {st.hold.issued} {st.hold.issued === 1 ? 'token has' : 'tokens have'} been issued under this key
          so far: certifying waits until at least {st.hold.minCrowd} colleagues have one, so you are not one of very few.
          This is checked again every few minutes.
        </Notice>
      )}
      {st.waitUntil && (
        <div class="hurry">
          <HurryWarning crowd={st.crowd} />
          <button type="button" class="secondary" onClick={props.onHurry}>
            Don’t wait: certify now
          </button>
        </div>
      )}
      {st.error && <Notice kind="error">{st.error}</Notice>}
    </div>
  );
}
