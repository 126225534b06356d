// The reason a moderator gives for hiding or restoring something: the
// public moderation log shows it, and so does the notice its author gets.
import { MAX_REASON } from '../lib/staffOps';

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
