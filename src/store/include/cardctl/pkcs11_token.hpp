// Layer 8: a master key kept in a PKCS#11 token (docs/architecture.md#master-keys-in-a-pkcs11-token).
// The key is an AES-256 secret-key object that is sensitive and not extractable; cardctl only asks the token for
// AES-CMAC (CKM_AES_CMAC, PKCS#11 v2.40) over the KBKDF's input blocks, so the key never leaves the token. The
// module is loaded with dlopen from the path given (no link to any one module); the token and the key are named
// by an RFC 7512 URI. The PIN is never part of the URI: one with pin-value is refused.
//
// Thread safety: a Pkcs11Token is one PKCS#11 session and locks it for each call, so its member functions may be
// called from several threads (they run one at a time). A module is initialised (C_Initialize, with
// CKF_OS_LOCKING_OK) once for all the Pkcs11Tokens open on it in this process and finalised when the last one
// closes. One token may be open only once at a time in a process (Error(conflict) otherwise): PKCS#11 login
// state belongs to the application, so a second login could not check its PIN and a logout would end the other.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cardctl/bytes.hpp"
#include "cardctl/crypto.hpp"
#include "cardctl/error.hpp"
#include "cardctl/secret.hpp"

namespace cardctl::store {

/// The parts of an RFC 7512 PKCS#11 URI that name a token and a secret key, percent-decoded.
/// `pkcs11:token=cardctl;object=master-1;id=%01` (path attributes separated by ';'). Accepted: token, serial,
/// manufacturer, model (the token); object, id, type (the key; type must be secret-key). Refused with
/// Error(usage): pin-value and pin-source (give the PIN to cardctl's own PIN input instead), query attributes,
/// unknown or repeated attributes, a bad percent escape. The message never repeats a pin-value.
struct Pkcs11Uri {
  std::optional<std::string> token;  // token label (CK_TOKEN_INFO.label, blank padding removed)
  std::optional<std::string> serial;
  std::optional<std::string> manufacturer;
  std::optional<std::string> model;
  std::optional<std::string> object;  // CKA_LABEL
  std::optional<Bytes> id;            // CKA_ID

  static Pkcs11Uri parse(std::string_view uri);
  /// The URI again, percent-encoding what RFC 7512 requires (for messages; it never holds a secret).
  std::string to_string() const;
};

/// What the token says of the key object (C_GetAttributeValue).
struct Pkcs11KeyAttributes {
  bool token = false;
  bool is_private = false;
  bool sensitive = false;
  bool extractable = true;
  bool always_sensitive = false;
  bool never_extractable = false;
  bool sign = false;
  bool encrypt = false;
  std::size_t value_length = 0;  // CKA_VALUE_LEN, bytes
};

class Pkcs11Token {
 public:
  /// Loads the module (dlopen), finds the one token the URI names, opens a read-write session and logs in as
  /// the user. Errors: not_found (no such module file, no matching token), io (the module cannot be loaded or is
  /// not a PKCS#11 module), conflict (more than one token matches, or this token is already open in this
  /// process), wrong_pin (CKR_PIN_INCORRECT; retries() is 1 when the token says this is the last try), blocked
  /// (CKR_PIN_LOCKED, or the token's user PIN is locked; a PIN of a length the token refuses is wrong_pin too).
  static Pkcs11Token open(const std::string& module_path, const Pkcs11Uri& uri, const Pin& pin);
  static Pkcs11Token open(const std::string& module_path, std::string_view uri, const Pin& pin);

  Pkcs11Token(Pkcs11Token&&) noexcept;
  Pkcs11Token& operator=(Pkcs11Token&&) noexcept;
  /// Logs out, closes the session and, for the module's last token, C_Finalize and dlclose.
  ~Pkcs11Token();

  /// C_GenerateKey with CKM_AES_KEY_GEN: a 32-byte AES key, CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE and CKA_SIGN
  /// true, CKA_EXTRACTABLE, CKA_ENCRYPT, CKA_DECRYPT, CKA_WRAP, CKA_UNWRAP and CKA_DERIVE false; CKA_LABEL and
  /// CKA_ID from the URI. Error(usage) when the URI names no object or id; Error(conflict) when a secret key
  /// with them exists; Error(unsupported) when the token has no CKM_AES_KEY_GEN for 32-byte keys.
  void generate_key();
  /// The same object made from key32 with C_CreateObject (migration from the keystore, tests). Error(usage) for
  /// a key that is not 32 bytes. The token records it as neither always sensitive nor never extractable.
  void import_key(ByteView key32);
  /// generate_key() and import_key() for another key object of this token: key_uri's object and id, whose token
  /// attributes (if any) must match this token (Error(usage) otherwise). One token may hold a master key for
  /// each version, and a token is open only once per process.
  void generate_key(const Pkcs11Uri& key_uri);
  void import_key(const Pkcs11Uri& key_uri, ByteView key32);

  /// AES-CMAC of message with the key the URI names: C_SignInit(CKM_AES_CMAC) and C_Sign, 16 bytes. The key is
  /// looked up once: Error(not_found) when no secret key matches, Error(conflict) when several do,
  /// Error(policy) when it is extractable or not sensitive (a master key must be neither), Error(wrong_data) when
  /// it is not a 32-byte AES key, Error(unsupported) when the token has no CKM_AES_CMAC signing.
  SecureBytes cmac(ByteView message);
  /// cmac() as a KBKDF PRF, for crypto::derive_admin_key(prf, ...). It refers to this token, which must outlive it.
  crypto::Prf prf();
  /// The PRF of another key object of this token (as generate_key(key_uri)), checked as cmac() checks its key.
  crypto::Prf prf(const Pkcs11Uri& key_uri);
  /// The key object's attributes (the same lookup as cmac(), without the policy check).
  Pkcs11KeyAttributes key_attributes();
  Pkcs11KeyAttributes key_attributes(const Pkcs11Uri& key_uri);
  /// Whether uri's token attributes (token, serial, manufacturer, model) name this token; a URI with none does.
  bool holds(const Pkcs11Uri& uri) const;

  const Pkcs11Uri& uri() const;

 private:
  struct Impl;
  explicit Pkcs11Token(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The Error for a PKCS#11 return value rv of function (e.g. "C_Login"), with what was being done in front:
/// CKR_PIN_INCORRECT -> wrong_pin, CKR_PIN_LOCKED -> blocked, CKR_MECHANISM_INVALID -> unsupported, ...
/// The message names the CKR_ code. Public for tests.
Error pkcs11_error(unsigned long rv, const std::string& function, const std::string& what);
/// "CKR_PIN_INCORRECT" for 0xA0, "CKR_0x..." for a code it does not know.
std::string pkcs11_rv_name(unsigned long rv);

}  // namespace cardctl::store
