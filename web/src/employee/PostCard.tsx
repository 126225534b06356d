import { useState } from 'preact/hooks';
import { REACTIONS, type Post, type Reaction } from '../lib/forum';
import { verifyPostCached } from '../lib/pseudonym';
import { reactedKey } from '../lib/reacted';
import { Time } from '../ui/common';

// Glyphs that render without an emoji font.
const REACTION_GLYPH: Record<string, string> = { '+1': '+1', heart: '♥', laugh: '☺', sad: '☹' };

export function PostCard(props: {
  post: Post;
  issuer: string;
  mine: boolean;
  reacted: Set<string>;
  onReact?: (post: Post, reaction: Reaction, on: boolean) => void;
  onReply?: (post: Post) => void;
  onFlag?: (post: Post) => void;
  onProfile?: (handle: string) => void;
  onDelete?: (post: Post) => void;
  focusRef?: (el: HTMLElement | null) => void;
}) {
  const { post: p } = props;
  const ok = verifyPostCached(p, props.issuer);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const headId = `post-${p.id}-h`;
  return (
    <article class={`post ${ok ? '' : 'unverified'}`} aria-labelledby={headId} ref={props.focusRef} tabIndex={-1}>
      <header class="post-head" id={headId}>
        <button type="button" class="handle link" onClick={() => props.onProfile?.(p.author.handle)}>
          @{p.author?.handle ?? '?'}
        </button>
        <span class="muted">
          {' · '}
          <Time at={p.created_at} />
        </span>
        {ok ? (
          <span class="sig sig-ok" title="The signature verifies under this pseudonym’s key.">
            ✓ signed
          </span>
        ) : (
          <span class="sig sig-bad" title="The signature does not verify. The server may have altered this post.">
            ⚠ unverifiable
          </span>
        )}
      </header>
      <p class="post-body">{p.body}</p>
      <footer class="post-actions">
        {REACTIONS.map((r) => {
          const on = props.reacted.has(reactedKey(p.id, r));
          const n = p.reactions?.[r] ?? 0;
          // The button is named by its reaction alone (PROTOCOL.md §8: `+1`);
          // the count is its description, so screen readers read both.
          const countId = `post-${p.id}-${r}-n`;
          return (
            <button
              type="button"
              key={r}
              class={`react ${on ? 'on' : ''}`}
              aria-label={r}
              aria-pressed={on}
              aria-describedby={countId}
              title={`${r}: ${n}`}
              onClick={() => props.onReact?.(p, r, !on)}
            >
              <span aria-hidden="true">{REACTION_GLYPH[r]}</span>
              <span class="count" id={countId}>
                <span aria-hidden="true">{n}</span>
                <span class="sr-only">{n === 1 ? '1 reaction' : `${n} reactions`}</span>
              </span>
            </button>
          );
        })}
        {props.onReply && (
          <button type="button" onClick={() => props.onReply?.(p)}>
            Reply
          </button>
        )}
        {p.parent === null && p.replies > 0 && (
          <span class="muted reply-count">
            {p.replies} {p.replies === 1 ? 'reply' : 'replies'}
          </span>
        )}
        {props.onFlag && (
          <button type="button" class="quiet" onClick={() => props.onFlag?.(p)}>
            Flag
          </button>
        )}
        {props.mine &&
          props.onDelete &&
          (confirmDelete ? (
            <>
              <button type="button" class="danger" onClick={() => props.onDelete?.(p)}>
                Delete for good
              </button>
              <button type="button" class="quiet" onClick={() => setConfirmDelete(false)}>
                Keep
              </button>
            </>
          ) : (
            <button type="button" class="quiet" onClick={() => setConfirmDelete(true)}>
              Delete
            </button>
          ))}
      </footer>
    </article>
  );
}

export function HiddenCard() {
  return (
    <article class="post hidden-post">
      <p class="muted">This post was removed.</p>
    </article>
  );
}
