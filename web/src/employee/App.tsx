import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { b64urlDecode } from '../lib/b64';
import { DirectoryError, localPinStore, type VerifiedDirectory } from '../lib/directory';
import { ForumSession, type Anonymity, type Pseudonym } from '../lib/forum';
import { fetchDirectory } from '../lib/issuance';
import { keystore, type StoredPseudonym } from '../lib/keystore';
import { Rpc, RpcError, explain } from '../lib/rpc';
import { Notice } from '../ui/common';
import { DirectoryFooter } from '../ui/DirectoryFooter';
import { bannedText } from './text';
import { Bus } from './bus';
import { Forum } from './Forum';
import { Renew } from './Renew';
import { Setup } from './Setup';

type Phase =
  | { kind: 'loading' }
  | { kind: 'setup' }
  | { kind: 'connecting' }
  | { kind: 'forum'; session: ForumSession; me: Pseudonym }
  | { kind: 'renew'; why: string }
  | { kind: 'blocked'; message: string };

/** Asks for the crowd size without a pseudonym; servers may require login (then: unknown). */
async function probeAnonymity(): Promise<Anonymity | null> {
  try {
    const rpc = await new Rpc('/v1/forum', 5000).open();
    try {
      return await rpc.call<Anonymity>('anonymity');
    } finally {
      rpc.close();
    }
  } catch {
    return null;
  }
}

export function App() {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const [dir, setDir] = useState<VerifiedDirectory | null>(null);
  const [dirError, setDirError] = useState<string | null>(null);
  const [crowd, setCrowd] = useState<Anonymity | null>(null);
  const [stored, setStored] = useState<StoredPseudonym | null>(null);
  const [conn, setConn] = useState<string>('');
  const bus = useRef(new Bus()).current;
  const sessionRef = useRef<ForumSession | null>(null);

  const loadDirectory = useCallback(async () => {
    try {
      const d = await fetchDirectory();
      setDir(d);
      setDirError(null);
      return d;
    } catch (e) {
      setDirError(explain(e));
      if (e instanceof DirectoryError) setDir(null);
      return null;
    }
  }, []);

  const start = useCallback(
    async (p: StoredPseudonym) => {
      setStored(p);
      setPhase({ kind: 'connecting' });
      sessionRef.current?.stop();
      const session = new ForumSession(p.sk, b64urlDecode(p.pk), p.issuer, {
        onPush: (ev, data) => bus.emit(ev, data),
        onState: (s, detail) => setConn(s === 'reconnecting' ? `Reconnecting…${detail ? ` (${detail})` : ''}` : ''),
        onFatal: (e) => onLoginRefused(e),
      });
      sessionRef.current = session;
      try {
        const me = await session.start();
        setPhase({ kind: 'forum', session, me });
      } catch (e) {
        sessionRef.current = null;
        onLoginRefused(e);
      }
    },
    [bus],
  );

  function onLoginRefused(e: unknown) {
    if (e instanceof RpcError && e.code === 'key_expired') {
      setPhase({ kind: 'renew', why: 'Your pseudonym’s certification has lapsed.' });
    } else if (e instanceof RpcError && e.code === 'banned') {
      setPhase({ kind: 'blocked', message: bannedText(e.message) });
    } else if (e instanceof RpcError && e.code === 'unauthenticated') {
      setPhase({
        kind: 'blocked',
        message: 'The server does not know this pseudonym (was the server reset?). You can forget it here and get a new one.',
      });
    } else {
      setPhase({ kind: 'blocked', message: `Could not reach the forum: ${explain(e)}` });
    }
  }

  useEffect(() => {
    void (async () => {
      await loadDirectory();
      let p: StoredPseudonym | null = null;
      try {
        p = await keystore.getPseudonym();
      } catch (e) {
        setPhase({ kind: 'blocked', message: `This browser's storage is unavailable: ${explain(e)}` });
        return;
      }
      if (p) void start(p);
      else {
        setPhase({ kind: 'setup' });
        setCrowd(await probeAnonymity());
      }
    })();
    return () => sessionRef.current?.stop();
  }, []);

  // The crowd size, refreshed while signed in.
  useEffect(() => {
    if (phase.kind !== 'forum') return;
    const s = phase.session;
    const refresh = () =>
      s
        .call<Anonymity>('anonymity')
        .then(setCrowd)
        .catch(() => undefined);
    void refresh();
    const h = setInterval(refresh, 20000);
    const off = bus.on((ev) => {
      if (ev === 'reconnected' || ev === 'refresh-crowd') void refresh();
    });
    return () => {
      clearInterval(h);
      off();
    };
  }, [phase]);

  // Re-check the directory now and then (rotations bump seq).
  useEffect(() => {
    const h = setInterval(() => void loadDirectory(), 120000);
    return () => clearInterval(h);
  }, []);

  const forget = async () => {
    sessionRef.current?.stop();
    sessionRef.current = null;
    await keystore.forget();
    setStored(null);
    setPhase({ kind: 'setup' });
  };

  const resetTrust = async () => {
    localPinStore.clear();
    await loadDirectory();
  };

  const crowdText =
    crowd !== null
      ? `You are hidden among ${crowd.certified} pseudonym${crowd.certified === 1 ? '' : 's'}`
      : 'You are hidden among ? pseudonyms (known once you have one)';
  const small = crowd !== null && crowd.certified < crowd.min_crowd;

  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <div class="brand">
          <span class="logo" aria-hidden="true">
            ◆
          </span>
          <span>hearth</span>
          {phase.kind === 'forum' && <span class="whoami">@{phase.me.handle}</span>}
        </div>
        <p role="status" class={`crowd ${small ? 'crowd-small' : ''}`}>
          {crowdText}
          {crowd && <span class="crowd-detail">{` · key epoch ${crowd.epoch}${small ? ` · below the minimum of ${crowd.min_crowd}` : ''}`}</span>}
        </p>
      </header>
      {dirError && (
        <Notice kind="error">
          <strong>Key directory problem.</strong> {dirError}{' '}
          {dirError.includes('different master key') && (
            <button type="button" class="link" onClick={() => void resetTrust()}>
              Trust the new master key (only if your admins announced a reinstall)
            </button>
          )}
        </Notice>
      )}
      {conn && <Notice kind="warn">{conn}</Notice>}
      <main id="main" tabIndex={-1}>
        {phase.kind === 'loading' && <p class="muted">Loading…</p>}
        {phase.kind === 'connecting' && <p class="muted">Signing in as @{stored?.handle}…</p>}
        {phase.kind === 'setup' && (
          <Setup
            dir={dir}
            onDirectory={setDir}
            onReady={(p) => void start(p)}
            onRestore={(p) => void start(p)}
          />
        )}
        {phase.kind === 'renew' && stored && (
          <Renew stored={stored} why={phase.why} onDirectory={setDir} onRenewed={() => void start(stored)} onForget={forget} />
        )}
        {phase.kind === 'blocked' && (
          <section class="card">
            <h1>Cannot continue</h1>
            <Notice kind="error">{phase.message}</Notice>
            <div class="row">
              {stored && (
                <button type="button" onClick={() => void start(stored)}>
                  Try again
                </button>
              )}
              {stored && (
                <button type="button" class="danger" onClick={() => void forget()}>
                  Forget this pseudonym on this browser
                </button>
              )}
            </div>
          </section>
        )}
        {phase.kind === 'forum' && stored && (
          <Forum
            session={phase.session}
            me={phase.me}
            stored={stored}
            issuer={dir?.issuer ?? stored.issuer}
            dir={dir}
            crowd={crowd}
            bus={bus}
            onRenew={() => {
              phase.session.stop();
              setPhase({ kind: 'renew', why: 'Renew your certification under the current key.' });
            }}
            onForget={forget}
            onReplaced={(p) => void start(p)}
          />
        )}
      </main>
      <DirectoryFooter dir={dir}>{'. '}Compare both with colleagues: everyone should see the same.</DirectoryFooter>
    </div>
  );
}
