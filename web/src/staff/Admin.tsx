import { useEffect, useState } from 'preact/hooks';
import { rosterFromCsv, toCsv, type RosterParse } from '../lib/csv';
import { shortKeyId, type DirectoryKey, type VerifiedDirectory } from '../lib/directory';
import { explain } from '../lib/rpc';
import { auditTargetText } from '../lib/staffModlog';
import {
  CHANNEL_NAME,
  MIN_PASSWORD,
  STAFF_USERNAME,
  type AuditEntry,
  type ServiceRole,
  type StaffApi,
  type StaffRole,
  type StaffUser,
} from '../lib/staffOps';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { Field, Notice, download, fmtDate, useId } from '../ui/common';
import { ReflowTable, type Column } from './ReflowTable';

function days(s: string): number | null {
  const n = Number(s);
  return s.trim() !== '' && Number.isFinite(n) && n > 0 ? n : null;
}

export function AdminKeys(props: {
  api: StaffApi;
  dir: VerifiedDirectory | null;
  onDirectory: (raw: unknown) => void;
  refresh: () => Promise<void>;
}) {
  const { api, dir } = props;
  const [bits, setBits] = useState('2048');
  const [issueDays, setIssueDays] = useState('30');
  const [acceptDays, setAcceptDays] = useState('60');
  const [reason, setReason] = useState('');
  const [confirmRotate, setConfirmRotate] = useState(false);
  const [revoking, setRevoking] = useState<DirectoryKey | null>(null);
  const [revokeReason, setRevokeReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const bitsId = useId('bits');

  useEffect(() => void props.refresh(), []);

  const active = dir?.active ?? null;
  const iD = days(issueDays);
  const aD = days(acceptDays);

  const startRotate = () => {
    setError(null);
    if (iD === null || aD === null) return setError('Issue and accept periods are positive numbers of days (fractions allowed).');
    if (aD < iD) return setError('The accept period must be at least as long as the issue period.');
    setConfirmRotate(true);
  };

  return (
    <div class="stack">
      <h1>Signing keys</h1>
      <p class="muted">
        One key is active at a time; every employee may obtain one token per key. The directory is signed by the master
        key and numbered, so browsers notice any change.
      </p>
      {status && <Notice kind="ok">{status}</Notice>}
      <ReflowTable
        caption={`Key directory #${dir?.seq ?? '?'}`}
        columns={keyColumns((k) => setRevoking(k))}
        rows={dir?.keys.slice().reverse() ?? []}
        rowKey={(k) => k.key_id}
      />

      <form
        class="card stack"
        onSubmit={(e) => {
          e.preventDefault();
          startRotate();
        }}
      >
        <h2>Rotate</h2>
        <div class="grid2">
          <div class="field">
            <label for={bitsId}>Key size</label>
            <select id={bitsId} value={bits} onChange={(e) => setBits((e.currentTarget as HTMLSelectElement).value)}>
              <option value="2048">RSA-2048</option>
              <option value="3072">RSA-3072</option>
              <option value="4096">RSA-4096</option>
            </select>
          </div>
          <Field label="Issue period (days)" type="number" step="any" min={0} value={issueDays} onInput={setIssueDays} />
          <Field label="Accept period (days)" type="number" step="any" min={0} value={acceptDays} onInput={setAcceptDays} />
        </div>
        <Field label="Reason (public log)" value={reason} onInput={setReason} />
        {error && <Notice kind="error">{error}</Notice>}
        <div class="row">
          <button type="submit">Rotate key…</button>
        </div>
      </form>

      {confirmRotate && iD !== null && aD !== null && (
        <ConfirmDialog
          title="Rotate the signing key?"
          confirmLabel="Rotate now"
          onClose={() => setConfirmRotate(false)}
          onConfirm={async () => {
            const d = await api.rotate({ bits: Number(bits), issue_days: iD, accept_days: aD, reason: reason.trim() });
            props.onDirectory(d);
            setStatus('Rotated. A new key is active.');
            setReason('');
          }}
        >
          <p>
            A new RSA-{bits} key becomes the active key. From now on tokens are issued only under it, for {iD} day
            {iD === 1 ? '' : 's'}, and every employee may obtain one new token.
          </p>
          {active ? (
            <p>
              The current key (epoch {active.epoch}) is <strong>retired</strong>: it issues nothing more, but tokens
              already issued under it can still be spent, and pseudonyms certified by it stay valid, until{' '}
              {fmtDate(active.accept_until)}. After that they must renew under the new key.
            </p>
          ) : (
            <p>There is no active key at the moment; this restores issuing.</p>
          )}
          <p>The change is published in the key directory and in the public moderation log.</p>
        </ConfirmDialog>
      )}

      {revoking && (
        <ConfirmDialog
          title={`Revoke the key of epoch ${revoking.epoch}?`}
          confirmLabel="Revoke now"
          danger
          onClose={() => {
            setRevoking(null);
            setRevokeReason('');
          }}
          onConfirm={async () => {
            if (!revokeReason.trim()) throw new Error('Give a reason: it is published in the moderation log.');
            const d = await api.revoke(revoking, revokeReason.trim());
            props.onDirectory(d);
            setStatus(`Key of epoch ${revoking.epoch} revoked.`);
          }}
        >
          <p>
            Revoking takes effect at once and cannot be undone. Tokens issued under this key that were not yet spent can
            no longer be certified. Pseudonyms certified only by this key lose their certification: they cannot sign in
            until they renew with a token from the active key. Existing posts stay.
          </p>
          {revoking.state === 'active' && (
            <Notice kind="warn">
              This is the active key: until you rotate, nobody can obtain a token or a new pseudonym.
            </Notice>
          )}
          <Field label="Reason (public log)" value={revokeReason} onInput={setRevokeReason} />
        </ConfirmDialog>
      )}
    </div>
  );
}

function keyColumns(revoke: (k: DirectoryKey) => void): Column<DirectoryKey>[] {
  return [
    { label: 'Epoch', cell: (k) => k.epoch },
    { label: 'State', cell: (k) => <span class={`keystate-${k.state}`}>{k.state}</span> },
    { label: 'Key', cell: (k) => <code title={`key id ${k.key_id}`}>{shortKeyId(k.key_id)}</code> },
    { label: 'Bits', cell: (k) => k.bits },
    { label: 'Issues until', cell: (k) => fmtDate(k.issue_until) },
    { label: 'Accepted until', cell: (k) => fmtDate(k.accept_until) },
    {
      label: 'Action',
      header: <span class="muted">Action</span>,
      cell: (k) =>
        k.state !== 'revoked' && (
          <button type="button" class="danger" onClick={() => revoke(k)}>
            Revoke…
          </button>
        ),
    },
  ];
}

export function AdminRoster(props: { api: StaffApi }) {
  const fileId = useId('csv');
  const [parsed, setParsed] = useState<RosterParse | null>(null);
  const [text, setText] = useState('');
  const [codes, setCodes] = useState<Record<string, string> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [removeId, setRemoveId] = useState('');
  const [removeStatus, setRemoveStatus] = useState<string | null>(null);
  const textId = useId('ids');

  const parse = (t: string) => {
    setText(t);
    setParsed(t.trim() ? rosterFromCsv(t) : null);
  };

  const doImport = async () => {
    setError(null);
    if (!parsed || parsed.ids.length === 0) return setError('No employee IDs to import.');
    if (parsed.invalid.length) return setError(`Fix the invalid IDs first (${parsed.invalid.length}).`);
    setBusy(true);
    try {
      setCodes(await props.api.importRoster(parsed.ids));
      setParsed(null);
      setText('');
    } catch (e) {
      setError(explain(e));
    } finally {
      setBusy(false);
    }
  };

  const codesCsv = () => toCsv([['employee_id', 'code'], ...Object.entries(codes ?? {})]);

  return (
    <div class="stack">
      <h1>Roster</h1>
      <div class="card stack">
        <h2>Import employees</h2>
        <p class="muted">
          A CSV file whose first column holds employee IDs (a header row is skipped), or one ID per line. Each imported
          employee gets a one-time enrollment code; re-importing an ID replaces its code.
        </p>
        <div class="field">
          <label for={fileId}>Roster CSV file</label>
          <input
            id={fileId}
            type="file"
            accept=".csv,text/csv,text/plain"
            onChange={async (e) => {
              const f = (e.currentTarget as HTMLInputElement).files?.[0];
              if (f) parse(await f.text());
            }}
          />
        </div>
        <div class="field">
          <label for={textId}>Employee IDs (one per line)</label>
          <textarea id={textId} rows={4} value={text} onInput={(e) => parse((e.currentTarget as HTMLTextAreaElement).value)} />
        </div>
        {parsed && (
          <p aria-live="polite">
            {parsed.ids.length} employee ID{parsed.ids.length === 1 ? '' : 's'} ready
            {parsed.duplicates.length > 0 && ` · ${parsed.duplicates.length} repeated (imported once)`}
            {parsed.invalid.length > 0 && ` · ${parsed.invalid.length} invalid`}
          </p>
        )}
        {error && <Notice kind="error">{error}</Notice>}
        <div class="row">
          <button type="button" disabled={busy || !parsed?.ids.length} onClick={() => void doImport()}>
            Import roster
          </button>
        </div>
      </div>

      {codes && (
        <section class="card stack" aria-labelledby="codes-title">
          <h2 id="codes-title">Enrollment codes</h2>
          <Notice kind="warn">
            These codes are shown only now; the server keeps only their hashes. Download them and hand each employee
            their own code out of band.
          </Notice>
          <div class="row">
            <button type="button" onClick={() => download('hearth-enrollment-codes.csv', codesCsv(), 'text/csv')}>
              Download codes as CSV
            </button>
            <button type="button" class="secondary" onClick={() => setCodes(null)}>
              I have saved them: clear
            </button>
          </div>
          <div class="table-wrap">
            <table aria-label="Enrollment codes">
              <thead>
                <tr>
                  <th scope="col">Employee ID</th>
                  <th scope="col">Code</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(codes).map(([id, code]) => (
                  <tr key={id}>
                    <td>{id}</td>
                    <td>
                      <code>{code}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}

      <form
        class="card stack"
        onSubmit={async (e) => {
          e.preventDefault();
          setRemoveStatus(null);
          try {
            await props.api.removeEmployee(removeId.trim());
            setRemoveStatus(`${removeId.trim()} removed from the roster.`);
            setRemoveId('');
          } catch (err) {
            setRemoveStatus(`Failed: ${explain(err)}`);
          }
        }}
      >
        <h2>Remove an employee</h2>
        <Field label="Employee ID to remove" value={removeId} onInput={setRemoveId} />
        {removeStatus && <Notice>{removeStatus}</Notice>}
        <div class="row">
          <button type="submit" class="danger" disabled={!removeId.trim()}>
            Remove from roster
          </button>
        </div>
      </form>
    </div>
  );
}

export function AdminStaff(props: { api: StaffApi; service: ServiceRole }) {
  const { api } = props;
  const [name, setName] = useState('');
  const [role, setRole] = useState<StaffRole>('moderator');
  const [pw, setPw] = useState('');
  const [removeName, setRemoveName] = useState('');
  const [status, setStatus] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const roleId = useId('role');
  const [list, setList] = useState<StaffUser[] | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const loadList = () =>
    api
      .staffList()
      .then((l) => {
        setList(l);
        setListError(null);
      })
      .catch((e) => setListError(`The list of accounts could not be loaded: ${explain(e)}`));
  useEffect(() => void loadList(), []);
  return (
    <div class="stack">
      <h1>Staff accounts</h1>
      {props.service !== 'all' && (
        <p class="muted">
          These accounts belong to this {props.service} service only; the {props.service === 'issuer' ? 'forum' : 'issuer'} has its own.
        </p>
      )}
      {status && <Notice kind={status.kind}>{status.text}</Notice>}
      {listError && <Notice kind="error">{listError}</Notice>}
      {list && (
        <ul class="card modlog" aria-label="Current staff">
          {list.map((m) => (
            <li key={m.username}>
              <strong>{m.username}</strong> <span class="muted">{m.role}</span>
              {m.username === api.user.username && <span class="muted"> (you)</span>}
            </li>
          ))}
        </ul>
      )}
      <form
        class="card stack"
        onSubmit={async (e) => {
          e.preventDefault();
          setStatus(null);
          if (!STAFF_USERNAME.test(name)) return setStatus({ kind: 'error', text: 'Usernames are 1–64 letters, digits, _ . or -.' });
          if (pw.length < MIN_PASSWORD) return setStatus({ kind: 'error', text: `Give an initial password of at least ${MIN_PASSWORD} characters.` });
          try {
            await api.addStaff(name, role, pw);
            setStatus({ kind: 'ok', text: `${role === 'admin' ? 'Admin' : 'Moderator'} ${name} added.` });
            setName('');
            setPw('');
            void loadList();
          } catch (err) {
            setStatus({ kind: 'error', text: explain(err) });
          }
        }}
      >
        <h2>Add</h2>
        <Field label="New staff username" value={name} onInput={setName} />
        <div class="field">
          <label for={roleId}>Role</label>
          <select id={roleId} value={role} onChange={(e) => setRole((e.currentTarget as HTMLSelectElement).value as StaffRole)}>
            <option value="moderator">moderator</option>
            <option value="admin">admin</option>
          </select>
        </div>
        <Field label="Initial password" type="password" value={pw} onInput={setPw} autoComplete="new-password" hint="They change it under My password after signing in." />
        <div class="row">
          <button type="submit">Add staff account</button>
        </div>
      </form>
      <form
        class="card stack"
        onSubmit={async (e) => {
          e.preventDefault();
          setStatus(null);
          try {
            await api.removeStaff(removeName);
            setStatus({ kind: 'ok', text: `${removeName} removed.` });
            setRemoveName('');
            void loadList();
          } catch (err) {
            setStatus({ kind: 'error', text: explain(err) });
          }
        }}
      >
        <h2>Remove</h2>
        <Field label="Staff username to remove" value={removeName} onInput={setRemoveName} />
        <div class="row">
          <button type="submit" class="danger" disabled={!removeName}>
            Remove staff account
          </button>
        </div>
      </form>
    </div>
  );
}

export function AdminChannels(props: { api: StaffApi }) {
  const { api } = props;
  const [name, setName] = useState('');
  const [desc, setDesc] = useState('');
  const [status, setStatus] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [list, setList] = useState<{ name: string; description: string }[] | null>(null);
  const loadList = () =>
    api
      .channels()
      .then(setList)
      .catch((e) => setStatus({ kind: 'error', text: `The channels could not be loaded: ${explain(e)}` }));
  useEffect(() => void loadList(), []);
  return (
    <form
      class="stack"
      onSubmit={async (e) => {
        e.preventDefault();
        setStatus(null);
        if (!CHANNEL_NAME.test(name)) return setStatus({ kind: 'error', text: 'Channel names are 1–32 lowercase letters, digits or -.' });
        try {
          await api.addChannel(name, desc);
          setStatus({ kind: 'ok', text: `#${name} added.` });
          setName('');
          setDesc('');
          void loadList();
        } catch (err) {
          setStatus({ kind: 'error', text: explain(err) });
        }
      }}
    >
      <h1>Channels</h1>
      {list && (
        <ul class="card modlog" aria-label="Existing channels">
          {list.map((c) => (
            <li key={c.name}>
              <strong>#{c.name}</strong> <span class="muted">{c.description}</span>
            </li>
          ))}
        </ul>
      )}
      <div class="card stack">
        <h2>Add a channel</h2>
        <Field label="Channel name" value={name} onInput={setName} hint="Lowercase letters, digits and -, up to 32." />
        <Field label="Description" value={desc} onInput={setDesc} />
        {status && <Notice kind={status.kind}>{status.text}</Notice>}
        <div class="row">
          <button type="submit">Add channel</button>
        </div>
      </div>
    </form>
  );
}

function auditColumns(keys: readonly DirectoryKey[]): Column<AuditEntry>[] {
  return [
    { label: 'When', cell: (e) => fmtDate(e.at) },
    {
      label: 'Who',
      cell: (e) => (
        <>
          {e.actor} <span class="muted">({e.role})</span>
        </>
      ),
    },
    { label: 'Action', cell: (e) => e.action },
    { label: 'Target', cell: (e) => <span title={e.target}>{auditTargetText(e, keys)}</span>, class: 'wrap' },
    { label: 'Detail', cell: (e) => e.detail, class: 'wrap' },
  ];
}

export function AuditView(props: { api: StaffApi; keys: readonly DirectoryKey[] }) {
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const load = async (before?: string) => {
    try {
      const r = await props.api.audit(before);
      setEntries((old) => (before ? [...old, ...r.items] : r.items));
      setNext(r.next);
      setError(null);
    } catch (e) {
      setError(explain(e));
    } finally {
      setLoaded(true);
    }
  };
  useEffect(() => void load(), []);
  return (
    <section class="stack" aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <p class="muted">Every staff action, with the staff member who did it. Visible to admins only.</p>
      {error && <Notice kind="error">{error}</Notice>}
      {loaded && !error && entries.length === 0 && <p class="muted empty">Nothing yet.</p>}
      {entries.length > 0 && <ReflowTable label="Audit log" columns={auditColumns(props.keys)} rows={entries} rowKey={(e) => e.id} />}
      {next && (
        <button type="button" class="secondary" onClick={() => void load(next)}>
          Load older entries
        </button>
      )}
    </section>
  );
}
