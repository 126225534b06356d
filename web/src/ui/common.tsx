import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

let uid = 0;
/** A stable id for label/aria wiring. */
export function useId(prefix = 'f'): string {
  const [id] = useState(() => `${prefix}-${++uid}`);
  return id;
}

export function Field(props: {
  label: string;
  value: string;
  onInput: (v: string) => void;
  type?: string;
  autoComplete?: string;
  hint?: string;
  required?: boolean;
  min?: number;
  max?: number;
  step?: string;
  maxLength?: number;
  pattern?: string;
  disabled?: boolean;
  inputMode?: string;
}) {
  const id = useId('in');
  const hintId = props.hint ? `${id}-hint` : undefined;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <input
        id={id}
        type={(props.type ?? 'text') as 'text'}
        value={props.value}
        onInput={(e) => props.onInput((e.currentTarget as HTMLInputElement).value)}
        autoComplete={props.autoComplete ?? 'off'}
        aria-describedby={hintId}
        required={props.required}
        min={props.min}
        max={props.max}
        step={props.step}
        maxLength={props.maxLength}
        pattern={props.pattern}
        disabled={props.disabled}
        inputMode={props.inputMode as never}
        spellcheck={false}
      />
      {props.hint && (
        <small id={hintId} class="hint">
          {props.hint}
        </small>
      )}
    </div>
  );
}

export function Notice(props: { kind?: 'error' | 'info' | 'warn' | 'ok'; children: ComponentChildren }) {
  const kind = props.kind ?? 'info';
  return (
    <div class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : undefined} aria-live="polite">
      {props.children}
    </div>
  );
}

export function fmtDate(unix: number): string {
  return new Date(unix * 1000).toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

export function fmtAgo(unix: number, now = Date.now() / 1000): string {
  const d = Math.max(0, now - unix);
  if (d < 90) return 'just now';
  if (d < 3600) return `${Math.round(d / 60)} min ago`;
  if (d < 86400) return `${Math.round(d / 3600)} h ago`;
  return fmtDate(unix);
}

export function Time(props: { at: number }) {
  return (
    <time dateTime={new Date(props.at * 1000).toISOString()} title={fmtDate(props.at)}>
      {fmtAgo(props.at)}
    </time>
  );
}

/** Re-renders every `ms` (for countdowns and relative times). */
export function useTick(ms: number): number {
  const [t, setT] = useState(Date.now());
  useEffect(() => {
    const h = setInterval(() => setT(Date.now()), ms);
    return () => clearInterval(h);
  }, [ms]);
  return t;
}

/** Offers text as a file download (no network involved). */
export function download(filename: string, text: string, type = 'application/octet-stream') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export function readFileText(file: File): Promise<string> {
  return file.text();
}

/** Short display form of a base64url key: first 8 characters in two groups. */
export function shortKey(pk: string): string {
  return `${pk.slice(0, 4)} ${pk.slice(4, 8)}`;
}
