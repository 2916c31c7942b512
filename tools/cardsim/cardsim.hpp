// cardsim: reference cards for people and tests (docs/architecture.md#reference-card). Subcommands, one file each:
//   create  - write a factory-fresh card state file
//   serve   - present cards to pcscd through the vsmartcard vpcd driver
//   fault   - set or clear the fault-injection fields of a state file
//   ctl     - send one line to a running `serve --control SOCKET`
//   apdu    - send raw APDUs to a card state file
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cardsim {

struct CreateOptions {
  std::string file;
  std::uint32_t serial = 0;
  std::string admin_alg = "tdes";
  bool no_admin_pin_reset = false;
  std::string version = "5.4.3";
  bool force = false;
};

struct ServeOptions {
  std::vector<std::string> files;
  std::string host = "127.0.0.1";
  std::uint16_t port = 35963;  // vpcd's first port (0x8C7B, /etc/reader.conf.d/vpcd)
  std::string control;         // unix socket path, empty = none
  std::string profile = "none";         // delay profile (delay_profile.hpp): none, yubikey5
  std::optional<unsigned> apdu_delay_ms;    // each replaces the profile's figure
  std::optional<unsigned> keygen_delay_ms;
  std::optional<unsigned> sign_delay_ms;
  bool verbose = false;
};

struct FaultOptions {
  std::string file;
  std::optional<std::uint64_t> vanish_after;
  bool clear = false;
};

struct CtlOptions {
  std::string socket;
  std::vector<std::string> words;
};

struct ApduOptions {
  std::string file;
  std::vector<std::string> apdus;  // hex
  bool reset = false;
};

int run_create(const CreateOptions& options);
int run_serve(const ServeOptions& options);
int run_fault(const FaultOptions& options);
int run_ctl(const CtlOptions& options);
int run_apdu(const ApduOptions& options);

/// Messages to stderr, prefixed "cardsim: ".
void say(const std::string& line);

/// Error(not_found) with the way to create one when `file` does not exist.
void require_card_file(const std::string& file);

}  // namespace cardsim
