import { useState } from 'preact/hooks';
import { RpcError, explain } from '../lib/rpc';
import { MIN_PASSWORD, type StaffApi } from '../lib/staffOps';
import { Field, Notice } from '../ui/common';

function why(e: unknown): string {
  if (e instanceof RpcError) {
    if (e.code === 'unauthenticated') return 'The current password is wrong.';
    if (e.code === 'unknown_op') return 'This server cannot change passwords yet; an operator can, with `hearth staff passwd`.';
  }
  return explain(e);
}

/** The signed-in staff member changes their own password. */
export function PasswordView(props: { api: StaffApi }) {
  const [current, setCurrent] = useState('');
  const [fresh, setFresh] = useState('');
  const [again, setAgain] = useState('');
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);

  const submit = async () => {
    setStatus(null);
    if (!current) return setStatus({ kind: 'error', text: 'Enter your current password.' });
    if (fresh.length < MIN_PASSWORD) return setStatus({ kind: 'error', text: `The new password needs at least ${MIN_PASSWORD} characters.` });
    if (fresh !== again) return setStatus({ kind: 'error', text: 'The two new passwords differ.' });
    if (fresh === current) return setStatus({ kind: 'error', text: 'The new password is the same as the current one.' });
    setBusy(true);
    try {
      await props.api.changePassword(current, fresh);
      setCurrent('');
      setFresh('');
      setAgain('');
      setStatus({ kind: 'ok', text: 'Password changed. Use the new one from the next sign-in on.' });
    } catch (e) {
      setStatus({ kind: 'error', text: why(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="stack" aria-labelledby="pw-title">
      <h1 id="pw-title">My password</h1>
      <p class="muted">
        Change the password of <strong>{props.api.user.username}</strong>. If this is the first admin, delete the file
        that kept the initial password afterwards (<code>var/initial-admin-password</code> by default).
      </p>
      <form
        class="card stack narrow"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <input type="text" autoComplete="username" value={props.api.user.username} readOnly hidden />
        <Field label="Current password" type="password" value={current} onInput={setCurrent} autoComplete="current-password" />
        <Field
          label="New password"
          type="password"
          value={fresh}
          onInput={setFresh}
          autoComplete="new-password"
          hint={`At least ${MIN_PASSWORD} characters.`}
        />
        <Field label="New password again" type="password" value={again} onInput={setAgain} autoComplete="new-password" />
        {status && <Notice kind={status.kind}>{status.text}</Notice>}
        <div class="row">
          <button type="submit" disabled={busy}>
            Change password
          </button>
        </div>
      </form>
    </section>
  );
}
