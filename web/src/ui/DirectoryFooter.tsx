import type { ComponentChildren } from 'preact';
import { activeKeySummary, type VerifiedDirectory } from '../lib/directory';

/**
 * The verified directory's identity, for comparing with colleagues: the master
 * key fingerprint, and the active key's short id and epoch (a server handing
 * different people different keys would be caught by the comparison).
 */
export function DirectoryFooter(props: { dir: VerifiedDirectory | null; children?: ComponentChildren }) {
  const { dir } = props;
  if (!dir) {
    return (
      <footer class="foot">
        <p>Key directory not verified.</p>
      </footer>
    );
  }
  const active = activeKeySummary(dir);
  return (
    <footer class="foot">
      <p>
        Issuer <code>{dir.issuer}</code> · key directory #{dir.seq} · master key fingerprint <code class="fp">{dir.fingerprint}</code>{' '}
        ·{' '}
        {active ? (
          <span class="key-id">
            active key <code class="fp" title={active.key_id}>{active.short}</code> (epoch {active.epoch})
          </span>
        ) : (
          <span>no active key</span>
        )}
        {props.children}
      </p>
    </footer>
  );
}
