import { describe, expect, it } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519.js';
import { b64urlDecode } from '../src/lib/b64';
import { appealBytes, appealFields, appealable, noticeText, type Notification } from '../src/lib/notify';
import { modlogActionText, modlogTarget, modlogTargetText, modlogTargetTitle } from '../src/lib/staffModlog';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('appeals: signed bytes (docs/protocol.md "Notifications and appeals")', () => {
  it('appeal bytes are the lines the server verifies, the text last with its newlines', () => {
    expect(text(appealBytes('hearth-test', '000000000000000a', 'line one\nline two'))).toBe(
      'hearth/appeal/v1\nhearth-test\n000000000000000a\nline one\nline two',
    );
  });

  it('appealFields signs those bytes with the pseudonym key', () => {
    const sk = ed25519.utils.randomSecretKey();
    const pk = ed25519.getPublicKey(sk);
    const f = appealFields(sk, pk, 'hearth-test', '000000000000000a', 'please look again');
    expect(b64urlDecode(f.pseudonym_pk)).toEqual(pk);
    expect(f.action_id).toBe('000000000000000a');
    const sig = b64urlDecode(f.sig);
    expect(ed25519.verify(sig, appealBytes('hearth-test', '000000000000000a', 'please look again'), pk)).toBe(true);
    // Bound to the action: the same text for another action does not verify.
    expect(ed25519.verify(sig, appealBytes('hearth-test', '000000000000000b', 'please look again'), pk)).toBe(false);
  });
});

describe('notifications: what each says', () => {
  const base = { id: '0000000000000001', at: 1767225600, read: false };
  const say = (n: Partial<Notification>) => noticeText({ ...base, kind: 'reply', ...n } as Notification);
  it('names pseudonyms only where the protocol does', () => {
    expect(say({ kind: 'reply', by: 'amy' })).toBe('amy replied to your post.');
    expect(say({ kind: 'reaction', reaction: 'heart' })).toBe('Your post got a heart reaction.');
  });
  it('moderation and outcomes carry the reason', () => {
    expect(say({ kind: 'hide', reason: 'off topic' })).toBe('A moderator hid your post: off topic.');
    expect(say({ kind: 'ban', reason: '' })).toBe('A moderator banned your pseudonym.');
    expect(say({ kind: 'appeal.overturned', reason: 'fair' })).toBe('Your appeal succeeded: fair.');
    expect(say({ kind: 'appeal.upheld', reason: 'no' })).toBe('Your appeal was turned down: no.');
  });
  it('a poll hidden or restored says so, with the reason', () => {
    expect(say({ kind: 'poll.hide', poll_id: '0000000000000004', action_id: '0000000000000007', reason: 'leaks a name' })).toBe(
      'A moderator hid your poll: leaks a name.',
    );
    expect(say({ kind: 'poll.restore', poll_id: '0000000000000004', reason: 'fine after all' })).toBe(
      'A moderator restored your poll: fine after all.',
    );
    expect(say({ kind: 'poll.hide', reason: '' })).toBe('A moderator hid your poll.');
  });
  it('only a post\'s hide and a ban can be appealed, not a poll\'s hide', () => {
    expect(appealable('hide')).toBe(true);
    expect(appealable('ban')).toBe(true);
    expect(appealable('poll.hide')).toBe(false);
    expect(appealable('poll.restore')).toBe(false);
    expect(appealable('restore')).toBe(false);
    expect(appealable('reply')).toBe(false);
  });
});

describe('the moderation log: an appeal\'s outcome', () => {
  const entry = { id: '0000000000000009', at: 0, reason: 'r', actor_role: 'moderator' };
  it('names the post of a hide (the server says how it stands) and the handle of a ban', () => {
    expect(modlogTarget({ ...entry, action: 'appeal.overturned', target: '0000000000000003', post_state: 'visible', excerpt: 'hi' })).toEqual({
      kind: 'post',
      id: '0000000000000003',
      state: 'visible',
      excerpt: 'hi',
    });
    expect(modlogTarget({ ...entry, action: 'appeal.upheld', target: 'amy_b' })).toEqual({ kind: 'pseudonym', handle: 'amy_b' });
  });
});

describe('the moderation log: a poll hidden or restored', () => {
  const entry = { id: '000000000000000a', at: 0, reason: 'r', actor_role: 'moderator', target: '0000000000000004' };
  it('names the poll by its question while it is visible, never as a post', () => {
    const t = modlogTarget({ ...entry, action: 'poll.restore', poll_state: 'visible', excerpt: 'Lunch at noon?' });
    expect(t).toEqual({ kind: 'poll', id: '0000000000000004', state: 'visible', excerpt: 'Lunch at noon?' });
    expect(modlogTargetText(t)).toBe('“Lunch at noon?”');
    expect(modlogTargetTitle(t)).toBe('poll id 0000000000000004');
  });
  it('says "hidden poll" while it is hidden, even if an excerpt came along', () => {
    const t = modlogTarget({ ...entry, action: 'poll.hide', poll_state: 'hidden', excerpt: 'should not show' });
    expect(t).toEqual({ kind: 'poll', id: '0000000000000004', state: 'hidden', excerpt: null });
    expect(modlogTargetText(t)).toBe('hidden poll');
  });
  it('a poll the server says nothing about is "a poll"', () => {
    const t = modlogTarget({ ...entry, action: 'poll.hide' });
    expect(t.kind).toBe('poll');
    expect(modlogTargetText(t)).toBe('a poll');
  });
  it('poll actions read as words; the others as the protocol names them', () => {
    expect(modlogActionText('poll.hide')).toBe('Poll hidden');
    expect(modlogActionText('poll.restore')).toBe('Poll restored');
    expect(modlogActionText('hide')).toBe('hide');
    expect(modlogActionText('keys.rotate')).toBe('keys.rotate');
    expect(modlogActionText('constructor')).toBe('constructor');
  });
});
