import { useState } from 'preact/hooks';
import { b64urlEncode } from '../lib/b64';
import { BACKUP_FILE_NAME, exportBackup, importBackup, type BackupPayload } from '../lib/backup';
import type { StoredPseudonym } from '../lib/keystore';
import { Field, Notice, download, useId } from '../ui/common';

export function ExportBackup(props: { stored: StoredPseudonym; onSaved?: () => void }) {
  const [pass, setPass] = useState('');
  const [pass2, setPass2] = useState('');
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);

  const run = async () => {
    setMsg(null);
    if (pass.length < 8) return setMsg({ kind: 'error', text: 'Use a passphrase of at least 8 characters.' });
    if (pass !== pass2) return setMsg({ kind: 'error', text: 'The two passphrases differ.' });
    setBusy(true);
    try {
      const s = props.stored;
      const payload: BackupPayload = {
        handle: s.handle,
        pk: s.pk,
        sk: b64urlEncode(s.sk),
        issuer: s.issuer,
        master_key: s.master_key,
      };
      const text = await exportBackup(payload, pass);
      download(BACKUP_FILE_NAME, text, 'application/json');
      setPass('');
      setPass2('');
      setMsg({ kind: 'ok', text: 'Backup file saved. Keep it and the passphrase apart.' });
      props.onSaved?.();
    } catch (e) {
      setMsg({ kind: 'error', text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      class="stack"
      onSubmit={(e) => {
        e.preventDefault();
        void run();
      }}
    >
      <Field label="Passphrase for the file" type="password" value={pass} onInput={setPass} autoComplete="new-password" />
      <Field label="Repeat the passphrase" type="password" value={pass2} onInput={setPass2} autoComplete="new-password" />
      {msg && <Notice kind={msg.kind}>{msg.text}</Notice>}
      <div class="row">
        <button type="submit" disabled={busy}>
          {busy ? 'Encrypting…' : 'Export backup file'}
        </button>
      </div>
    </form>
  );
}

export function RestoreBackup(props: { onRestored: (p: BackupPayload) => Promise<void> }) {
  const fileId = useId('file');
  const [file, setFile] = useState<File | null>(null);
  const [pass, setPass] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const run = async () => {
    setError(null);
    if (!file) return setError('Choose the backup file.');
    setBusy(true);
    try {
      const payload = await importBackup(await file.text(), pass);
      await props.onRestored(payload);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      class="stack"
      onSubmit={(e) => {
        e.preventDefault();
        void run();
      }}
    >
      <div class="field">
        <label for={fileId}>Backup file</label>
        <input
          id={fileId}
          type="file"
          accept=".hearthkey,application/json"
          onChange={(e) => setFile((e.currentTarget as HTMLInputElement).files?.[0] ?? null)}
        />
      </div>
      <Field label="Backup passphrase" type="password" value={pass} onInput={setPass} autoComplete="current-password" />
      {error && <Notice kind="error">{error}</Notice>}
      <div class="row">
        <button type="submit" class="secondary" disabled={busy}>
          {busy ? 'Decrypting…' : 'Restore from backup'}
        </button>
      </div>
    </form>
  );
}
