// Writes the seed corpora of tests/fuzz/corpus/ from the reference card: the APDUs a PIV session sends and the
// replies it gets, the card's state files, a keystore, its keystore.cards and an audit trail as cardctl writes
// them. Run by `tools/fuzz-all.sh --record`; the output is deterministic except for keys, challenges and nonces.
//   record_corpus OUTDIR
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "cardctl/asym.hpp"
#include "cardctl/audit.hpp"
#include "cardctl/card_unlock.hpp"
#include "cardctl/codes.hpp"
#include "cardctl/files.hpp"
#include "cardctl/keystore.hpp"
#include "cardctl/piv.hpp"
#include "cardctl/sim_card.hpp"
#include "session_ops.hpp"
#include "store/keystore_file.hpp"

namespace {
using namespace cardctl;
namespace fs = std::filesystem;

fs::path out_dir;
std::map<std::string, int> counts;

void write(const std::string& target, const std::string& name, ByteView data) {
  fs::create_directories(out_dir / target);
  ++counts[target];
  files::write_atomic((out_dir / target / name).string(), data, 0644);
}
void put_u16(Bytes& out, std::size_t n) {
  out.push_back(static_cast<std::uint8_t>(n >> 8));
  out.push_back(static_cast<std::uint8_t>(n));
}

// A connection to an in-memory reference card that records every exchange.
class RecordingCard : public transport::Connection {
 public:
  explicit RecordingCard(sim::ReferenceCard& card) : card_(card) {}
  apdu::Response transmit(ByteView command) override {
    Bytes reply = card_.process(command);
    exchanges.emplace_back(Bytes(command.begin(), command.end()), reply);
    return apdu::parse_response(reply);
  }
  void begin_transaction() override {}
  void end_transaction(transport::Disposition) override {}
  void disconnect(transport::Disposition) override {}
  const std::string& reader() const override { return name_; }
  Bytes atr() const override { return card_.atr(); }
  bool extended_length() const override { return false; }
  std::vector<std::pair<Bytes, Bytes>> exchanges;

 private:
  sim::ReferenceCard& card_;
  std::string name_ = "record";
};

AdminKey default_key() {
  return AdminKey(SecureBytes(piv::factory::management_key.begin(), piv::factory::management_key.end()));
}

// A card with keys, certificates and a CHUID, its secrets set to the ones session_ops.hpp uses.
sim::ReferenceCard prepared_card(std::uint32_t serial) {
  auto card = sim::ReferenceCard::factory({.serial = serial});
  RecordingCard c(card);
  {
  piv::PivSession s(c);
  s.authenticate(default_key(), crypto::AdminAlgorithm::tdes);
  s.generate_key(0x9A, crypto::KeyAlgorithm::eccp256);
  s.generate_key(0x9C, crypto::KeyAlgorithm::eccp384);
  s.put_certificate(0x9A, files::read(CARDCTL_FUZZ_DIR "/corpus/fuzz_cert/ec-p256.der"));
  s.put_chuid(Bytes(16, 0x4C));
  s.verify_pin(Pin::from_text(piv::factory::pin));
  s.change_pin(Pin::from_text(piv::factory::pin), Pin::from_text(fuzz::kPin));
  s.change_puk(Puk::from_text(piv::factory::puk), Puk::from_text(fuzz::kPuk));
  s.set_management_key(AdminKey(to_secure(fuzz::admin_key_bytes(crypto::AdminAlgorithm::tdes))),
                       crypto::AdminAlgorithm::tdes);
  }
  return card;
}

// fuzz_session: options, SELECT reply, then (op, arg, replies) per step.
void session_seed(const std::string& name, sim::ReferenceCard card, std::uint8_t options,
                  const std::vector<std::pair<std::uint8_t, std::uint8_t>>& steps) {
  RecordingCard c(card);
  Bytes seed{options};
  std::size_t done = 0;
  auto flush = [&] {
    for (; done < c.exchanges.size(); ++done) {
      put_u16(seed, c.exchanges[done].second.size());
      seed.insert(seed.end(), c.exchanges[done].second.begin(), c.exchanges[done].second.end());
    }
  };
  piv::PivSession s(c);
  flush();
  for (auto [op, arg] : steps) {
    seed.insert(seed.end(), {op, arg});
    try {
      fuzz::run_op(s, op, arg);
    } catch (const Error&) {
    }
    flush();
  }
  write("fuzz_session", name, seed);
}

// fuzz_sim: a factory card driven by a real session (raw steps), mixed with the harness's own PIN and 9B steps.
void sim_seed(const std::string& name, std::uint8_t options, const std::function<void(piv::PivSession&)>& run,
              const Bytes& special_steps) {
  sim::CardOptions o{.serial = options & 0x08 ? 0u : 1u,
                     .management_algorithm = static_cast<crypto::AdminAlgorithm>(options & 3),
                     .admin_pin_reset = (options & 0x04) != 0};
  auto card = sim::ReferenceCard::factory(o);
  RecordingCard c(card);
  {
    piv::PivSession s(c);
    try {
      run(s);
    } catch (const Error&) {
    }
  }
  Bytes seed{options};
  seed.insert(seed.end(), special_steps.begin(), special_steps.end());
  for (const auto& [command, reply] : c.exchanges) {
    seed.push_back(0x00);
    put_u16(seed, command.size());
    seed.insert(seed.end(), command.begin(), command.end());
  }
  write("fuzz_sim", name, seed);
  // The same exchanges feed the APDU, TLV and channel targets.
  for (const auto& [command, reply] : c.exchanges) {
    if (counts["fuzz_apdu"] < 30) {
      write("fuzz_apdu", "c" + std::to_string(counts["fuzz_apdu"]), command);
      write("fuzz_apdu", "r" + std::to_string(counts["fuzz_apdu"]), reply);
    }
    if (reply.size() > 4 && counts["fuzz_tlv"] < 20)
      write("fuzz_tlv", std::to_string(counts["fuzz_tlv"]), ByteView(reply).first(reply.size() - 2));
    if (counts["fuzz_channel"] < 20) {
      const int n = counts["fuzz_channel"];
      Bytes ch{static_cast<std::uint8_t>(n * 37), static_cast<std::uint8_t>(n)};
      ch.push_back(static_cast<std::uint8_t>(std::min<std::size_t>(reply.size(), 255)));
      ch.insert(ch.end(), reply.begin(), reply.begin() + std::min<std::size_t>(reply.size(), 255));
      write("fuzz_channel", std::to_string(counts["fuzz_channel"]), ch);
    }
  }
}

void sim_seeds() {
  using crypto::AdminAlgorithm;
  const Pin pin = Pin::from_text(piv::factory::pin);
  const Puk puk = Puk::from_text(piv::factory::puk);
  auto status = [](piv::PivSession& s) {
    s.version();
    s.serial();
    s.pin_retries();
    s.puk_retries();
    s.management_key_info();
    s.slot_info(0x9A);
    s.get_object(piv::object::discovery);
    s.get_certificate(0x9A);
  };
  // Steps: 02 right PIN, 03 xx wrong PIN, 84/85 mutual/external 9B right, 04/05 wrong, 06 xx RESET RETRY COUNTER,
  // 07 xx CHANGE REFERENCE DATA, 08 power cycle (fuzz_sim.cpp step()).
  sim_seed("status", 0x04, status, {0x02});
  sim_seed("mutual-tdes", 0x04, [](piv::PivSession& s) { s.authenticate(default_key(), AdminAlgorithm::tdes); },
           {0x84, 0x85});
  sim_seed("aes128-steps", 0x05, status, {0x84, 0x04, 0x85, 0x05, 0x06, 0x01});
  sim_seed("aes256-steps", 0x07, status, {0x85, 0x84, 0x06, 0x03});
  sim_seed("wrong-pins", 0x00, status, {0x03, 0x01, 0x03, 0x02, 0x03, 0x03, 0x02, 0x06, 0x02, 0x02});
  sim_seed("block-puk", 0x04, status,
           {0x03, 0, 0x03, 0, 0x03, 0, 0x06, 0x00, 0x06, 0x00, 0x06, 0x00, 0x06, 0x02, 0x02, 0x84, 0x06, 0x05});
  sim_seed("change", 0x04, status, {0x07, 0x02, 0x02, 0x07, 0x03, 0x07, 0x00, 0x08, 0x02, 0x07, 0x01});
  sim_seed("generate-sign", 0x04, [&](piv::PivSession& s) {
    s.authenticate(default_key(), AdminAlgorithm::tdes);
    s.generate_key(0x9A, crypto::KeyAlgorithm::eccp256);
    s.verify_pin(pin);
    s.sign_sha256(0x9A, crypto::KeyAlgorithm::eccp256, to_bytes("seed"));
    s.slot_info(0x9A);
    s.attest(0x9A);
  }, {0x02});
  sim_seed("certificate", 0x04, [&](piv::PivSession& s) {
    s.authenticate(default_key(), AdminAlgorithm::tdes);
    s.put_certificate(0x9A, files::read(CARDCTL_FUZZ_DIR "/corpus/fuzz_cert/ec-p256.der"));
    s.get_certificate(0x9A);
    s.put_chuid(Bytes(16, 0x4C));
    s.card_id();
  }, {});
  sim_seed("no-serial", 0x08, [](piv::PivSession& s) {
    s.authenticate(default_key(), AdminAlgorithm::tdes);
    s.put_chuid(Bytes(16, 0x4C));
    s.card_id();
  }, {0x84});
  sim_seed("pin-flows", 0x04, [&](piv::PivSession& s) {
    s.verify_pin(pin);
    s.change_pin(pin, Pin::from_text("654321"));
    s.change_puk(puk, Puk::from_text("87654321"));
    s.reset_pin_with_puk(Puk::from_text("87654321"), pin);
    s.authenticate(default_key(), AdminAlgorithm::tdes);
    s.reset_pin_as_admin(pin);
    s.verify_pin(pin);
    s.set_pin_retries(5, 4);
  }, {0x02});
  sim_seed("external-auth", 0x04, [](piv::PivSession& s) {
    Bytes c = s.begin_external_auth(AdminAlgorithm::tdes);
    s.finish_external_auth(AdminAlgorithm::tdes, crypto::encrypt_block(AdminAlgorithm::tdes, default_key().bytes(), c));
    s.set_management_key(AdminKey(to_secure(fuzz::admin_key_bytes(AdminAlgorithm::aes128))), AdminAlgorithm::aes128);
  }, {});
  sim_seed("reset", 0x04, [](piv::PivSession& s) {
    for (int i = 0; i < 3; ++i) {
      try {
        s.verify_pin(Pin::from_text("000000"));
      } catch (const Error&) {
      }
      try {
        s.reset_pin_with_puk(Puk::from_text("00000000"), Pin::from_text("000000"));
      } catch (const Error&) {
      }
    }
    s.reset_application();
  }, {0x02, 0x84});
}

void session_seeds() {
  using namespace fuzz;
  session_seed("status", prepared_card(1), 0x02,
               {{op_version, 0}, {op_serial, 0}, {op_card_id, 0}, {op_pin_retries, 0}, {op_puk_retries, 0},
                {op_management_key_info, 0}, {op_slot_info, 0}, {op_slot_info, 0x09}, {op_get_certificate, 0},
                {op_get_chuid, 0}, {op_get_discovery, 0}});
  session_seed("no-serial", prepared_card(0), 0x00, {{op_card_id, 0}, {op_get_chuid, 0}, {op_pin_verified, 0}});
  session_seed("admin", prepared_card(1), 0x02,
               {{op_authenticate, 0}, {op_verify_pin, 0}, {op_generate, 0x02}, {op_sign, 0x00}, {op_sign, 0x09},
                {op_attest, 0}, {op_put_certificate, 0x01}, {op_put_chuid, 0x33}, {op_set_management_key, 0}});
  session_seed("pins", prepared_card(1), 0x01,
               {{op_verify_pin, 0}, {op_change_pin, 0}, {op_change_puk, 0}, {op_unblock, 0}, {op_pin_verified, 0},
                {op_authenticate, 0}, {op_admin_reset, 0}, {op_verify_pin, 0}, {op_set_pin_retries, 0x43}});
  session_seed("external", prepared_card(1), 0x00,
               {{op_begin_external, 0}, {op_finish_external, 0}, {op_begin_external, 0x20}, {op_reset_application, 0}});
  session_seed("rsa", prepared_card(1), 0x02, {{op_authenticate, 0}, {op_generate, 0x19}, {op_slot_info, 0x01},
                                               {op_verify_pin, 0}, {op_sign, 0x19}});
  // One seed per operation on the prepared card.
  for (std::uint8_t op = 0; op < op_count; ++op) {
    std::vector<std::pair<std::uint8_t, std::uint8_t>> steps;
    if (op == op_generate || op == op_set_management_key || op == op_put_certificate || op == op_put_chuid ||
        op == op_admin_reset || op == op_set_pin_retries || op == op_attest || op == op_sign)
      steps.emplace_back(op_authenticate, 0);
    if (op == op_sign || op == op_set_pin_retries) steps.emplace_back(op_verify_pin, 0);
    steps.emplace_back(op, 0);
    session_seed("op-" + std::to_string(op), prepared_card(1), 0x02, steps);
  }
}

void card_state_seeds() {
  const std::string tmp = (out_dir / "tmp-card.toml").string();
  auto save = [&](const std::string& name, sim::ReferenceCard& card) {
    card.save(tmp);
    write("fuzz_card_state", name, files::read(tmp));
  };
  auto factory = sim::ReferenceCard::factory({.serial = 1});
  save("factory", factory);
  auto aes = sim::ReferenceCard::factory({.serial = 0, .management_algorithm = crypto::AdminAlgorithm::aes256});
  save("factory-aes256", aes);
  auto card = prepared_card(7);
  save("prepared", card);
  card.process(from_hex("0087039B047C028100"));  // pending challenge
  save("pending-challenge", card);
  card.process(from_hex("10DB3FFF055C035FC109"));  // chained data waiting
  card.process(from_hex("00CB3FFF055C035FC102"));  // a long reply waiting for GET RESPONSE is not needed here
  save("chained", card);
  for (int i = 0; i < 3; ++i) card.process(from_hex("0020008008303030303030FFFF"));
  save("pin-blocked", card);
  card.vanish_after(2);
  save("vanish", card);
  std::remove(tmp.c_str());
}

void keystore_seeds() {
  namespace kf = store::keystore_file;
  const std::string tmp = (out_dir / "tmp-keystore").string();
  const auto pass = Passphrase::from_text("fuzz passphrase");
  auto ks = store::Keystore::create(tmp, pass, {.overwrite = true, .scrypt = {.n = 1024, .r = 1, .p = 1}});
  write("fuzz_keystore", "v2-basic", concat({Bytes{0x00}, files::read(tmp)}));
  ks.rotate();
  ks.add_fixed_key("door", crypto::AdminAlgorithm::aes128, Bytes(16, 0x21));
  ks.save();
  const Bytes full = files::read(tmp);
  write("fuzz_keystore", "v2-rotated-fixed", concat({Bytes{0x00}, full}));
  write("fuzz_keystore", "v2-truncated", concat({Bytes{0x00}, ByteView(full).first(full.size() - 5)}));
  write("fuzz_keystore", "v2-extended", concat({Bytes{0x00}, full, Bytes{0x0A}}));
  // Format 1: the same without the sealed length, sealed under its own header (keystore_file.hpp).
  Bytes v1 = kf::header({.n = 1024, .r = 1, .p = 1}, Bytes(16, 0x11), Bytes(12, 0x22), 0);
  v1.resize(v1.size() - 4);
  v1[14] = '1';
  const Bytes payload = concat({to_bytes("M"), Bytes{0, 0, 0, 1}, Bytes(32, 0x01), to_bytes("C"), Bytes{0, 0, 0, 1},
                                to_bytes("E"), Bytes(32, 0x02), to_bytes("A"), Bytes(32, 0x03)});
  const SecureBytes key = crypto::scrypt(view("fuzz passphrase"), Bytes(16, 0x11), 32, {.n = 1024, .r = 1, .p = 1});
  write("fuzz_keystore", "v1", concat({Bytes{0x00}, v1, crypto::aes_gcm_seal(key, Bytes(12, 0x22), v1, payload)}));
  // Payloads (mode 1): as serialise() writes them, with a fixed key, and with duplicates.
  write("fuzz_keystore", "payload-basic", concat({Bytes{0x01}, payload}));
  const Bytes fixed = concat({to_bytes("F"), Bytes{4}, to_bytes("door"), Bytes{0x08, 16}, Bytes(16, 0x21)});
  write("fuzz_keystore", "payload-fixed", concat({Bytes{0x01}, payload, fixed}));
  write("fuzz_keystore", "payload-two-masters",
        concat({Bytes{0x01}, payload, to_bytes("M"), Bytes{0, 0, 0, 2}, Bytes(32, 0x04)}));
  write("fuzz_keystore", "payload-duplicate", concat({Bytes{0x01}, payload, fixed, fixed}));
  std::remove(tmp.c_str());
}

void audit_seeds() {
  const std::string tmp = (out_dir / "tmp-audit").string();
  std::remove(tmp.c_str());
  store::AuditLog log(tmp, Bytes(32, 0xA7));  // the key fuzz_audit.cpp verifies with
  log.append({"2026-11-29T10:00:00Z", "alice", "init", "", "", "ok", "", {}});
  write("fuzz_audit", "one", concat({Bytes{0x00}, files::read(tmp)}));
  log.append({"2026-11-29T10:01:00Z", "alice", "issue", "12345678", "h-001", "ok", "", {{"slot", "9a"}}});
  log.append({"2026-11-29T10:02:00Z", "bob", "respond-refused", "12345678", "h-001", "refused",
              "not verified \"by phone\"\n", {{"ticket", "T-1"}, {"k\\ey", "v\ta"}}});
  const Bytes trail = files::read(tmp);
  write("fuzz_audit", "three", concat({Bytes{0x00}, trail}));
  write("fuzz_audit", "truncated", concat({Bytes{0x00}, ByteView(trail).first(trail.size() - 20)}));
  write("fuzz_audit", "no-newline", concat({Bytes{0x00}, ByteView(trail).first(trail.size() - 1)}));
  auto entry = [](std::initializer_list<std::string> fields) {
    Bytes out{0x01};
    for (const auto& f : fields) {
      if (out.size() > 1) out.push_back(0x00);
      out.insert(out.end(), f.begin(), f.end());
    }
    return out;
  };
  write("fuzz_audit", "entry-plain",
        entry({"2026-11-29T10:00:00Z", "alice", "issue", "1234", "h", "ok", "", "slot", "9a"}));
  write("fuzz_audit", "entry-escapes", entry({"t\"\\", "op\n", "a\tb", "c", "h", "o", "r", "k", "v"}));
  std::remove(tmp.c_str());
}

// keystore.cards as CardUnlockFile::save() writes it (two operators, P-256 and P-384 card keys), cut before its
// last line, cut inside an entry, with no entries, and empty.
void card_unlock_seeds() {
  const std::string tmp = (out_dir / "tmp-keystore.cards").string();
  const Bytes file_key(32, 0x42);
  const std::string installation(32, 'a');
  const auto p256 = crypto::KeyPair::generate(crypto::KeyAlgorithm::eccp256);
  const auto p384 = crypto::KeyPair::generate(crypto::KeyAlgorithm::eccp384);
  store::CardUnlockFile cards{installation, {}};
  cards.save(tmp);
  write("fuzz_card_unlock", "no-entries", files::read(tmp));
  cards.put(store::wrap_for_card(file_key, installation, "alice", "12345678", p256.public_spki_der()));
  cards.put(store::wrap_for_card(file_key, installation, "desk", "4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c",
                                 p384.public_spki_der()));
  cards.save(tmp);
  const Bytes full = files::read(tmp);
  write("fuzz_card_unlock", "two-entries", full);
  const auto end = std::find(full.rbegin() + 1, full.rend(), '\n').base();  // the start of the "end" line
  write("fuzz_card_unlock", "truncated-end", ByteView(full).first(static_cast<std::size_t>(end - full.begin())));
  write("fuzz_card_unlock", "truncated-entry", ByteView(full).first(full.size() / 2));
  write("fuzz_card_unlock", "empty", Bytes{});
  std::remove(tmp.c_str());
}

void codes_seeds() {
  for (std::size_t n : {std::size_t{8}, std::size_t{16}}) {
    const auto f = codes::format("12345678", Bytes(n, static_cast<std::uint8_t>(n * 11)));
    write("fuzz_codes", "code" + std::to_string(n), to_bytes(f.code + " " + f.check));
  }
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: record_corpus OUTDIR\n");
    return 2;
  }
  out_dir = argv[1];
  sim_seeds();
  session_seeds();
  card_state_seeds();
  keystore_seeds();
  audit_seeds();
  card_unlock_seeds();
  codes_seeds();
  for (const auto& [target, n] : counts) std::printf("%-16s %d seeds\n", target.c_str(), n);
  return 0;
}
