import { useEffect, useRef, useState } from 'preact/hooks';
import { localPinStore, verifyDirectory, type VerifiedDirectory } from '../lib/directory';
import { fetchDirectory } from '../lib/issuance';
import { Rpc, explain } from '../lib/rpc';
import { Field, Notice } from '../ui/common';
import { DirectoryFooter } from '../ui/DirectoryFooter';
import { AdminChannels, AdminKeys, AdminRoster, AdminStaff, AuditView } from './Admin';
import { FlagQueue } from './FlagQueue';
import { StaffModlog } from './StaffModlog';

export interface StaffUser {
  username: string;
  role: 'moderator' | 'admin';
}

type Tab = 'flags' | 'modlog' | 'keys' | 'roster' | 'staff' | 'channels' | 'audit';

const TABS: { id: Tab; label: string; admin: boolean }[] = [
  { id: 'flags', label: 'Flag queue', admin: false },
  { id: 'modlog', label: 'Moderation log', admin: false },
  { id: 'keys', label: 'Keys', admin: true },
  { id: 'roster', label: 'Roster', admin: true },
  { id: 'staff', label: 'Staff accounts', admin: true },
  { id: 'channels', label: 'Channels', admin: true },
  { id: 'audit', label: 'Audit log', admin: true },
];

export function StaffApp() {
  const [rpc, setRpc] = useState<Rpc | null>(null);
  const [user, setUser] = useState<StaffUser | null>(null);
  const [tab, setTab] = useState<Tab>('flags');
  const [notice, setNotice] = useState<string | null>(null);
  const [dir, setDir] = useState<VerifiedDirectory | null>(null);
  const [dirError, setDirError] = useState<string | null>(null);
  const rpcRef = useRef<Rpc | null>(null);

  const refreshDirectory = async (r: Rpc | null = rpcRef.current) => {
    try {
      setDir(r ? verifyDirectory(await r.call('keys'), localPinStore) : await fetchDirectory());
      setDirError(null);
    } catch (e) {
      setDirError(explain(e));
    }
  };

  useEffect(() => {
    void refreshDirectory(null);
  }, []);

  const signOut = (why?: string) => {
    rpcRef.current?.close();
    rpcRef.current = null;
    setRpc(null);
    setUser(null);
    setNotice(why ?? null);
  };

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
          <span>hearth · staff</span>
          {user && (
            <span class="whoami">
              {user.username} ({user.role})
            </span>
          )}
        </div>
        {user && (
          <button type="button" class="secondary" onClick={() => signOut()}>
            Sign out
          </button>
        )}
      </header>
      {dirError && <Notice kind="error">Key directory problem: {dirError}</Notice>}
      <main id="main" tabIndex={-1}>
        {!user || !rpc ? (
          <SignIn
            notice={notice}
            onSignedIn={(r, u) => {
              rpcRef.current = r;
              r.onClose(() => {
                if (rpcRef.current === r) signOut('The connection to the server closed. Sign in again.');
              });
              setRpc(r);
              setUser(u);
              setNotice(null);
              setTab('flags');
            }}
          />
        ) : (
          <>
            <nav class="tabs" aria-label="Console">
              {TABS.filter((t) => !t.admin || user.role === 'admin').map((t) => (
                <button type="button" key={t.id} aria-current={tab === t.id ? 'page' : undefined} onClick={() => setTab(t.id)}>
                  {t.label}
                </button>
              ))}
            </nav>
            {tab === 'flags' && <FlagQueue rpc={rpc} issuer={dir?.issuer ?? null} />}
            {tab === 'modlog' && <StaffModlog rpc={rpc} />}
            {tab === 'keys' && <AdminKeys rpc={rpc} dir={dir} onDirectory={(raw) => {
              try {
                setDir(verifyDirectory(raw, localPinStore));
                setDirError(null);
              } catch (e) {
                setDirError(explain(e));
              }
            }} refresh={() => refreshDirectory()} />}
            {tab === 'roster' && <AdminRoster rpc={rpc} />}
            {tab === 'staff' && <AdminStaff rpc={rpc} />}
            {tab === 'channels' && <AdminChannels rpc={rpc} />}
            {tab === 'audit' && <AuditView rpc={rpc} />}
          </>
        )}
      </main>
      <DirectoryFooter dir={dir} />
    </div>
  );
}

function SignIn(props: { notice: string | null; onSignedIn: (rpc: Rpc, user: StaffUser) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async () => {
    setError(null);
    if (!username || !password) return setError('Enter username and password.');
    setBusy(true);
    let rpc: Rpc | null = null;
    try {
      rpc = await new Rpc('/v1/staff').open();
      const u = await rpc.call<StaffUser>('login', { username, password });
      setPassword('');
      props.onSignedIn(rpc, u);
    } catch (e) {
      rpc?.close();
      setError((e as { code?: string }).code === 'unauthenticated' ? 'Username or password is wrong.' : explain(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card setup" aria-labelledby="signin-title">
      <h1 id="signin-title">Staff sign-in</h1>
      <p class="muted">For moderators and admins. Nothing here can reveal who is behind a pseudonym.</p>
      {props.notice && <Notice kind="warn">{props.notice}</Notice>}
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Field label="Username" value={username} onInput={setUsername} autoComplete="username" />
        <Field label="Password" type="password" value={password} onInput={setPassword} autoComplete="current-password" />
        {error && <Notice kind="error">{error}</Notice>}
        <div class="row">
          <button type="submit" disabled={busy}>
            Sign in
          </button>
        </div>
      </form>
    </section>
  );
}
