import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { b64urlDecode } from '../lib/b64';
import { DirectoryError, localPinStore, type VerifiedDirectory } from '../lib/directory';
import { ForumSession, crowdOf, type Anonymity, type Pseudonym } from '../lib/forum';
import { coveringKey } from '../lib/renewal';
import { DEFAULT_MIN_CROWD } from '../lib/schedule';
import { fetchDirectory } from '../lib/issuance';
import { keystore, type StoredPseudonym } from '../lib/keystore';
import { RpcError, explain } from '../lib/rpc';
import { Notice, fmtDate } from '../ui/common';
import { DirectoryFooter } from '../ui/DirectoryFooter';
import { bannedText } from './text';
import { BanAppeal } from './Notifications';
import { Bus } from './bus';
import { Forum } from './Forum';
import { Renew } from './Renew';
import { useRenewer } from './renewer';
import { Setup } from './Setup';

type Phase =
  | { kind: 'loading' }
  | { kind: 'setup' }
  | { kind: 'connecting' }
  | { kind: 'forum'; session: ForumSession; me: Pseudonym; fresh: boolean }
  /** `known`: the lapse was known from the last login, without asking the forum. */
  | { kind: 'renew'; mode: 'lapsed' | 'scheduled'; why: string; me: Pseudonym | null; known?: boolean }
  | { kind: 'blocked'; message: string };

/** The status line: how large the crowd is that the pseudonym hides in (PROTOCOL.md §8: it says "hidden among"). */
function crowdLine(phase: Phase, dir: VerifiedDirectory | null, crowd: Anonymity | null): { text: string; small: boolean } {
  if (phase.kind === 'forum') {
    const { me } = phase;
    const key = coveringKey(me, dir);
    const n = key ? crowdOf(crowd, key.key_id)?.certified : undefined;
    const min = crowd?.min_crowd ?? DEFAULT_MIN_CROWD;
    const pseudonyms = (k: number) => `${k} pseudonym${k === 1 ? '' : 's'}`;
    if (key && dir?.active && key.key_id !== dir.active.key_id) {
      // Covered by an earlier key until it renews: that key's crowd, not the new key's (still empty) one.
      return n === undefined
        ? { text: `You are hidden among the pseudonyms certified under an earlier key, which covers you until ${fmtDate(me.valid_until)}.`, small: false }
        : { text: `You are hidden among ${pseudonyms(n)} of key epoch ${key.epoch}, which covers you until ${fmtDate(me.valid_until)}.`, small: n < min };
    }
    if (!crowd) return { text: 'You are hidden among the pseudonyms of the current key (counting…)', small: false };
    const c = crowd.certified;
    return {
      text: `You are hidden among ${pseudonyms(c)} · key epoch ${crowd.epoch}${c < min ? ` · below the minimum of ${min}` : ''}`,
      small: c < min,
    };
  }
  const issued = dir?.active ? dir.issued[dir.active.key_id] : undefined;
  if (issued !== undefined) {
    return {
      text: `Once you have a pseudonym, you are hidden among everyone with a token under the current key: ${issued} colleague${issued === 1 ? '' : 's'} so far.`,
      small: false,
    };
  }
  return { text: 'Once you have a pseudonym, you are hidden among everyone who gets a token under the current key.', small: false };
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
    async (p: StoredPseudonym, fresh = false, ask = false) => {
      setStored(p);
      // A certification known to have ended needs no forum login to find out:
      // renewing right after a login would put the two side by side in time.
      // (`ask`: the employee asks the forum anyway, e.g. after renewing elsewhere.)
      if (!ask && p.valid_until !== undefined && p.valid_until * 1000 <= Date.now()) {
        setPhase({ kind: 'renew', mode: 'lapsed', why: `Your pseudonym’s certification ended ${fmtDate(p.valid_until)}.`, me: null, known: true });
        return;
      }
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
        const kept = { ...p, valid_until: me.valid_until };
        await keystore.putPseudonym(kept);
        setStored(kept);
        setPhase({ kind: 'forum', session, me, fresh });
      } catch (e) {
        sessionRef.current = null;
        onLoginRefused(e);
      }
    },
    [bus],
  );

  /** Starts again from what the keystore holds now (after a renewal changed it). */
  const restart = async () => {
    const p = await keystore.getPseudonym();
    if (p) void start(p);
    else setPhase({ kind: 'setup' });
  };

  function onLoginRefused(e: unknown) {
    if (e instanceof RpcError && e.code === 'key_expired') {
      setPhase({ kind: 'renew', mode: 'lapsed', why: 'Your pseudonym’s certification has lapsed.', me: null });
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
      else setPhase({ kind: 'setup' });
    })();
    return () => sessionRef.current?.stop();
  }, []);

  // The crowd size, refreshed while signed in.
  useEffect(() => {
    if (phase.kind !== 'forum') return;
    const s = phase.session;
    const refresh = () =>
      s
        .anonymity()
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

  const forum = phase.kind === 'forum' ? phase : null;
  const renewer = useRenewer({
    on: !!forum,
    me: forum?.me ?? null,
    stored,
    dir,
    anonymity: crowd,
    onRenewed: () => {
      // The pseudonym's facts (valid_until) changed: read them again.
      const s = sessionRef.current;
      if (!s || !forum) return;
      void s.profile(forum.me.handle).then((me) => setPhase((ph) => (ph.kind === 'forum' ? { ...ph, me } : ph)));
      bus.emit('refresh-crowd', {});
    },
  });

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

  const openRenew = (mode: 'lapsed' | 'scheduled', why: string) => {
    if (phase.kind !== 'forum') return;
    phase.session.stop();
    setPhase({ kind: 'renew', mode, why, me: phase.me });
  };

  const line = crowdLine(phase, dir, crowd);

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
        <p role="status" class={`crowd ${line.small ? 'crowd-small' : ''}`}>
          {line.text}
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
          <Setup dir={dir} onDirectory={setDir} onReady={(p) => void start(p, true)} onRestore={(p) => void start(p)} />
        )}
        {phase.kind === 'renew' && stored && (
          <Renew
            key={phase.mode}
            stored={stored}
            kind={phase.mode}
            why={phase.why}
            me={phase.me}
            dir={dir}
            anonymity={crowd}
            onDirectory={setDir}
            onRenewed={() => void restart()}
            onScheduled={() => void restart()}
            onBack={phase.mode === 'scheduled' ? () => void restart() : undefined}
            onAskForum={phase.known ? () => void start(stored, false, true) : undefined}
            onForget={forget}
          />
        )}
        {phase.kind === 'blocked' && (
          <section class="card">
            <h1>Cannot continue</h1>
            <Notice kind="error">{phase.message}</Notice>
            {stored && <BanAppeal sk={stored.sk} pk={stored.pk} issuer={stored.issuer} />}
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
            fresh={phase.fresh}
            stored={stored}
            issuer={dir?.issuer ?? stored.issuer}
            dir={dir}
            crowd={crowd}
            renewal={renewer.st}
            bus={bus}
            onRenew={() => openRenew(renewer.st.needed ? 'scheduled' : 'lapsed', 'Renew your certification under the current key.')}
            onRenewNow={async () => {
              // One click: where the sign-in proxy identifies the browser the token is fetched
              // right here (and spent later, on schedule); otherwise a sign-in is needed.
              if (!(await renewer.fetchNow())) openRenew('scheduled', 'A new key is active. Renew while your current certification still covers you.');
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
