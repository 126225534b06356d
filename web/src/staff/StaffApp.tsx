import { useEffect, useRef, useState } from 'preact/hooks';
import { localPinStore, verifyDirectory, type VerifiedDirectory } from '../lib/directory';
import { fetchDirectory } from '../lib/issuance';
import { explain } from '../lib/rpc';
import { fetchServiceConfig, sectionsFor, StaffApi, type Section, type ServiceConfig, type ServiceRole } from '../lib/staffOps';
import { Field, Notice } from '../ui/common';
import { DirectoryFooter } from '../ui/DirectoryFooter';
import { AdminChannels, AdminKeys, AdminRoster, AdminStaff, AuditView } from './Admin';
import { Appeals } from './Appeals';
import { FlagQueue } from './FlagQueue';
import { PasswordView } from './Password';
import { StaffModlog } from './StaffModlog';
import { StaffPolls } from './StaffPolls';
import { StaffSearch } from './StaffSearch';

const SERVICE_NAME: Record<ServiceRole, string> = {
  all: 'issuer and forum',
  issuer: 'issuer',
  forum: 'forum',
};

export function StaffApp() {
  const [api, setApi] = useState<StaffApi | null>(null);
  const [config, setConfig] = useState<ServiceConfig | null>(null);
  const [configError, setConfigError] = useState<string | null>(null);
  const [section, setSection] = useState<Section | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [dir, setDir] = useState<VerifiedDirectory | null>(null);
  const [dirError, setDirError] = useState<string | null>(null);
  const apiRef = useRef<StaffApi | null>(null);

  const acceptDirectory = (raw: unknown) => {
    try {
      setDir(verifyDirectory(raw, localPinStore));
      setDirError(null);
    } catch (e) {
      setDirError(explain(e));
    }
  };

  const refreshDirectory = async (a: StaffApi | null = apiRef.current) => {
    try {
      if (a) acceptDirectory(await a.keys());
      else {
        setDir(await fetchDirectory());
        setDirError(null);
      }
    } catch (e) {
      setDirError(explain(e));
    }
  };

  const loadConfig = async () => {
    try {
      setConfig(await fetchServiceConfig());
      setConfigError(null);
    } catch (e) {
      setConfigError(explain(e));
    }
  };

  useEffect(() => {
    void loadConfig();
    void refreshDirectory(null);
  }, []);

  const signOut = (why?: string) => {
    apiRef.current?.close();
    apiRef.current = null;
    setApi(null);
    setNotice(why ?? null);
  };

  // Until the role is known, only what every role has is offered.
  const sections = api ? sectionsFor(config?.role ?? 'all', api.user.role).filter((s) => config || s.id === 'password') : [];
  const current = sections.find((s) => s.id === section) ?? sections[0] ?? null;

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
          {config && config.role !== 'all' && <span class="service-role">{SERVICE_NAME[config.role]} service</span>}
          {api && (
            <span class="whoami">
              {api.user.username} ({api.user.role})
            </span>
          )}
        </div>
        {api && (
          <button type="button" class="secondary" onClick={() => signOut()}>
            Sign out
          </button>
        )}
      </header>
      {configError && (
        <Notice kind="error">
          {configError}{' '}
          <button type="button" class="secondary" onClick={() => void loadConfig()}>
            Try again
          </button>
        </Notice>
      )}
      {dirError && <Notice kind="error">Key directory problem: {dirError}</Notice>}
      <main id="main" tabIndex={-1}>
        {!api ? (
          <SignIn
            notice={notice}
            service={config?.role ?? null}
            onSignedIn={(a) => {
              apiRef.current = a;
              a.onClose(() => {
                if (apiRef.current === a) signOut('The connection to the server closed. Sign in again.');
              });
              setApi(a);
              setNotice(null);
              setSection(null);
            }}
          />
        ) : (
          <>
            <nav class="tabs" aria-label="Console">
              {sections.map((s) => (
                <button type="button" key={s.id} aria-current={current?.id === s.id ? 'page' : undefined} onClick={() => setSection(s.id)}>
                  {s.label}
                </button>
              ))}
            </nav>
            {current?.id === 'flags' && <FlagQueue api={api} issuer={dir?.issuer ?? null} keys={dir?.keys ?? []} />}
            {current?.id === 'flags' && <Appeals api={api} />}
            {current?.id === 'search' && <StaffSearch api={api} issuer={dir?.issuer ?? null} />}
            {current?.id === 'polls' && <StaffPolls api={api} />}
            {current?.id === 'modlog' && <StaffModlog api={api} keys={dir?.keys ?? []} refreshKeys={() => refreshDirectory()} />}
            {current?.id === 'keys' && <AdminKeys api={api} dir={dir} onDirectory={acceptDirectory} refresh={() => refreshDirectory()} />}
            {current?.id === 'roster' && <AdminRoster api={api} />}
            {current?.id === 'staff' && <AdminStaff api={api} service={config?.role ?? 'all'} />}
            {current?.id === 'channels' && <AdminChannels api={api} />}
            {current?.id === 'audit' && <AuditView api={api} keys={dir?.keys ?? []} />}
            {current?.id === 'password' && <PasswordView api={api} />}
          </>
        )}
      </main>
      <DirectoryFooter dir={dir} />
    </div>
  );
}

function SignIn(props: { notice: string | null; service: ServiceRole | null; onSignedIn: (api: StaffApi) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async () => {
    setError(null);
    if (!username || !password) return setError('Enter username and password.');
    setBusy(true);
    try {
      const a = await StaffApi.signIn(username, password);
      setPassword('');
      props.onSignedIn(a);
    } catch (e) {
      setError((e as { code?: string }).code === 'unauthenticated' ? 'Username or password is wrong.' : explain(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card setup" aria-labelledby="signin-title">
      <h1 id="signin-title">Staff sign-in</h1>
      <p class="muted">
        For moderators and admins{props.service && props.service !== 'all' ? ` of this ${SERVICE_NAME[props.service]} service` : ''}. Nothing here can
        reveal who is behind a pseudonym.
      </p>
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
