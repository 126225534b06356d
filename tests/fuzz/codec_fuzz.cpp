// The storage codec's decoders (storage/codec.hpp) on arbitrary bytes, as a
// damaged or hostile store would hold them: no decoder reads out of bounds,
// and a value that decodes re-encodes to bytes that decode to the same
// encoding (decode . encode is the identity on what decode accepts). Also the
// reader's primitives against the writer's, hex16 and cursors (a cursor comes
// from the client as `before`).
#include "storage/codec.hpp"

#include "tests/fuzz/check.hpp"

#include <string>
#include <string_view>

using namespace hearth::storage;
namespace codec = hearth::storage::codec;

namespace {

template <class Record>
void round_trip(std::string_view in) {
  Record r;
  if (!codec::decode(in, r)) return;
  auto const once = codec::encode(r);
  Record again;
  HEARTH_FUZZ_CHECK(codec::decode(once, again));
  HEARTH_FUZZ_CHECK(codec::encode(again) == once);
}

// Values written with the writer read back unchanged, and the reader ends
// exactly at the end.
void primitives(FuzzedDataProvider& in) {
  auto const a = in.ConsumeIntegral<std::uint64_t>();
  auto const b = in.ConsumeIntegral<std::int64_t>();
  auto const c = in.ConsumeIntegral<std::uint8_t>();
  auto const s = in.ConsumeRandomLengthString(4096);
  auto const be = in.ConsumeIntegral<std::uint64_t>();
  codec::writer w;
  w.varint(a);
  w.zigzag(b);
  w.u8(c);
  w.str(s);
  w.be64(be);
  auto const out = w.take();
  codec::reader r(std::string_view(out).substr(0, out.size() - 8));
  HEARTH_FUZZ_CHECK(r.varint() == a);
  HEARTH_FUZZ_CHECK(r.zigzag() == b);
  HEARTH_FUZZ_CHECK(r.u8() == c);
  HEARTH_FUZZ_CHECK(r.str() == s);
  HEARTH_FUZZ_CHECK(r.done());
  HEARTH_FUZZ_CHECK(codec::read_be64(std::string_view(out).substr(out.size() - 8)) == be);
  HEARTH_FUZZ_CHECK(codec::parse_hex16(codec::hex16(a)) == a);

  // The reader on the remaining raw bytes: any sequence of reads stays in
  // bounds, and once a read fails the reader stays failed.
  auto const raw = in.ConsumeRemainingBytesAsString();
  codec::reader rr(raw);
  for (std::size_t i = 0; i < raw.size() && rr.ok(); ++i) {
    switch (raw[i] & 3) {
      case 0: (void)rr.u8(); break;
      case 1: (void)rr.varint(); break;
      case 2: (void)rr.zigzag(); break;
      default: (void)rr.view(); break;
    }
  }
  if (!rr.ok()) {
    (void)rr.u8();
    HEARTH_FUZZ_CHECK(!rr.ok() && !rr.done());
  }
}

void cursor(FuzzedDataProvider& in) {
  auto const kind = in.ConsumeIntegral<char>();
  auto const len = in.ConsumeIntegralInRange<std::size_t>(0, 64);
  auto const context = in.ConsumeRandomLengthString(64);
  auto const text = in.ConsumeRemainingBytesAsString();
  if (auto hex = codec::parse_hex16(text)) HEARTH_FUZZ_CHECK(codec::hex16(*hex) == text);
  auto const payload = codec::parse_cursor(text, kind, len, context);
  if (!payload) return;
  HEARTH_FUZZ_CHECK(payload->size() == len);
  HEARTH_FUZZ_CHECK(payload->find_first_not_of("0123456789abcdef") == std::string::npos);
  HEARTH_FUZZ_CHECK(codec::make_cursor(kind, *payload, context) == text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  auto const which = in.ConsumeIntegralInRange<int>(0, 13);
  if (which == 10) {
    primitives(in);
    return 0;
  }
  if (which == 11) {
    cursor(in);
    return 0;
  }
  auto const value = in.ConsumeRemainingBytesAsString();
  switch (which) {
    case 0: round_trip<employee_record>(value); break;
    case 1: round_trip<signing_key_record>(value); break;
    case 2: round_trip<quota_record>(value); break;
    case 3: round_trip<staff_record>(value); break;
    case 4: round_trip<audit_entry>(value); break;
    case 5: round_trip<pseudonym_record>(value); break;
    case 6: round_trip<post_record>(value); break;
    case 7: round_trip<modlog_entry>(value); break;
    case 8: round_trip<channel_record>(value); break;
    case 9: round_trip<codec::flag_summary>(value); break;
    case 12: round_trip<pinned_issuer>(value); break;
    default: round_trip<codec::directory_copy>(value); break;
  }
  return 0;
}
