// The keystore file from a damaged disk or another writer (src/store/keystore_file.hpp).
// Byte 0 chooses what the rest is:
//   even: the whole file. split() fails only with Error(io) or Error(unsupported) naming the path; what it accepts
//     is header || sealed exactly, with usable scrypt parameters, and a format-2 header rebuilds byte for byte;
//     a format-2 file cut or extended by a byte is reported as damaged. When its scrypt work is small, open()
//     runs too: it fails with Error(crypto) (the tag) or Error(io), or gives a keystore that round-trips.
//   odd: a payload, sealed here in a format-2 file under the known passphrase (scrypt N=2, so the fuzzer's time
//     goes to the payload parser): open() either refuses it with Error(io) or gives a keystore that saves and
//     reopens to the same keys.
// No error message or hint may show the passphrase.
#include <cstdlib>
#include <string>

#include "cardctl/crypto.hpp"
#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/keystore.hpp"
#include "fuzz_util.hpp"
#include "store/keystore_file.hpp"

namespace {
using namespace cardctl;
namespace kf = store::keystore_file;
using fuzz::fail;

const std::string kPassphrase = "fuzz passphrase";
constexpr crypto::ScryptParams kCheap{.n = 2, .r = 1, .p = 1};
constexpr std::uint64_t kMaxWork = 1u << 20;  // 128·N·r·p bytes of scrypt work an input may ask for

void check_error(const Error& e, const std::string& path) {
  if (fuzz::contains(e.what(), kPassphrase) || fuzz::contains(e.hint(), kPassphrase)) fail("passphrase in an error");
  if ((e.kind() == ErrorKind::io || e.kind() == ErrorKind::unsupported) && !fuzz::contains(e.what(), path))
    fail("a file error without the path");
}

struct Snapshot {
  std::vector<std::uint32_t> versions;
  std::uint32_t current = 0;
  Bytes masters, escrow, audit, fixed;
  bool operator==(const Snapshot&) const = default;
};
Snapshot snapshot(const store::Keystore& ks) {
  Snapshot s{ks.versions(), ks.current_version(), {}, {}, {}, {}};
  for (auto v : ks.versions()) {
    auto b = ks.master(v).bytes();
    s.masters.insert(s.masters.end(), b.begin(), b.end());
  }
  s.escrow.assign(ks.escrow_key().begin(), ks.escrow_key().end());
  s.audit.assign(ks.audit_key().begin(), ks.audit_key().end());
  for (const auto& name : ks.fixed_key_names()) {
    const auto& fk = ks.fixed_key(name);
    if (fk.key.size() != crypto::info(fk.algorithm).key_length) fail("fixed key of the wrong length");
    s.fixed.insert(s.fixed.end(), name.begin(), name.end());
    s.fixed.push_back(crypto::info(fk.algorithm).piv_id);
    s.fixed.insert(s.fixed.end(), fk.key.bytes().begin(), fk.key.bytes().end());
  }
  return s;
}

// open() either refuses with an Error of the expected kinds or gives a keystore whose keys survive save + open.
void open_and_round_trip(const std::string& path, bool tag_is_right) {
  const auto pass = Passphrase::from_text(kPassphrase);
  try {
    auto ks = store::Keystore::open(path, pass);
    const Snapshot before = snapshot(ks);
    if (before.versions.empty() || before.escrow.size() != 32 || before.audit.size() != 32) fail("keys missing");
    ks.master(ks.current_version());
    ks.save();
    if (snapshot(store::Keystore::open(path, pass)) != before) fail("keystore does not round-trip");
  } catch (const Error& e) {
    check_error(e, path);
    // A tag that does not authenticate reads as a wrong passphrase (wrong_pin, exit 4); damage is io.
    const bool wrong_key = e.kind() == ErrorKind::wrong_pin || e.kind() == ErrorKind::crypto;
    if (e.kind() != ErrorKind::io && (tag_is_right || !wrong_key)) fail("unexpected error kind");
  }
}

void whole_file(ByteView file, const std::string& path) {
  kf::Parts parts;
  try {
    parts = kf::split(path, file);
  } catch (const Error& e) {
    check_error(e, path);
    if (e.kind() != ErrorKind::io && e.kind() != ErrorKind::unsupported) fail("split: unexpected error kind");
    return;
  }
  if (parts.header.data() != file.data() || parts.header.size() + parts.sealed.size() != file.size() ||
      parts.sealed.size() < kf::kTagLength || parts.salt.data() != file.data() + 32 ||
      parts.nonce.data() != file.data() + 32 + kf::kSaltLength || !kf::scrypt_problem(parts.scrypt).empty())
    fail("split: parts do not cover the file");
  if (file[14] == '2') {
    if (kf::header(parts.scrypt, parts.salt, parts.nonce, parts.sealed.size()) !=
        Bytes(parts.header.begin(), parts.header.end()))
      fail("split: format-2 header does not rebuild");
    for (const Bytes& damaged : {Bytes(file.begin(), file.end() - 1), concat({file, Bytes{0x00}})}) {
      try {
        kf::split(path, damaged);
        fail("split: a truncated or extended format-2 file was accepted");
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::io) fail("split: a truncated or extended file is not 'damaged'");
      }
    }
  }
  if (128 * parts.scrypt.n * parts.scrypt.r * parts.scrypt.p > kMaxWork) return;
  files::write_atomic(path, file, 0600);
  open_and_round_trip(path, false);
}

void payload(ByteView plain, const std::string& path) {
  static const Bytes salt(kf::kSaltLength, 0x11), nonce(kf::kNonceLength, 0x22);
  static const SecureBytes key = crypto::scrypt(view(kPassphrase), salt, 32, kCheap);
  const Bytes header = kf::header(kCheap, salt, nonce, plain.size() + kf::kTagLength);
  files::write_atomic(path, concat({header, crypto::aes_gcm_seal(key, nonce, header, plain)}), 0600);
  open_and_round_trip(path, true);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = fuzz::scratch_path("keystore");
  if (size == 0) return 0;
  if (data[0] & 1) payload(ByteView(data + 1, size - 1), path);
  else whole_file(ByteView(data + 1, size - 1), path);
  return 0;
}
