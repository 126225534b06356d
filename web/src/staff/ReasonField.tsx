// The reason a moderator gives for hiding or restoring something: the
// public moderation log shows it, and so does the notice its author gets.
import { useState } from 'preact/hooks';
import { MAX_REASON } from '../lib/staffOps';
import { useId } from '../ui/common';

/** `id` is the input's (the caller may point other ids at the same card). */
export function ReasonField(props: { id: string; value: string; onInput: (v: string) => void; placeholder?: string }) {
  return (
    <div class="field">
      <label for={props.id}>Reason for the public log</label>
      <input
        id={props.id}
        value={props.value}
        maxLength={MAX_REASON}
        placeholder={props.placeholder}
        onInput={(e) => props.onInput((e.currentTarget as HTMLInputElement).value)}
      />
    </div>
  );
}

/**
 * A card's reason and the hide or restore that takes it: `act` gets the
 * trimmed reason and resolves with whether it was done (the reason is then
 * cleared); `busy` while it runs.
 */
export function useReasonedAction(act: (reason: string) => Promise<boolean>) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const id = useId('why');
  const run = async () => {
    setBusy(true);
    if (await act(reason.trim())) setReason('');
    setBusy(false);
  };
  return { id, reason, setReason, busy, run };
}
