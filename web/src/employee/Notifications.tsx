import { useEffect, useState } from 'preact/hooks';
import { b64urlDecode } from '../lib/b64';
import type { ForumSession } from '../lib/forum';
import {
  MAX_APPEAL_CHARS,
  appealSigned,
  appealable,
  banStatus,
  noticeText,
  type Appeal,
  type BanStatus,
  type Notification,
} from '../lib/notify';
import { explain } from '../lib/rpc';
import { Notice, Time, fmtDate, useId } from '../ui/common';
import type { Bus } from './bus';

const PAGE = 20;

function appealStateText(a: Appeal): string {
  if (a.state === 'open') return 'Your appeal is waiting for a moderator.';
  const why = a.decision ? `: ${a.decision}` : '';
  return a.state === 'overturned' ? `Appeal granted${why}.` : `Appeal turned down${why}.`;
}

/** The text of an appeal and its send button; `send` resolves with the filed appeal. */
function AppealForm(props: { send: (text: string) => Promise<Appeal>; onFiled: (a: Appeal) => void; onCancel?: () => void }) {
  const id = useId('appeal');
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const t = text.trim();
    if (!t) return setError('Say why the moderator should look again.');
    setBusy(true);
    setError(null);
    try {
      props.onFiled(await props.send(t));
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="appeal-form" onSubmit={(e) => void submit(e)}>
      <label for={id}>Appeal text</label>
      <textarea id={id} maxLength={MAX_APPEAL_CHARS} rows={3} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      <p class="muted small">
        Signed by your pseudonym. Another moderator than the one who acted decides; you can appeal each action once.
      </p>
      <div class="row">
        <button type="submit" disabled={busy}>
          Send appeal
        </button>
        {props.onCancel && (
          <button type="button" class="secondary" onClick={props.onCancel}>
            Cancel
          </button>
        )}
      </div>
      {error && <Notice kind="error">{error}</Notice>}
    </form>
  );
}

/**
 * The bell: the unread count, and on opening, the notifications newest first
 * (replies, reactions, moderation), live while connected, with an appeal
 * form on a post's hide or a ban that has none yet (a poll's hide has no
 * appeal).
 */
export function Notifications(props: { session: ForumSession; bus: Bus; onOpenPost: (postId: string) => void }) {
  const { session } = props;
  const panelId = useId('notifications');
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<Notification[]>([]);
  const [unread, setUnread] = useState(0);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [appealing, setAppealing] = useState<string | null>(null);

  const load = async (before?: string) => {
    try {
      const pg = await session.notifications({ limit: PAGE, ...(before ? { before } : {}) });
      setItems((old) => (before ? [...old, ...pg.items.filter((n) => !old.some((o) => o.id === n.id))] : pg.items));
      setNext(pg.next);
      setUnread(pg.unread);
      setError(null);
    } catch (e) {
      setError(explain(e));
    }
  };

  useEffect(() => {
    void load();
  }, [session]);

  useEffect(
    () =>
      props.bus.on((ev, data) => {
        if (ev === 'notification' && data?.notice) {
          const n = data.notice as Notification;
          setItems((old) => (old.some((o) => o.id === n.id) ? old : [{ ...n, appeal: appealable(n.kind) ? null : undefined }, ...old]));
          setUnread(typeof data.unread === 'number' ? data.unread : (u) => u + 1);
          // An outcome changes how the appealed notice reads.
          if (n.kind.startsWith('appeal.')) void load();
        } else if (ev === 'notifications_read' && typeof data?.unread === 'number') {
          setUnread(data.unread);
          if (data.unread === 0) setItems((old) => old.map((o) => ({ ...o, read: true })));
        } else if (ev === 'reconnected') {
          void load();
        }
      }),
    [props.bus, session],
  );

  const markAll = async () => {
    try {
      setUnread(await session.markRead());
      setItems((old) => old.map((o) => ({ ...o, read: true })));
    } catch (e) {
      setError(explain(e));
    }
  };

  const filed = (actionId: string, a: Appeal) => {
    setItems((old) => old.map((o) => (o.action_id === actionId && appealable(o.kind) ? { ...o, appeal: a } : o)));
    setAppealing(null);
  };

  return (
    <div class="notify">
      <button
        type="button"
        class="chan notify-bell"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => {
          setOpen(!open);
          if (!open) void load();
        }}
      >
        Notifications{' '}
        {unread > 0 && (
          <span class="badge" aria-label={`${unread} unread`}>
            {unread}
          </span>
        )}
      </button>
      {open && (
        <section id={panelId} class="card notify-panel" aria-label="Notifications">
          <div class="row">
            <h2 class="notify-title">Notifications</h2>
            <button type="button" class="secondary" disabled={unread === 0} onClick={() => void markAll()}>
              Mark all read
            </button>
          </div>
          {error && <Notice kind="error">{error}</Notice>}
          {items.length === 0 && !error && <p class="muted">Nothing yet. Replies, reactions and moderators’ actions on your posts and polls show here.</p>}
          <ul class="notify-list">
            {items.map((n) => (
              <li key={n.id} class={n.read ? 'notice-item' : 'notice-item unread'}>
                <p>
                  {!n.read && <span class="sr-only">Unread: </span>}
                  {noticeText(n)} <Time at={n.at} />
                </p>
                {(n.kind === 'reply' || n.kind === 'reaction') && n.post_id && (
                  <button
                    type="button"
                    class="link"
                    onClick={() => {
                      setOpen(false);
                      props.onOpenPost(n.post_id!);
                    }}
                  >
                    Open the post
                  </button>
                )}
                {n.appeal && <p class="muted">{appealStateText(n.appeal)}</p>}
                {n.appeal === null && appealable(n.kind) && n.action_id && appealing !== n.id && (
                  <button type="button" class="secondary" onClick={() => setAppealing(n.id)}>
                    Appeal
                  </button>
                )}
                {appealing === n.id && n.action_id && (
                  <AppealForm
                    send={(text) => session.appeal(n.action_id!, text)}
                    onFiled={(a) => filed(n.action_id!, a)}
                    onCancel={() => setAppealing(null)}
                  />
                )}
              </li>
            ))}
          </ul>
          {next && (
            <button type="button" class="secondary" onClick={() => void load(next)}>
              Older notifications
            </button>
          )}
        </section>
      )}
    </div>
  );
}

/**
 * On the "cannot continue" page: when the pseudonym is banned, the ban and its
 * appeal (no login needed). Shows nothing otherwise, or when the forum cannot
 * say: the page already tells why it cannot continue.
 */
export function BanAppeal(props: { sk: Uint8Array; pk: string; issuer: string }) {
  const [status, setStatus] = useState<BanStatus | null>(null);
  useEffect(() => {
    banStatus(b64urlDecode(props.pk))
      .then(setStatus)
      .catch(() => setStatus(null));
  }, [props.pk]);
  if (!status?.banned) return null;
  return (
    <section class="card" aria-label="Appeal the ban">
      <h2>Appeal the ban</h2>
      <p>
        Banned until {fmtDate(status.until ?? 0)}
        {status.reason ? ` for: ${status.reason}` : ''}.
      </p>
      {status.appeal ? (
        <p>{appealStateText(status.appeal)}</p>
      ) : status.action_id ? (
        <AppealForm
          send={(text) => appealSigned(props.sk, b64urlDecode(props.pk), props.issuer, status.action_id!, text)}
          onFiled={(a) => setStatus({ ...status, appeal: a })}
        />
      ) : (
        <p class="muted">This ban cannot be appealed here.</p>
      )}
    </section>
  );
}
