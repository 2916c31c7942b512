// Layer 9: master keys kept in a PKCS#11 token (docs/architecture.md#master-keys-in-a-pkcs11-token). The keystore
// records each such version by its RFC 7512 URI; the installation's site file names the module. The token is
// opened when a key is first derived, with the PIN the command asks for then, and stays open for the Site and its
// another_connection() copies: a token may be open only once per process (pkcs11_token.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>

#include "cardctl/pkcs11_token.hpp"
#include "cardctl/secret.hpp"

namespace cardctl::lifecycle {

class Site;

/// Asks for a token's PIN when it is opened (the CLI's secret input: --token-pin-file, CARDCTL_TOKEN_PIN, a prompt).
using TokenPinSource = std::function<Pin()>;

/// The open tokens of one installation. Thread-safe: one opening at a time, and Pkcs11Token serialises its calls.
class MasterTokens {
 public:
  /// The open token that holds uri, or the token opened now with module and a PIN from pin. Error(usage) when no
  /// module is configured or no PIN source is set; the errors of Pkcs11Token::open (wrong_pin, blocked, ...).
  store::Pkcs11Token& token(const std::string& module, const store::Pkcs11Uri& uri, const TokenPinSource& pin);

 private:
  std::mutex mutex_;
  std::list<store::Pkcs11Token> open_;  // a list: references stay valid as tokens are added
};

/// The URI of a new version's key in the token that holds current_uri: its token attributes, with object label
/// "cardctl-master-vN" (N = version) and no id.
std::string next_token_key_uri(const std::string& current_uri, std::uint32_t version);

/// `cardctl init --master-key URI`: makes master key uri in the token, generated there (CKM_AES_KEY_GEN) or, when
/// import is given, imported from its 32 bytes. The token is opened for this and closed again. Error(usage)
/// without a module, or for a URI that names no key object (object= or id=); Error(conflict) when the token
/// already holds such a key; the errors of Pkcs11Token.
void create_master_in_token(const std::string& module, const std::string& uri, const TokenPinSource& pin,
                            const MasterKey* import = nullptr);

/// `cardctl init --rotate` on an installation whose master keys are in a token, or `--rotate --master-key URI`: a
/// new key, generated in the token (uri, else next_token_key_uri of the current version's), becomes the current
/// version; saved and audited ("rotate"). With import (`--import-master FILE --master-key URI`), the key is
/// imported into the token instead, as `version` or the next one, and audited as "import-master". Returns the
/// new version.
std::uint32_t rotate_master_key_in_token(Site& site, const std::string& operator_name,
                                         const std::optional<std::string>& uri = std::nullopt,
                                         const MasterKey* import = nullptr,
                                         std::optional<std::uint32_t> version = std::nullopt);

}  // namespace cardctl::lifecycle
