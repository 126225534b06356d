import { useEffect, useRef, useState } from 'preact/hooks';
import { b64urlDecode } from '../lib/b64';
import type { VerifiedDirectory } from '../lib/directory';
import type { Anonymity, Pseudonym } from '../lib/forum';
import { fetchDirectory } from '../lib/issuance';
import { IssuerSession } from '../lib/issuer';
import { keystore, type PendingToken, type StoredPseudonym } from '../lib/keystore';
import { crowdFacts, stillSpendable } from '../lib/renewal';
import { FIRST_DELAY_MAX_MS, firstDelayMs, renewalMoment, scheduledMinimumMs } from '../lib/schedule';
import { explain } from '../lib/rpc';
import { Field, Notice, useTick } from '../ui/common';
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

/** A wait longer than this goes on in the background, from the feed, rather than on this page. */
const WAIT_ON_PAGE_MS = 2 * 60_000;

/**
 * Renewal: 'lapsed' when the certification has ended (no voice until it is
 * renewed: the first pseudonym's hours-long delay applies), 'scheduled' when
 * it is still covered by an earlier key (the token is fetched now and spent
 * days later, lib/schedule.ts).
 */
export function Renew(props: {
  stored: StoredPseudonym;
  kind: 'lapsed' | 'scheduled';
  why: string;
  me: Pseudonym | null;
  dir: VerifiedDirectory | null;
  anonymity: Anonymity | null;
  onDirectory: (d: VerifiedDirectory) => void;
  onRenewed: () => void;
  /** The token is held and will be spent later, from the feed. */
  onScheduled: (p: PendingToken) => void;
  onBack?: () => void;
  /** The lapse was known from the last login: the employee may ask the forum instead (renewed in another browser?). */
  onAskForum?: () => void;
  onForget: () => void;
}) {
  const [session, setSession] = useState<IssuerSession | null>(null);
  const [signingIn, setSigningIn] = useState(false);
  const [opened] = useState(() => Date.now());
  const coverEnd = props.kind === 'scheduled' && props.me ? props.me.valid_until * 1000 : 0;
  const [drawn] = useState(() =>
    drawnDelay(props.kind === 'scheduled' ? (renewalMoment(opened, coverEnd) ?? opened + firstDelayMs()) - opened : firstDelayMs()),
  );
  const [delay, setDelay] = useState(drawn.text);
  const [formError, setFormError] = useState<string | null>(null);
  const [held, setHeld] = useState<PendingToken | null>(null);
  const { st, issue, finish, hurry } = useIssuance(props.onDirectory);
  // No probe of the issuer here: this page follows a forum login, and an
  // identified issuer connection right after it would pair the two.
  const proxy = useProxyMode({ probe: false });
  const now = useTick(15000);
  const dirRef = useRef(props.dir);
  dirRef.current = props.dir;
  const anonRef = useRef(props.anonymity);
  anonRef.current = props.anonymity;
  const ctx = { dir: () => dirRef.current, anonymity: () => anonRef.current };

  const minimum = scheduledMinimumMs(props.kind === 'lapsed' ? 'first' : 'renewal', now, coverEnd);
  const chosen = resolveDelayMs(delay, drawn);
  const hurrying = chosen !== null && chosen.ms < minimum;
  const keyId = held?.key_id ?? props.dir?.active?.key_id;
  const crowd = keyId ? crowdFacts(keyId, props.dir, props.anonymity) : null;

  const spend = async (p: PendingToken, dir: VerifiedDirectory) => {
    if (props.kind === 'scheduled' && p.certify_after - Date.now() > WAIT_ON_PAGE_MS) return props.onScheduled(p);
    const stored = await finish(p, dir.issuer, dir.master_key, ctx);
    if (stored) props.onRenewed();
  };

  // A token held from before (fetched on schedule, or before the page was
  // closed) is spent rather than asking for another.
  useEffect(() => {
    void keystore.getPending().then(async (found) => {
      let p = found;
      if (!p || !p.renewal || p.pk !== props.stored.pk) return;
      setHeld(p);
      const dir = dirRef.current;
      if (props.kind !== 'lapsed' || !dir || !stillSpendable(p, Date.now(), dir)) return;
      // A token held for a scheduled renewal (days out) whose cover ended
      // first: no voice until it is spent, so the lapsed rule applies instead,
      // hours after the token arrived, drawn once and kept.
      if (p.certify_after > p.fetched_at + FIRST_DELAY_MAX_MS) {
        p = { ...p, certify_after: p.fetched_at + firstDelayMs() };
        await keystore.putPending(p);
      }
      void spend(p, dir);
    });
  }, []);

  const renew = async () => {
    setFormError(null);
    const resolved = resolveDelayMs(delay, drawn);
    if (resolved === null) return setFormError('The unlinking delay is a whole number of seconds (0 or more).');
    const hurryNow = resolved.ms < minimum;
    let dir: VerifiedDirectory;
    try {
      dir = await fetchDirectory();
      props.onDirectory(dir);
    } catch (e) {
      return setFormError(`The key directory could not be verified: ${(e as Error).message}`);
    }
    let pending = await keystore.getPending();
    const usable = pending && pending.renewal && pending.pk === props.stored.pk && stillSpendable(pending, Date.now(), dir);
    if (pending && usable) {
      pending = { ...pending, certify_after: Date.now() + resolved.ms, hurry: hurryNow };
      await keystore.putPending(pending);
    } else {
      if (pending?.renewal) await keystore.clearPending();
      // Signed in with a password, or else (header mode) a fresh connection the company's sign-in proxy authenticated.
      let s: IssuerSession | null;
      try {
        s = await issuerSessionFor(session);
      } catch (e) {
        return setFormError(`Could not reach the issuer: ${explain(e)}`);
      }
      if (!s) return setFormError('Sign in on the employer side first.');
      const key = { sk: props.stored.sk, pk: b64urlDecode(props.stored.pk) };
      pending = await issue(s, key, { handle: props.stored.handle, delayMs: resolved.ms, hurry: hurryNow, renewal: true });
      setSession(null);
      if (!pending) return;
    }
    await spend(pending, dir);
  };

  return (
    <div class="setup">
      <section class="card">
        <h1>Renew @{props.stored.handle}</h1>
        <Notice kind={props.kind === 'lapsed' ? 'warn' : 'info'}>
          {props.why} Prove again that you work here; your browser then gets a new blind token for the same pseudonym key.
          The issuer still cannot tell which pseudonym it renews.
        </Notice>
        {props.onBack && (
          <button type="button" class="link" onClick={props.onBack}>
            ← Back to the forum
          </button>
        )}
        {props.onAskForum && (
          <p class="muted">
            Renewed it from another browser?{' '}
            <button type="button" class="link" onClick={props.onAskForum}>
              Check with the forum
            </button>
          </p>
        )}
      </section>
      <section class="card" aria-labelledby="r1">
        <h2 id="r1">1. Prove you work here</h2>
        {held ? (
          <p>A token for this renewal is already in this browser: no sign-in is needed.</p>
        ) : proxy.mode === 'proxy' && !session ? (
          <ProxyIdentified quota={proxy.quota} />
        ) : (
          <EmployerForm allowEnroll={false} session={session} onSession={setSession} onBusy={setSigningIn} locked={st.busy} />
        )}
      </section>
      <section class="card" aria-labelledby="r2">
        <h2 id="r2">2. Renew</h2>
        <form
          class="stack"
          onSubmit={(e) => {
            e.preventDefault();
            void renew();
          }}
        >
          <Field
            label="Unlinking delay (seconds)"
            type="number"
            min={0}
            max={MAX_DELAY_SECONDS}
            step="1"
            inputMode="numeric"
            value={delay}
            onInput={setDelay}
            hint={
              props.kind === 'scheduled'
                ? 'Pause between getting the token and using it: chosen at random, days, while your current certification still covers you. It is spent on its own from the feed.'
                : 'Pause between getting the token and using it on a separate connection: chosen at random, a few hours. You can close the page meanwhile.'
            }
          />
          {chosen && (
            <p class="muted ready-at">
              Your certification will be renewed at about <strong>{aboutTime(now + chosen.ms, now)}</strong>.
            </p>
          )}
          {hurrying && <HurryWarning crowd={crowd} />}
          {formError && <Notice kind="error">{formError}</Notice>}
          <div class="row">
            <button type="submit" disabled={st.busy || signingIn}>
              Renew pseudonym
            </button>
            <button type="button" class="danger" onClick={props.onForget}>
              Forget this pseudonym on this browser
            </button>
          </div>
        </form>
        <IssuanceProgress st={st} onHurry={hurry} />
      </section>
    </div>
  );
}
