import { describe, expect, it } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519.js';
import { b64urlDecode, b64urlEncode } from '../src/lib/b64';
import { closingIn, newOpening, pollBytes, signPoll, signVote, verifyPoll, voteBytes, type Poll } from '../src/lib/polls';

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const poll = { channel: 'general', question: 'Lunch?', options: ['Pizza', 'Salad'], closes_at: 1767225600, live: true };

describe('polls: signed bytes (docs/protocol.md "Polls")', () => {
  it('poll bytes are the lines the server verifies', () => {
    expect(text(pollBytes('hearth-test', poll, 'nonce-0123456789ab'))).toBe(
      'hearth/poll/v1\nhearth-test\ngeneral\n1767225600\n1\nnonce-0123456789ab\nLunch?\nPizza\nSalad',
    );
    expect(() => pollBytes('hearth-test', { ...poll, options: ['a\nb', 'c'] }, 'n')).toThrow();
    expect(() => pollBytes('hearth-test', { ...poll, question: 'tab\there' }, 'n')).toThrow();
  });

  it('vote bytes, first vote and change', () => {
    expect(text(voteBytes('i', '00000000000000a1', { option: 2, salt: 'SALT' }, null))).toBe('hearth/vote/v1\ni\n00000000000000a1\n2\nSALT\n\n');
    expect(text(voteBytes('i', '00000000000000a1', { option: 0, salt: 'NEW' }, { option: 2, salt: 'OLD' }))).toBe(
      'hearth/vote/v1\ni\n00000000000000a1\n0\nNEW\n2\nOLD',
    );
  });

  it('signatures verify under the pseudonym key, and a tampered poll does not', () => {
    const sk = ed25519.utils.randomSecretKey();
    const pk = b64urlEncode(ed25519.getPublicKey(sk));
    const sig = signPoll(sk, 'hearth-test', poll, 'nonce-0123456789ab');
    const shown = { ...poll, id: '1', author: { handle: 'a', pk }, nonce: 'nonce-0123456789ab', sig } as unknown as Poll;
    expect(verifyPoll(shown, 'hearth-test')).toBe(true);
    expect(verifyPoll({ ...shown, question: 'Dinner?' }, 'hearth-test')).toBe(false);
    expect(verifyPoll(shown, 'other-issuer')).toBe(false);
    const choice = newOpening(1);
    const vs = b64urlDecode(signVote(sk, 'i', 'p1', choice, null));
    expect(ed25519.verify(vs, voteBytes('i', 'p1', choice, null), ed25519.getPublicKey(sk))).toBe(true);
  });

  it('a fresh opening has a 32-byte salt; closing times fall on whole hours in the future', () => {
    const a = newOpening(3);
    expect(a.option).toBe(3);
    expect(b64urlDecode(a.salt).length).toBe(32);
    expect(newOpening(3).salt).not.toBe(a.salt);
    const now = 1767225601;
    const t = closingIn(24, now);
    expect(t % 3600).toBe(0);
    expect(t).toBeGreaterThan(now + 23 * 3600);
    expect(t).toBeLessThanOrEqual(now + 25 * 3600);
  });
});
