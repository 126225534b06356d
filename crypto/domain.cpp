#include "crypto/domain.hpp"

#include "crypto/ed25519.hpp"

#include <algorithm>

namespace hearth::crypto::domain {
namespace {

constexpr std::string_view key_directory_label = "hearth/keys/v1";
constexpr std::string_view login_label = "hearth/login/v1";
constexpr std::string_view post_label = "hearth/post/v1";
constexpr std::string_view poll_label = "hearth/poll/v1";
constexpr std::string_view vote_label = "hearth/vote/v1";
constexpr std::string_view appeal_label = "hearth/appeal/v1";
constexpr char line_separator = '\n';
constexpr char field_separator = ' ';
constexpr std::uint8_t label_terminator = 0x00;

static_assert(pseudonym_msg_bytes == pseudonym_label.size() + 1 + ed25519::public_key_bytes);

}  // namespace

std::string key_directory(std::string_view issuer, std::uint64_t seq,
                          std::vector<directory_line> const& keys) {
  std::string out;
  out.append(key_directory_label);
  out.push_back(line_separator);
  out.append(issuer);
  out.push_back(line_separator);
  out.append(std::to_string(seq));
  for (auto const& k : keys) {
    out.push_back(line_separator);
    out.append(k.key_id);
    out.push_back(field_separator);
    out.append(std::to_string(k.epoch));
    out.push_back(field_separator);
    out.append(std::to_string(k.issue_from));
    out.push_back(field_separator);
    out.append(std::to_string(k.issue_until));
    out.push_back(field_separator);
    out.append(std::to_string(k.accept_until));
    out.push_back(field_separator);
    out.append(k.state);
  }
  return out;
}

bytes pseudonym_token_msg(byte_view ed25519_pk) {
  bytes out(pseudonym_label.size() + 1 + ed25519_pk.size());
  auto it = std::copy(pseudonym_label.begin(), pseudonym_label.end(), out.begin());
  *it++ = label_terminator;
  std::copy(ed25519_pk.begin(), ed25519_pk.end(), it);
  return out;
}

std::string login(std::string_view issuer, std::string_view nonce_b64url) {
  std::string out;
  out.append(login_label);
  out.push_back(line_separator);
  out.append(issuer);
  out.push_back(line_separator);
  out.append(nonce_b64url);
  return out;
}

std::string post(std::string_view issuer, std::string_view channel, std::string_view parent_id,
                 std::string_view client_nonce, std::string_view body) {
  std::string out;
  out.reserve(post_label.size() + issuer.size() + channel.size() + parent_id.size() +
              client_nonce.size() + body.size() + 5);
  out.append(post_label);
  for (std::string_view field : {issuer, channel, parent_id, client_nonce, body}) {
    out.push_back(line_separator);
    out.append(field);
  }
  return out;
}

std::string poll(std::string_view issuer, std::string_view channel, std::int64_t closes_at, bool live,
                 std::string_view client_nonce, std::string_view question, std::vector<std::string> const& options) {
  std::string out(poll_label);
  auto const closes = std::to_string(closes_at);
  for (std::string_view field : {issuer, channel, std::string_view(closes), std::string_view(live ? "1" : "0"),
                                 client_nonce, question}) {
    out.push_back(line_separator);
    out.append(field);
  }
  for (auto const& o : options) {
    out.push_back(line_separator);
    out.append(o);
  }
  return out;
}

std::string vote(std::string_view issuer, std::string_view poll_id, std::uint64_t option,
                 std::string_view salt_b64url, std::string_view previous_option,
                 std::string_view previous_salt_b64url) {
  std::string out(vote_label);
  auto const opt = std::to_string(option);
  for (std::string_view field : {issuer, poll_id, std::string_view(opt), salt_b64url, previous_option,
                                 previous_salt_b64url}) {
    out.push_back(line_separator);
    out.append(field);
  }
  return out;
}

std::string appeal(std::string_view issuer, std::string_view action_id, std::string_view text) {
  std::string out(appeal_label);
  for (std::string_view field : {issuer, action_id, text}) {
    out.push_back(line_separator);
    out.append(field);
  }
  return out;
}

}  // namespace hearth::crypto::domain
