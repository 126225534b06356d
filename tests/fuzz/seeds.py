#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target into tests/fuzz/corpus/<target>/.

The seeds are small, meaningful inputs in each target's layout: the targets
split an input with LLVM's FuzzedDataProvider, which takes integers from the
end of the input and strings and byte fields from the front. Run it again
after changing a target's layout; the files are committed.
"""
import base64
import hashlib
import json
import pathlib
import struct

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def write(target, name, data):
    d = HERE / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(bytes(data))


# ---------------------------------------------------------------- FuzzedDataProvider layout

def fdp_string(s):
    """ConsumeRandomLengthString: backslashes doubled, ended by a backslash and another character."""
    return s.replace(b"\\", b"\\\\") + b"\\;"


def fdp_in_range(value, lo, hi):
    """The bytes ConsumeIntegralInRange(lo, hi) reads (from the end), in file order."""
    span = hi - lo
    n = 0
    while n < 8 and (span >> (8 * n)) > 0:
        n += 1
    v = value - lo
    # The first byte read (the file's last) ends up the most significant.
    return bytes((v >> (8 * i)) & 0xFF for i in range(n))


def tail(*fields):
    """Integers read from the end, given in the order the target reads them."""
    out = b""
    for value, lo, hi in fields:
        out = fdp_in_range(value, lo, hi) + out
    return out


U64 = (0, 2**64 - 1)
I64 = (-(2**63), 2**63 - 1)


# ---------------------------------------------------------------- storage codec

def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def zigzag(v):
    return varint(((v << 1) ^ (v >> 63)) & (2**64 - 1))


def s(b):
    b = b.encode() if isinstance(b, str) else b
    return varint(len(b)) + b


def be64(v):
    return struct.pack(">Q", v)


def fnv1a(*parts):
    h = 2166136261
    for p in parts:
        for ch in p:
            h = ((h ^ ch) * 16777619) & 0xFFFFFFFF
        h = ((h ^ 0xFF) * 16777619) & 0xFFFFFFFF
    return h


def make_cursor(kind, payload_hex, context):
    return kind + payload_hex + b"%08x" % fnv1a(kind, payload_hex, context)


def codec_seeds():
    v = b"\x01"
    pk = bytes(range(32))
    records = {
        "employee": (0, v + s("e-1001") + s("c" * 64) + s("$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA")),
        "employee_enrolled": (0, v + s("e-1002") + s("") + s("$argon2id$x")),
        "signing_key": (1, v + s("k" * 43) + varint(3) + varint(2048) + s(b"\x30\x82" + b"\x00" * 30)
                        + s(b"\x30\x82" + b"\x11" * 40) + zigzag(1700000000) + zigzag(1702592000)
                        + zigzag(1705184000) + b"\x01"),
        "quota": (2, v + varint(7) + s(b"\xaa" * 256) + s(b"\xbb" * 256)),
        "staff": (3, v + s("admin") + b"\x01" + s("$argon2id$y")),
        "audit": (4, v + s("0000000000000001") + zigzag(1700000000) + s("admin") + b"\x01" + s("keys.rotate")
                  + s("k1") + s("bits=2048")),
        "pseudonym": (5, v + s(pk) + s("Quiet-Owl") + varint(1) + varint(2)
                      + s("k1") + varint(1) + zigzag(1705184000) + s("k2") + varint(2) + zigzag(-5)),
        "post": (6, v + s("0000000000000002") + s("general") + s("") + s(pk) + s("Quiet-Owl") + s("hello")
                 + zigzag(1700000000) + s("bm9uY2U") + s(b"\x05" * 64) + varint(2) + s("+1") + varint(3)
                 + s("heart") + varint(1) + varint(4) + b"\x00"),
        "post_hidden_deleted": (6, v + s("x") + s("c") + s("0000000000000001") + s(b"") + s("h") + s("")
                                + zigzag(0) + s("") + s(b"") + varint(0) + varint(0) + b"\x03"),
        "modlog": (7, v + s("0000000000000003") + zigzag(1700000000) + s("hide") + s("0000000000000002")
                   + s("spam") + s("moderator")),
        "channel": (8, v + s("general") + s("Everything else")),
        "flag_summary": (9, v + varint(3) + varint(2) + s("spam") + varint(2) + s("off-topic") + varint(1)
                         + b"\x01"),
        "pinned_issuer": (12, v + s(pk) + s("https://issuer.example.com")),
        "directory_copy": (13, v + varint(7) + s('{"issuer":"hearth-local","seq":7,"keys":[]}')),
    }
    for name, (which, value) in records.items():
        write("codec", name, value + tail((which, 0, 13)))
    write("codec", "bad_version", b"\x02" + s("e") + s("") + s("") + tail((0, 0, 13)))
    write("codec", "huge_length", b"\x01" + varint(2**63) + b"abc" + tail((8, 0, 13)))

    # Primitives: u64, i64, u8 from the end, a string from the front, then a
    # u64 from the end, and the rest raw.
    prim = fdp_string(b"a string with a \\ backslash") + b"\x81\x80\x80\x80\x80\x80\x80\x80\x80\x01\x05abc"
    write("codec", "primitives", prim + tail((10, 0, 13), (300,) + U64, (-2,) + I64, (7, 0, 255), (2**40,) + U64))

    # Cursors: kind, payload length, then the context string, then the cursor text.
    for kind, n, ctx, payload in [(b"f", 16, b"general", b"00000000000000a0"),
                                  (b"m", 16, b"modlog", b"0000000000000003"),
                                  (b"a", 16, b"audit", b"0000000000000009"),
                                  (b"q", 32, b"flags", b"fffffffffffffffd0000000000000002")]:
        cur = make_cursor(kind, payload, ctx)
        write("codec", "cursor_" + kind.decode(), fdp_string(ctx) + cur
              + tail((11, 0, 13), (kind[0] - 256 if kind[0] > 127 else kind[0], -128, 127), (n, 0, 64)))
    write("codec", "hex16", fdp_string(b"") + b"00000000deadbeef" + tail((11, 0, 13), (ord("x"), -128, 127),
                                                                             (16, 0, 64)))


# ---------------------------------------------------------------- base64url

def base64url_seeds():
    for name, text in [("empty", b""), ("one_byte", b"AA"), ("two_bytes", b"AQI"), ("three_bytes", b"AQID"),
                       ("ed25519_pk", b"A" * 43), ("noncanonical", b"AB"), ("padding", b"AQ=="),
                       ("std_alphabet", b"+/+/"), ("hex_lower", b"00ff7f80"), ("hex_upper", b"DEADBEEF"),
                       ("lone_char", b"AAAAA"), ("rsa_sig", b"_-" * 171 + b"A")]:
        write("base64url", name, text)


# ---------------------------------------------------------------- blind RSA

def blind_rsa_seeds():
    doc = json.loads((ROOT / "tests" / "data" / "rfc9474.json").read_text())
    variants = {"RSABSSA-SHA384-PSS-Randomized": 0, "RSABSSA-SHA384-PSS-Deterministic": 1,
                "RSABSSA-SHA384-PSSZERO-Randomized": 2, "RSABSSA-SHA384-PSSZERO-Deterministic": 3}
    spki_written = False
    for vec in doc["vectors"]:
        var = variants[vec["name"]]
        h = lambda k: bytes.fromhex(vec[k])
        tag = vec["name"].split("-", 1)[1].lower()
        # mode 1: verify(sig over prepared_msg)
        write("blind_rsa", f"verify_{tag}", h("sig") + h("prepared_msg")
              + tail((1, 0, 4), (var, 0, 3), (len(h("sig")), 0, 1024)))
        # mode 2: finalize(prepared, blind_sig, inv)
        write("blind_rsa", f"finalize_{tag}", h("blind_sig") + h("inv") + h("prepared_msg")
              + tail((2, 0, 4), (var, 0, 3), (len(h("blind_sig")), 0, 1024), (len(h("inv")), 0, 1024)))
        # mode 3: blind_sign(blinded_msg)
        write("blind_rsa", f"blind_sign_{tag}", h("blinded_msg") + tail((3, 0, 4), (var, 0, 3)))
        # mode 4: the whole protocol on msg
        write("blind_rsa", f"roundtrip_{tag}", h("msg") + tail((4, 0, 4), (var, 0, 3)))
        if not spki_written:
            write("blind_rsa", "spki_rfc9474", spki(int(vec["n"], 16), int(vec["e"], 16)) + tail((0, 0, 4), (0, 0, 3)))
            spki_written = True
    write("blind_rsa", "blind_sign_n", bytes.fromhex(doc["vectors"][0]["n"]) + tail((3, 0, 4), (0, 0, 3)))


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def der(tag, body):
    return bytes([tag]) + der_len(len(body)) + body


def der_int(v):
    b = v.to_bytes(v.bit_length() // 8 + 1, "big")
    return der(0x02, b)


def spki(n, e):
    """SubjectPublicKeyInfo for rsaEncryption (RFC 8017 A.1.1, RFC 5280 4.1)."""
    alg = der(0x30, der(0x06, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00")
    key = der(0x30, der_int(n) + der_int(e))
    return der(0x30, alg + der(0x03, b"\x00" + key))


# ---------------------------------------------------------------- key directory

def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def directory_seeds():
    """Directories signed by the target's pinned master key (Ed25519 from 32 bytes of 0x42)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    master = ed25519.Ed25519PrivateKey.from_private_bytes(b"\x42" * 32)
    master_pk = master.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    doc = json.loads((ROOT / "tests" / "data" / "rfc9474.json").read_text())
    rfc_spki = spki(int(doc["vectors"][0]["n"], 16), int(doc["vectors"][0]["e"], 16))
    other_spki = rsa.generate_private_key(65537, 2048).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    def key(der, epoch, state, t0):
        return {"key_id": b64u(hashlib.sha256(der).digest()), "spki": b64u(der), "bits": 4096 if der is rfc_spki else 2048,
                "epoch": epoch, "issue_from": t0, "issue_until": t0 + 30 * 86400,
                "accept_until": t0 + 60 * 86400, "state": state}

    def signed(issuer, seq, keys, issued=None, sig=None):
        lines = ["hearth/keys/v1", issuer, str(seq)] + [
            "%s %d %d %d %d %s" % (k["key_id"], k["epoch"], k["issue_from"], k["issue_until"], k["accept_until"],
                                   k["state"]) for k in keys]
        d = {"issuer": issuer, "master_key": b64u(master_pk), "seq": seq, "keys": keys,
             "sig": sig or b64u(master.sign("\n".join(lines).encode()))}
        if issued is not None:
            d["issued"] = issued
        return json.dumps(d, separators=(",", ":")).encode()

    one = [key(rfc_spki, 1, "active", 1764000000)]
    two = [key(other_spki, 1, "retired", 1764000000), key(rfc_spki, 2, "active", 1766592000)]
    revoked = [key(other_spki, 3, "revoked", 1764000000)]
    as_is, resign = b"\x00", b"\x01"
    write("directory", "one_key", signed("hearth-local", 1, one, {one[0]["key_id"]: 12}) + as_is)
    write("directory", "rotated", signed("hearth-local", 7, two, {two[0]["key_id"]: 3, two[1]["key_id"]: 9}) + as_is)
    write("directory", "revoked_only", signed("acme", 4, revoked) + as_is)
    write("directory", "bad_sig", signed("hearth-local", 1, one, sig=b64u(b"\x00" * 64)) + as_is)
    write("directory", "two_active_resigned",
          signed("hearth-local", 2, [dict(two[0], state="active"), two[1]], sig="x") + resign)
    write("directory", "epochs_descend_resigned", signed("hearth-local", 2, two[::-1], sig="x") + resign)
    write("directory", "issued_unknown_resigned", signed("hearth-local", 1, one, {"nope": 1, one[0]["key_id"]: -1},
                                                         sig="x") + resign)


# ---------------------------------------------------------------- WebSocket frames

def dispatch_seeds():
    """Frame sequences, one frame a line; each is sent on every endpoint."""
    pk = b64u(bytes(range(32)))
    sig = b64u(b"\x01" * 64)
    login = {"op": "login", "username": "admin", "password": "fuzz-admin-password"}
    seqs = {
        "keys": [{"op": "keys"}],
        "envelope_errors": ['{"id": 1, "op": ', '[1,2]', '{"op":"keys"}', '{"id":-1,"op":"keys"}',
                            '{"id":9007199254740992,"op":"keys"}', '{"id":1.5,"op":"keys"}', '{"id":2,"op":7}',
                            '{"id":3,"op":"no.such.op"}', '{"id":4}', '"text"', ''],
        "issuer": [{"op": "quota"}, {"op": "issue", "key_id": "k", "blinded_msg": b64u(b"\x00" * 256)},
                   {"op": "enroll", "employee_id": "e-fuzz", "code": "c" * 20, "password": "long enough password"},
                   {"op": "login", "employee_id": "e-fuzz", "password": "wrong password!"}],
        "forum": [{"op": "challenge"}, {"op": "login", "pseudonym_pk": pk, "sig": sig},
                  {"op": "certify", "key_id": "k", "prefix": b64u(b"\x02" * 32), "sig": b64u(b"\x03" * 256),
                   "pseudonym_pk": pk, "handle": "Quiet_Owl"},
                  {"op": "channels"}, {"op": "feed", "channel": "general", "limit": 10},
                  {"op": "thread", "post_id": "0000000000000001"},
                  {"op": "post", "channel": "general", "parent": None, "body": "hello", "nonce": "n" * 16, "sig": sig},
                  {"op": "react", "post_id": "0000000000000001", "reaction": "+1", "on": True},
                  {"op": "flag", "post_id": "0000000000000001", "reason": "spam", "note": "x"},
                  {"op": "delete", "post_id": "0000000000000001"}, {"op": "subscribe", "channel": "general"},
                  {"op": "unsubscribe", "channel": "general"}, {"op": "profile", "handle": "Quiet_Owl"},
                  {"op": "anonymity"}, {"op": "modlog", "limit": 5}],
        "staff_admin": [login, {"op": "staff.list"}, {"op": "roster.import", "employees": ["e-1", "e-2"]},
                        {"op": "roster.remove", "employee_id": "e-2"},
                        {"op": "staff.add", "username": "mod", "role": "moderator", "password": "another password"},
                        {"op": "channels.add", "name": "random", "description": "anything"},
                        {"op": "flags", "limit": 10}, {"op": "audit", "limit": 10},
                        {"op": "hide", "post_id": "0000000000000001", "reason": "spam"},
                        {"op": "restore", "post_id": "0000000000000001", "reason": "ok"},
                        {"op": "dismiss", "post_id": "0000000000000001"},
                        {"op": "ban", "handle": "Quiet_Owl", "reason": "spam"},
                        {"op": "unban", "handle": "Quiet_Owl", "reason": "ok"},
                        {"op": "modlog", "limit": 3}],
        "staff_keys": [login, {"op": "keys.rotate", "bits": 2048, "issue_days": 1, "accept_days": 2, "reason": "r"},
                       {"op": "keys.revoke", "key_id": "k", "reason": "r"}],
        "types": [{"op": "feed", "channel": 5}, {"op": "feed", "channel": "general", "limit": 1000},
                  {"op": "feed", "channel": "general", "before": "fzz"}, {"op": "react", "post_id": [],
                                                                           "reaction": "x", "on": "yes"},
                  {"op": "login", "username": None, "password": {}}],
    }
    for name, frames in seqs.items():
        out = []
        for i, f in enumerate(frames):
            out.append(f if isinstance(f, str) else json.dumps(dict({"id": i + 1}, **f), separators=(",", ":")))
        write("dispatch", name, "\n".join(out).encode())


if __name__ == "__main__":
    dispatch_seeds()
    directory_seeds()
    codec_seeds()
    base64url_seeds()
    blind_rsa_seeds()
