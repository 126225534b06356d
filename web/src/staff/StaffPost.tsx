// A post as the staff console shows it (the flag queue, search): author,
// channel, time, signature check and body, and on demand the whole thread it
// is in, hidden and deleted posts included, the post itself marked.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { Post } from '../lib/forum';
import { verifyPostCached } from '../lib/pseudonym';
import { explain } from '../lib/rpc';
import { threadEntries, type ThreadEntry } from '../lib/staff';
import type { StaffApi } from '../lib/staffOps';
import { Notice, Time, useId } from '../ui/common';

function SigBadge(props: { post: Post; issuer: string | null }) {
  if (!props.issuer) return null;
  return verifyPostCached(props.post, props.issuer) ? <span class="sig sig-ok">✓ signed</span> : <span class="sig sig-bad">⚠ unverifiable</span>;
}

/**
 * An `article` named by its header (author, channel, time, signature, then
 * `badges`), the body, then `children` (what the section does with the post).
 */
export function StaffPostCard(props: { post: Post; issuer: string | null; class: string; badges?: ComponentChildren; children?: ComponentChildren }) {
  const p = props.post;
  const hid = useId('post-h');
  return (
    <article class={`post ${props.class}`} aria-labelledby={hid}>
      <header class="post-head" id={hid}>
        <strong>@{p.author?.handle}</strong>
        <span class="muted">
          {' '}
          in #{p.channel}
          {p.parent ? ' (a reply)' : ''} · <Time at={p.created_at} />
        </span>
        <SigBadge post={p} issuer={props.issuer} />
        {props.badges}
      </header>
      <p class="post-body">{p.body}</p>
      {props.children}
    </article>
  );
}

/** What the thread view calls the post it was opened from. */
export type ThreadMark = 'flagged' | 'found';

/** "Show thread" / "Close thread", and the thread read with the staff `thread` op. */
export function ThreadToggle(props: { api: StaffApi; post: Post; issuer: string | null; mark: ThreadMark }) {
  const p = props.post;
  const tid = useId('thread');
  const [open, setOpen] = useState(false);
  const [thread, setThread] = useState<ThreadEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const toggle = async () => {
    if (open) return setOpen(false);
    setOpen(true);
    setError(null);
    try {
      setThread(threadEntries(await props.api.thread(p.id), p.id));
    } catch (e) {
      setThread(null);
      setError(`The thread could not be loaded: ${explain(e)}`);
    }
  };
  return (
    <>
      <div class="row thread-toggle">
        <button type="button" class="secondary" aria-expanded={open} aria-controls={tid} onClick={() => void toggle()}>
          {open ? 'Close thread' : 'Show thread'}
        </button>
      </div>
      {open && (
        <div id={tid} class="thread-context">
          {error && <Notice kind="error">{error}</Notice>}
          {!thread && !error && <p class="muted">Loading the thread…</p>}
          {thread && <ThreadContext entries={thread} issuer={props.issuer} mark={props.mark} label={`Thread of the post by @${p.author?.handle}`} />}
        </div>
      )}
    </>
  );
}

const MARK_TEXT: Record<ThreadMark, string> = { flagged: 'Flagged post', found: 'Found post' };

function ThreadContext(props: { entries: ThreadEntry[]; issuer: string | null; mark: ThreadMark; label: string }) {
  const replies = props.entries.filter((e) => e.reply).length;
  return (
    <>
      <p class="muted">
        The whole thread{replies === 0 ? ' (no replies)' : ` with ${replies} ${replies === 1 ? 'reply' : 'replies'}`}, including hidden
        posts. The {props.mark} post is marked.
      </p>
      <ol class="context-list" aria-label={props.label}>
        {props.entries.map((e) => (
          <li
            key={e.id}
            class={`context-post${e.reply ? ' context-reply' : ''}${e.flagged ? ' context-flagged' : ''}${e.state !== 'visible' ? ' context-gone' : ''}`}
            aria-current={e.flagged ? 'true' : undefined}
          >
            <div class="post-head">
              {e.flagged && <span class="badge badge-flagged">{MARK_TEXT[props.mark]}</span>}
              {e.post ? <strong>@{e.post.author?.handle}</strong> : <strong class="muted">[deleted]</strong>}
              <span class="muted">
                {e.reply ? 'reply' : 'top post'}
                {e.post && (
                  <>
                    {' '}
                    · <Time at={e.post.created_at} />
                  </>
                )}
              </span>
              {e.state === 'hidden' && <span class="badge badge-hidden">Hidden by moderators</span>}
              {e.state === 'deleted' && <span class="badge badge-hidden">Deleted by its author</span>}
              {e.post && <SigBadge post={e.post} issuer={props.issuer} />}
            </div>
            {e.post ? <p class="post-body">{e.post.body}</p> : <p class="muted hidden-post">The author took this post back; nothing of it is kept.</p>}
          </li>
        ))}
      </ol>
    </>
  );
}
