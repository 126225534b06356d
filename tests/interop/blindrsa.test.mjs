// Interoperability of hearth's RFC 9474 implementation (through
// hearth_crypto_tool) with @cloudflare/blindrsa-ts, in both directions, for
// RSABSSA-SHA384-PSS-Randomized: the suite hearth's protocol uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { RSABSSA } from '@cloudflare/blindrsa-ts';

const tool = process.env.HEARTH_CRYPTO_TOOL;
assert.ok(tool, 'HEARTH_CRYPTO_TOOL must name the hearth_crypto_tool binary');

const subtle = webcrypto.subtle;
const suite = RSABSSA.SHA384.PSS.Randomized();
const rsaPss = { name: 'RSA-PSS', hash: 'SHA-384' };

const b64 = (bytes) => Buffer.from(bytes).toString('base64url');
const unb64 = (text) => new Uint8Array(Buffer.from(text, 'base64url'));

// Sends requests to a fresh tool process, one JSON line each, and returns the replies.
function hearth(...requests) {
  const input = requests.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const output = execFileSync(tool, { input, encoding: 'utf8' });
  const replies = output.trim().split('\n').map((line) => JSON.parse(line));
  assert.equal(replies.length, requests.length);
  return replies;
}
function hearthOk(request) {
  const [reply] = hearth(request);
  assert.equal(reply.ok, true, `${request.op} failed: ${JSON.stringify(reply)}`);
  return reply;
}

async function importSpki(spki) {
  return subtle.importKey('spki', spki, rsaPss, true, ['verify']);
}

// A pseudonym token message as the protocol builds it (§3): label, 0x00, Ed25519 pk.
async function tokenMessage() {
  const { publicKey } = await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const pk = new Uint8Array(await subtle.exportKey('raw', publicKey));
  const { msg } = hearthOk({ op: 'pseudonym_msg', pk: b64(pk) });
  const bytes = unb64(msg);
  assert.equal(bytes.length, 52);
  return bytes;
}

for (const bits of [2048, 3072]) {
  test(`library client, hearth signer (RSA-${bits})`, async () => {
    const { spki, pkcs8, key_id } = hearthOk({ op: 'keygen', bits });
    const spkiBytes = unb64(spki);
    const digest = new Uint8Array(await subtle.digest('SHA-256', spkiBytes));
    assert.equal(key_id, b64(digest), 'key_id is SHA-256 of the SPKI');

    const publicKey = await importSpki(spkiBytes);
    assert.equal(publicKey.algorithm.modulusLength, bits);
    const msg = await tokenMessage();
    const prepared = suite.prepare(msg);
    assert.equal(prepared.length, 32 + msg.length);
    const { blindedMsg, inv } = await suite.blind(publicKey, prepared);

    const { blind_sig } = hearthOk({ op: 'blind_sign', pkcs8, blinded_msg: b64(blindedMsg) });
    const sig = await suite.finalize(publicKey, prepared, unb64(blind_sig), inv);
    assert.equal(await suite.verify(publicKey, sig, prepared), true);

    // The RSA private operation is deterministic: the library, given hearth's
    // PKCS#8 key through WebCrypto, computes the very same blind signature.
    const importedPrivate = await subtle.importKey('pkcs8', unb64(pkcs8), rsaPss, true, ['sign']);
    const libraryBlindSig = await suite.blindSign(importedPrivate, blindedMsg);
    assert.equal(b64(libraryBlindSig), blind_sig);

    // hearth agrees with the library's final signature, and rejects a tampered one.
    assert.equal(hearthOk({ op: 'verify', spki, prepared: b64(prepared), sig: b64(sig) }).valid, true);
    const tampered = Uint8Array.from(sig);
    tampered[5] ^= 1;
    assert.equal(hearthOk({ op: 'verify', spki, prepared: b64(prepared), sig: b64(tampered) }).valid, false);
    assert.equal(await suite.verify(publicKey, tampered, prepared), false);
  });

  test(`hearth client, library signer (RSA-${bits})`, async () => {
    const { privateKey, publicKey } = await suite.generateKey({
      publicExponent: Uint8Array.from([1, 0, 1]),
      modulusLength: bits,
    });
    const spkiBytes = new Uint8Array(await subtle.exportKey('spki', publicKey));
    const spki = b64(spkiBytes);
    const msg = await tokenMessage();

    const blinded = hearthOk({ op: 'blind', spki, msg: b64(msg) });
    assert.equal(unb64(blinded.prefix).length, 32);
    assert.equal(unb64(blinded.blinded_msg).length, bits / 8);
    const blindSig = await suite.blindSign(privateKey, unb64(blinded.blinded_msg));
    // hearth loads the library's PKCS#8 export and signs identically.
    const pkcs8 = b64(new Uint8Array(await subtle.exportKey('pkcs8', privateKey)));
    const hearthSig = hearthOk({ op: 'blind_sign', pkcs8, blinded_msg: blinded.blinded_msg });
    assert.equal(hearthSig.blind_sig, b64(blindSig));

    const { sig } = hearthOk({
      op: 'finalize', spki, prepared: blinded.prepared, blind_sig: b64(blindSig), inv: blinded.inv,
    });
    assert.equal(hearthOk({ op: 'verify', spki, prepared: blinded.prepared, sig }).valid, true);
    // The library verifies hearth's final signature with plain WebCrypto RSA-PSS too.
    const prepared = unb64(blinded.prepared);
    assert.equal(await suite.verify(publicKey, unb64(sig), prepared), true);
    assert.equal(
      await subtle.verify({ name: 'RSA-PSS', saltLength: 48 }, publicKey, unb64(sig), prepared),
      true,
    );
  });
}

test('hearth refuses what it must refuse', async () => {
  const { spki, pkcs8 } = hearthOk({ op: 'keygen', bits: 2048 });
  const modulus = (await importSpki(unb64(spki))).algorithm.modulusLength / 8;
  const [tooLong, allOnes, padded, garbage] = hearth(
    { op: 'blind_sign', pkcs8, blinded_msg: b64(new Uint8Array(modulus + 1)) },
    { op: 'blind_sign', pkcs8, blinded_msg: b64(new Uint8Array(modulus).fill(0xff)) },
    { op: 'blind_sign', pkcs8, blinded_msg: b64(new Uint8Array(modulus)) + '==' },
    { op: 'blind', spki: b64(new TextEncoder().encode('not a key')), msg: 'AA' },
  );
  for (const reply of [tooLong, allOnes, padded, garbage]) {
    assert.deepEqual(reply, { ok: false, error: 'bad_request' });
  }

  // A tampered blind signature does not finalize, neither in hearth nor in the library.
  const publicKey = await importSpki(unb64(spki));
  const prepared = suite.prepare(new TextEncoder().encode('hearth'));
  const { blindedMsg, inv } = await suite.blind(publicKey, prepared);
  const { blind_sig } = hearthOk({ op: 'blind_sign', pkcs8, blinded_msg: b64(blindedMsg) });
  const tampered = unb64(blind_sig);
  tampered[7] ^= 0x10;
  const [reply] = hearth({
    op: 'finalize', spki, prepared: b64(prepared), blind_sig: b64(tampered), inv: b64(inv),
  });
  assert.deepEqual(reply, { ok: false, error: 'invalid_signature' });
  await assert.rejects(suite.finalize(publicKey, prepared, tampered, inv));
  // The untouched one finalizes in both.
  const good = hearthOk({ op: 'finalize', spki, prepared: b64(prepared), blind_sig, inv: b64(inv) });
  const sig = await suite.finalize(publicKey, prepared, unb64(blind_sig), inv);
  assert.equal(good.sig, b64(sig));
});
