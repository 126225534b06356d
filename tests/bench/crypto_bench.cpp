// bench_crypto: single-threaded rates of hearth_crypto's hot operations, each
// printed beside an anchor measured on the same machine in the same run.
//
//   BlindSign (RSA-2048, RSA-3072)   vs  `openssl speed -mr -seconds 3 rsaN` sign/s
//                                        (a subprocess; its +R1 line is parsed), and
//                                        OpenSSL's raw RSA private op through EVP in-process
//                                        (interleaved rounds, best of each)
//   RSA-PSS verify (certify)         vs  `openssl speed` verify/s
//   Ed25519 verify                   vs  libsodium crypto_sign_verify_detached (interleaved)
//
// Usage: bench_crypto [--cpu N] [--seconds S]
//   --cpu N      pin this process (and so the openssl subprocess) to CPU N
//   --seconds S  measuring time per hearth figure (default 2.5)
#include "crypto/blind_rsa.hpp"
#include "crypto/domain.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/encoding.hpp"
#include "crypto/random.hpp"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sched.h>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace crypto = hearth::crypto;
namespace blind_rsa = hearth::crypto::blind_rsa;

namespace {

using clock_type = std::chrono::steady_clock;

constexpr unsigned openssl_speed_seconds = 3;
constexpr double default_seconds = 2.5;
constexpr double ed25519_seconds = 4.0;   // per side, split over the rounds
constexpr int rounds = 4;
constexpr std::size_t batch = 16;          // operations between clock reads
constexpr std::size_t input_pool = 64;     // distinct inputs cycled through
constexpr std::size_t post_body_bytes = 280;

// Runs op(i) repeatedly for about `seconds`; returns operations per second.
template <class Op>
double rate(double seconds, Op&& op) {
  auto const start = clock_type::now();
  auto const deadline = start + std::chrono::duration<double>(seconds);
  std::size_t n = 0;
  auto now = start;
  do {
    for (std::size_t i = 0; i < batch; ++i) op(n + i);
    n += batch;
    now = clock_type::now();
  } while (now < deadline);
  return static_cast<double>(n) / std::chrono::duration<double>(now - start).count();
}

[[noreturn]] void die(std::string const& what) {
  std::fprintf(stderr, "bench_crypto: %s\n", what.c_str());
  std::exit(1);
}

template <class T>
T must(hearth::result<T> r, char const* what) {
  if (!r) die(std::string(what) + ": " + r.error().message());
  return std::move(*r);
}

struct openssl_rsa_rates {
  double sign = 0;
  double verify = 0;
};

// `openssl speed -mr` prints "+R1:<count>:<bits>:<seconds>" for private
// operations and "+R2:..." for public ones.
std::map<unsigned, openssl_rsa_rates> openssl_speed(std::vector<unsigned> const& sizes) {
  std::string cmd = "openssl speed -mr -seconds " + std::to_string(openssl_speed_seconds);
  for (unsigned bits : sizes) cmd += " rsa" + std::to_string(bits);
  cmd += " 2>&1";  // the +R lines go to stderr
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  if (!pipe) die("cannot run openssl speed");
  std::map<unsigned, openssl_rsa_rates> out;
  char line[512];
  while (std::fgets(line, sizeof line, pipe.get()) != nullptr) {
    char kind = 0;
    unsigned long count = 0;
    unsigned bits = 0;
    double secs = 0;
    if (std::sscanf(line, "+R%c:%lu:%u:%lf", &kind, &count, &bits, &secs) == 4 && secs > 0) {
      if (kind == '1') out[bits].sign = static_cast<double>(count) / secs;
      if (kind == '2') out[bits].verify = static_cast<double>(count) / secs;
    }
  }
  return out;
}

// OpenSSL's RSA private operation alone (no padding, no checks of ours),
// through EVP with a context prepared once: the in-process anchor.
class evp_private_op {
 public:
  explicit evp_private_op(crypto::secret_bytes const& pkcs8) {
    unsigned char const* p = pkcs8.data();
    pkey_.reset(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(pkcs8.size())));
    if (!pkey_) die("d2i_AutoPrivateKey");
    ctx_.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey_.get(), nullptr));
    if (!ctx_ || EVP_PKEY_decrypt_init(ctx_.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx_.get(), RSA_NO_PADDING) != 1)
      die("EVP_PKEY_decrypt_init");
  }
  void operator()(crypto::bytes const& m) {
    out_.resize(m.size());
    std::size_t len = out_.size();
    if (EVP_PKEY_decrypt(ctx_.get(), out_.data(), &len, m.data(), m.size()) != 1) die("decrypt");
  }

 private:
  std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> pkey_{nullptr, EVP_PKEY_free};
  std::unique_ptr<EVP_PKEY_CTX, void (*)(EVP_PKEY_CTX*)> ctx_{nullptr, EVP_PKEY_CTX_free};
  crypto::bytes out_;
};

// Alternates short rounds of a and b and keeps the best round of each, so
// that clock changes and busy neighbours affect both sides alike.
template <class A, class B>
std::pair<double, double> interleaved(double seconds_each, A&& a, B&& b) {
  double best_a = 0, best_b = 0;
  for (int round = 0; round < rounds; ++round) {
    best_a = std::max(best_a, rate(seconds_each / rounds, a));
    best_b = std::max(best_b, rate(seconds_each / rounds, b));
  }
  return {best_a, best_b};
}

void row(char const* what, double ours, char const* anchor_name, double anchor) {
  std::printf("  %-34s %10.0f /s   %-40s %10.0f /s   ratio %5.3f\n", what, ours, anchor_name,
              anchor, anchor > 0 ? ours / anchor : 0.0);
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<int> cpu;
  double seconds = default_seconds;
  for (int i = 1; i < argc; ++i) {
    std::string const a = argv[i];
    if (a == "--cpu" && i + 1 < argc) {
      cpu = std::atoi(argv[++i]);
    } else if (a == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: bench_crypto [--cpu N] [--seconds S]\n");
      return 2;
    }
  }
  if (cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(*cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) die("sched_setaffinity");
  }
  crypto::init();

  std::printf("bench_crypto: single thread%s; anchors measured in this run\n",
              cpu ? (" pinned to CPU " + std::to_string(*cpu)).c_str() : "");
  std::printf("running openssl speed -mr -seconds %u rsa2048 rsa3072 ...\n", openssl_speed_seconds);
  std::fflush(stdout);
  std::vector<unsigned> const sizes = {2048, 3072};
  auto const speed = openssl_speed(sizes);

  std::printf("\nRSA (RFC 9474 RSABSSA-SHA384-PSS-Randomized)\n");
  for (unsigned bits : sizes) {
    auto const sk = must(blind_rsa::secret_key::generate(bits), "generate");
    auto const pk = sk.public_key();
    auto const v = blind_rsa::variant::pss_randomized;
    std::vector<crypto::bytes> blinded, prepared, sigs;
    for (std::size_t i = 0; i < input_pool; ++i) {
      auto msg = crypto::domain::pseudonym_token_msg(crypto::ed25519::generate().public_key);
      auto p = blind_rsa::prepare(v, msg);
      auto b = must(blind_rsa::blind(pk, v, p.prepared), "blind");
      auto bs = must(blind_rsa::blind_sign(sk, b.blinded_msg), "blind_sign");
      sigs.push_back(must(blind_rsa::finalize(pk, v, p.prepared, bs, b.inv), "finalize"));
      blinded.push_back(std::move(b.blinded_msg));
      prepared.push_back(std::move(p.prepared));
    }

    evp_private_op anchor_op(sk.pkcs8());
    auto const [blind_sign_rate, evp_rate] = interleaved(
        seconds,
        [&](std::size_t i) {
          if (!blind_rsa::blind_sign(sk, blinded[i % blinded.size()])) die("blind_sign failed");
        },
        [&](std::size_t i) { anchor_op(blinded[i % blinded.size()]); });
    double const verify_rate = rate(seconds / 2, [&](std::size_t i) {
      auto j = i % sigs.size();
      if (!blind_rsa::verify(pk, v, prepared[j], sigs[j])) die("verify failed");
    });

    auto it = speed.find(bits);
    openssl_rsa_rates const anchor = it != speed.end() ? it->second : openssl_rsa_rates{};
    std::string const b = std::to_string(bits);
    row(("BlindSign RSA-" + b).c_str(), blind_sign_rate,
        ("openssl speed rsa" + b + " sign").c_str(), anchor.sign);
    row(("BlindSign RSA-" + b).c_str(), blind_sign_rate,
        "EVP RSA private op (in-process)", evp_rate);
    row(("PSS verify RSA-" + b).c_str(), verify_rate,
        ("openssl speed rsa" + b + " verify").c_str(), anchor.verify);
  }

  std::printf("\nEd25519\n");
  {
    std::vector<crypto::ed25519::keypair> keys;
    std::vector<std::string> msgs;
    std::vector<crypto::bytes> sigs;
    for (std::size_t i = 0; i < input_pool; ++i) {
      keys.push_back(crypto::ed25519::generate());
      auto nonce = crypto::random_bytes(16);
      msgs.push_back(crypto::domain::post("hearth-local", "general", "",
                                          crypto::base64url_encode(nonce),
                                          std::string(post_body_bytes, 'x')));
      sigs.push_back(crypto::ed25519::sign(keys.back().secret_key, crypto::as_bytes(msgs.back())));
    }
    auto raw_op = [&](std::size_t i) {
      auto j = i % keys.size();
      auto const m = crypto::as_bytes(msgs[j]);
      if (crypto_sign_verify_detached(sigs[j].data(), m.data(), m.size(),
                                      keys[j].public_key.data()) != 0)
        die("raw verify failed");
    };
    auto ours_op = [&](std::size_t i) {
      auto j = i % keys.size();
      if (!crypto::ed25519::verify(keys[j].public_key, crypto::as_bytes(msgs[j]), sigs[j]))
        die("verify failed");
    };
    auto const [ours, raw] = interleaved(ed25519_seconds, ours_op, raw_op);
    row("ed25519::verify (post bytes)", ours, "crypto_sign_verify_detached", raw);
  }
  return 0;
}
