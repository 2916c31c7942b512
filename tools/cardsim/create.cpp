// cardsim create: a factory-fresh reference card in a state file.
#include <charconv>

#include "cardctl/crypto.hpp"
#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/sim_card.hpp"
#include "cardctl/sim_transport.hpp"
#include "cardsim.hpp"

namespace cardsim {

namespace {

cardctl::Error bad_version(const std::string& text) {
  return cardctl::Error(cardctl::ErrorKind::usage, "bad --version '" + text + "'",
                        "give three numbers 0-255 like 5.4.3");
}

int version_part(std::string_view part, const std::string& whole) {
  int value = -1;
  const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
  if (ec != std::errc() || end != part.data() + part.size() || value < 0 || value > 255) {
    throw bad_version(whole);
  }
  return value;
}

void parse_version(const std::string& text, cardctl::sim::CardOptions& out) {
  const auto dot1 = text.find('.');
  const auto dot2 = dot1 == std::string::npos ? std::string::npos : text.find('.', dot1 + 1);
  if (dot2 == std::string::npos) throw bad_version(text);
  const std::string_view v(text);
  out.version_major = version_part(v.substr(0, dot1), text);
  out.version_minor = version_part(v.substr(dot1 + 1, dot2 - dot1 - 1), text);
  out.version_patch = version_part(v.substr(dot2 + 1), text);
}

}  // namespace

int run_create(const CreateOptions& options) {
  cardctl::sim::CardOptions card;
  card.serial = options.serial;
  const auto alg = cardctl::crypto::admin_algorithm_from_name(options.admin_alg);
  if (!alg) {
    throw cardctl::Error(cardctl::ErrorKind::usage, "unknown --admin-alg '" + options.admin_alg + "'",
                         "use one of tdes, aes128, aes192, aes256");
  }
  card.management_algorithm = *alg;
  card.admin_pin_reset = !options.no_admin_pin_reset;
  parse_version(options.version, card);

  if (cardctl::files::exists(options.file) && !options.force) {
    throw cardctl::Error(cardctl::ErrorKind::conflict, options.file + " already exists",
                         "use --force to replace it with a factory-fresh card");
  }
  // Not while another process (a sim: connection, `cardsim serve`) is using the card.
  cardctl::transport::StateFileLock lock(options.file);
  lock.acquire(std::chrono::milliseconds(0));
  cardctl::sim::ReferenceCard::factory(card).save(options.file);
  say("created " + options.file + " (serial " + (card.serial ? std::to_string(card.serial) : "none") + ", 9B " +
      cardctl::crypto::info(card.management_algorithm).display + ", version " + options.version + ")");
  return 0;
}

}  // namespace cardsim
