import { useState } from 'preact/hooks';
import { b64urlDecode } from '../lib/b64';
import type { VerifiedDirectory } from '../lib/directory';
import { IssuerSession, fetchDirectory, randomDelaySeconds } from '../lib/issuance';
import { keystore, type StoredPseudonym } from '../lib/keystore';
import { explain } from '../lib/rpc';
import { Field, Notice } from '../ui/common';
import { EmployerForm, IssuanceProgress, ProxyIdentified, issuerSessionFor, useIssuance, useProxyMode } from './issuance';
import { parseDelay } from './text';

export function Renew(props: {
  stored: StoredPseudonym;
  why: string;
  onDirectory: (d: VerifiedDirectory) => void;
  onRenewed: () => void;
  onForget: () => void;
}) {
  const [session, setSession] = useState<IssuerSession | null>(null);
  const [signingIn, setSigningIn] = useState(false);
  const [delay, setDelay] = useState(() => String(randomDelaySeconds()));
  const [formError, setFormError] = useState<string | null>(null);
  const { st, issue, finish } = useIssuance(null, props.onDirectory);
  const proxy = useProxyMode();

  const renew = async () => {
    setFormError(null);
    const delaySeconds = parseDelay(delay);
    if (delaySeconds === null) return setFormError('The unlinking delay is a whole number of seconds (0 or more).');
    let dir: VerifiedDirectory;
    try {
      dir = await fetchDirectory();
      props.onDirectory(dir);
    } catch (e) {
      return setFormError(`The key directory could not be verified: ${(e as Error).message}`);
    }
    let pending = await keystore.getPending();
    if (!pending || !pending.renewal || pending.pk !== props.stored.pk) {
      // Signed in with a password, or else (header mode) a fresh connection the company's sign-in proxy authenticated.
      let s: IssuerSession | null;
      try {
        s = await issuerSessionFor(session);
      } catch (e) {
        return setFormError(`Could not reach the issuer: ${explain(e)}`);
      }
      if (!s) return setFormError('Sign in on the employer side first.');
      const key = { sk: props.stored.sk, pk: b64urlDecode(props.stored.pk) };
      pending = await issue(s, key, { handle: props.stored.handle, delaySeconds, renewal: true });
      setSession(null);
      if (!pending) return;
    }
    const stored = await finish(pending, dir.issuer, dir.master_key);
    if (stored) props.onRenewed();
  };

  return (
    <div class="setup">
      <section class="card">
        <h1>Renew @{props.stored.handle}</h1>
        <Notice kind="warn">
          {props.why} Prove again that you work here; your browser then gets a new blind token for the same pseudonym key.
          The issuer still cannot tell which pseudonym it renews.
        </Notice>
      </section>
      <section class="card" aria-labelledby="r1">
        <h2 id="r1">1. Prove you work here</h2>
        {proxy.mode === 'proxy' && !session ? (
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
            step="1"
            value={delay}
            onInput={setDelay}
            hint="Pause between getting the token and using it on a separate connection."
          />
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
        <IssuanceProgress st={st} />
      </section>
    </div>
  );
}
