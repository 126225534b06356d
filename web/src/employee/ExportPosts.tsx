import { useState } from 'preact/hooks';
import type { ForumSession } from '../lib/forum';
import { explain } from '../lib/rpc';
import { collectExport, exportFileName } from '../lib/search';
import { Notice, download } from '../ui/common';

/** "Export my posts": every post of this pseudonym with its signature and the key directory, as one JSON file. */
export function ExportPosts(props: { session: ForumSession }) {
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const run = async () => {
    setBusy(true);
    setMsg(null);
    try {
      const file = await collectExport((after) => props.session.exportPage(after));
      const name = exportFileName();
      download(name, JSON.stringify(file, null, 2), 'application/json');
      const n = file.posts.length;
      setMsg({ kind: 'ok', text: `Saved ${n} ${n === 1 ? 'post' : 'posts'} in ${name}.` });
    } catch (e) {
      setMsg({ kind: 'error', text: explain(e) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="card">
      <h2>Export my posts</h2>
      <p>
        Everything this pseudonym posted, each post with its signature, and the key directory that proves it was
        certified, in one file. Anyone can check it offline with <code>hearth verify-export</code>.
      </p>
      <button type="button" class="secondary" disabled={busy} onClick={() => void run()}>
        Export my posts
      </button>
      {msg && <Notice kind={msg.kind}>{msg.text}</Notice>}
    </div>
  );
}
