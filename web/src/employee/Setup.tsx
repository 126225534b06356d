import { useEffect, useRef, useState } from 'preact/hooks';
import { b64urlDecode } from '../lib/b64';
import type { VerifiedDirectory } from '../lib/directory';
import { HANDLE_RE } from '../lib/issuance';
import { IssuerSession } from '../lib/issuer';
import { keystore, type PendingToken, type StoredPseudonym } from '../lib/keystore';
import { newPseudonymKey } from '../lib/pseudonym';
import { explain } from '../lib/rpc';
import { crowdFacts } from '../lib/renewal';
import { FIRST_DELAY_MIN_MS, firstDelayMs } from '../lib/schedule';
import { Field, Notice, useTick } from '../ui/common';
import { RestoreBackup } from './Backup';
import {
  EmployerForm,
  HurryWarning,
  IssuanceProgress,
  ProxyIdentified,
  aboutTime,
  issuerSessionFor,
  useIssuance,
  useProxyMode,
} from './issuance';
import { MAX_DELAY_SECONDS, drawnDelay, resolveDelayMs } from './text';

export function Setup(props: {
  dir: VerifiedDirectory | null;
  onDirectory: (d: VerifiedDirectory) => void;
  onReady: (p: StoredPseudonym) => void;
  onRestore: (p: StoredPseudonym) => void;
}) {
  const { dir } = props;
  const [session, setSession] = useState<IssuerSession | null>(null);
  const [signingIn, setSigningIn] = useState(false);
  const [handle, setHandle] = useState('');
  const [drawn] = useState(() => drawnDelay(firstDelayMs()));
  const [delay, setDelay] = useState(drawn.text);
  const dirRef = useRef(dir);
  dirRef.current = dir;
  const now = useTick(15000);
  const chosen = resolveDelayMs(delay, drawn);
  const hurrying = chosen !== null && chosen.ms < FIRST_DELAY_MIN_MS;
  const crowd = dir?.active ? crowdFacts(dir.active.key_id, dir, null) : null;
  const [pending, setPending] = useState<PendingToken | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const { st, issue, finish, hurry } = useIssuance(props.onDirectory);
  const proxy = useProxyMode();

  const complete = async (p: PendingToken) => {
    const issuer = dir?.issuer;
    const master = dir?.master_key;
    if (!issuer || !master) {
      setFormError('The key directory could not be verified, so the pseudonym cannot be certified safely.');
      return;
    }
    const stored = await finish(p, issuer, master, { dir: () => dirRef.current, anonymity: () => null });
    if (stored) props.onReady(stored);
  };

  // A token obtained earlier but not yet certified (reload, taken handle): resume it
  // once, as soon as the directory is verified.
  const resume = useRef<PendingToken | null>(null);
  const [loadedPending, setLoadedPending] = useState(false);
  const [interrupted, setInterrupted] = useState(false);
  useEffect(() => {
    void keystore.getBlinding().then((b) => setInterrupted(!!b && !b.renewal));
    void keystore.getPending().then((p) => {
      if (p && !p.renewal) {
        setPending(p);
        setHandle(p.handle);
        resume.current = p;
      }
      setLoadedPending(true);
    });
  }, []);
  useEffect(() => {
    const p = resume.current;
    if (p && dir && loadedPending) {
      resume.current = null;
      void complete(p);
    }
  }, [dir, loadedPending]);

  const getPseudonym = async () => {
    setFormError(null);
    if (!HANDLE_RE.test(handle)) return setFormError('A handle is 3–20 letters, digits or underscores.');
    const resolved = resolveDelayMs(delay, drawn);
    if (resolved === null) return setFormError('The unlinking delay is a whole number of seconds (0 or more).');
    const delayMs = resolved.ms;
    const hurry = delayMs < FIRST_DELAY_MIN_MS;
    if (pending) {
      // Retrying with the token already held (e.g. the handle was taken): the delay applies again.
      const p = { ...pending, handle, certify_after: Date.now() + delayMs, hurry };
      await keystore.putPending(p);
      setPending(p);
      return complete(p);
    }
    // Signed in with a password, or else (header mode) a fresh connection the company's sign-in proxy authenticated.
    let s: IssuerSession | null;
    try {
      s = await issuerSessionFor(session);
    } catch (e) {
      return setFormError(`Could not reach the issuer: ${explain(e)}`);
    }
    if (!s) return setFormError('Sign in (or enroll) on the employer side first.');
    // A request interrupted before its answer arrived is finished with the same key.
    const held = await keystore.getBlinding();
    const key = held && !held.renewal ? { sk: held.sk, pk: b64urlDecode(held.pk) } : newPseudonymKey();
    const p = await issue(s, key, { handle, delayMs, hurry, renewal: false });
    setSession(null);
    if (!p) return;
    setPending(p);
    await complete(p);
  };

  // In header mode (or when that could not be asked) the button itself gets the issuer session.
  const ready = (!!session && !signingIn) || !!pending || proxy.mode === 'proxy' || proxy.mode === 'unknown';
  return (
    <div class="setup">
      <section class="card intro">
        <h1>Speak freely, under a pseudonym</h1>
        <p>
          First you prove you work here. Then this browser makes a pseudonym key and has the company sign it{' '}
          <em>blindly</em>: the server signs without seeing the key, so nobody can link your pseudonym to you. The key
          never leaves this browser unless you export it.
        </p>
      </section>

      <section class="card" aria-labelledby="step1">
        <h2 id="step1">1. Prove you work here</h2>
        {interrupted && !pending && !st.busy && (
          <Notice kind="warn">
            An earlier request for your token was interrupted before the answer arrived.{' '}
            {proxy.mode === 'proxy' ? 'Press' : 'Sign in and press'} Get pseudonym: the same request is sent again, so it
            does not use up another token.
          </Notice>
        )}
        {pending ? (
          <p>Done: a signed token is waiting in this browser to be turned into your pseudonym.</p>
        ) : proxy.mode === 'proxy' && !session ? (
          <ProxyIdentified quota={proxy.quota} />
        ) : (
          <EmployerForm allowEnroll session={session} onSession={setSession} onBusy={setSigningIn} locked={st.busy} />
        )}
      </section>

      <section class="card" aria-labelledby="step2">
        <h2 id="step2">2. Get your pseudonym</h2>
        <form
          class="stack"
          onSubmit={(e) => {
            e.preventDefault();
            void getPseudonym();
          }}
        >
          <Field
            label="Handle"
            value={handle}
            onInput={setHandle}
            maxLength={20}
            hint="The name colleagues will see: 3–20 letters, digits or underscores. Pick one that says nothing about you."
          />
          <Field
            label="Unlinking delay (seconds)"
            type="number"
            min={0}
            max={MAX_DELAY_SECONDS}
            step="1"
            inputMode="numeric"
            value={delay}
            onInput={setDelay}
            hint="The pause between getting the signed token and using it, on a separate connection, so the two cannot be matched by time. Chosen at random, a few hours; you can close the page meanwhile. 0 is allowed but weaker."
          />
          {chosen && (
            <p class="muted ready-at">
              Your pseudonym will be ready at about <strong>{aboutTime(now + chosen.ms, now)}</strong>.
            </p>
          )}
          {hurrying && <HurryWarning crowd={crowd} />}
          {formError && <Notice kind="error">{formError}</Notice>}
          <div class="row">
            <button type="submit" disabled={!ready || st.busy}>
              Get pseudonym
            </button>
            {!ready && <span class="muted">Sign in above first.</span>}
          </div>
        </form>
        <IssuanceProgress st={st} onHurry={hurry} />
      </section>

      <section class="card" aria-labelledby="step3">
        <h2 id="step3">Already have a pseudonym?</h2>
        <p>Restore it from a backup file exported from another browser.</p>
        <RestoreBackup
          onRestored={async (p) => {
            const stored: StoredPseudonym = {
              sk: b64urlDecode(p.sk),
              pk: p.pk,
              handle: p.handle,
              issuer: p.issuer,
              master_key: p.master_key,
            };
            await keystore.putPseudonym(stored);
            props.onRestore(stored);
          }}
        />
      </section>
    </div>
  );
}
