#include "cardctl/master_token.hpp"

#include "cardctl/error.hpp"
#include "cardctl/site.hpp"

namespace cardctl::lifecycle {

namespace {

void require_module(const std::string& module) {
  if (module.empty())
    throw Error(ErrorKind::usage, "the installation keeps master keys in a PKCS#11 token, but names no PKCS#11 module",
                "give the module with cardctl init --pkcs11-module PATH (or CARDCTL_PKCS11_MODULE); it is recorded "
                "in the installation's site.toml as [pkcs11] module");
}

Pin ask_pin(const TokenPinSource& pin) {
  if (!pin) throw Error(ErrorKind::internal, "no source for the PKCS#11 token's PIN");
  return pin();
}

}  // namespace

store::Pkcs11Token& MasterTokens::token(const std::string& module, const store::Pkcs11Uri& uri,
                                        const TokenPinSource& pin) {
  std::lock_guard lock(mutex_);
  for (auto& t : open_)
    if (t.holds(uri)) return t;
  require_module(module);
  Pin p = ask_pin(pin);  // wiped when this returns
  return open_.emplace_back(store::Pkcs11Token::open(module, uri, p));
}

std::string next_token_key_uri(const std::string& current_uri, std::uint32_t version) {
  store::Pkcs11Uri uri = store::Pkcs11Uri::parse(current_uri);
  uri.object = "cardctl-master-v" + std::to_string(version);
  uri.id.reset();
  return uri.to_string();
}

void create_master_in_token(const std::string& module, const std::string& uri, const TokenPinSource& pin,
                            const MasterKey* import) {
  store::Pkcs11Uri parsed = store::Pkcs11Uri::parse(uri);
  if (!parsed.object && !parsed.id)
    throw Error(ErrorKind::usage, "the PKCS#11 URI " + parsed.to_string() + " names no key object",
                "add object=LABEL to name the master key, e.g. pkcs11:token=cardctl;object=cardctl-master-v1");
  require_module(module);
  Pin p = ask_pin(pin);
  auto token = store::Pkcs11Token::open(module, parsed, p);
  if (import != nullptr)
    token.import_key(import->bytes());
  else
    token.generate_key();
  // Checked as every derivation checks it: sensitive, not extractable, a 32-byte AES key with CMAC signing.
  token.cmac(view("cardctl master key check"));
}

std::uint32_t rotate_master_key_in_token(Site& site, const std::string& operator_name,
                                         const std::optional<std::string>& uri, const MasterKey* import,
                                         std::optional<std::uint32_t> given_version) {
  const std::uint32_t current = site.keystore.current_version();
  std::uint32_t version = site.keystore.versions().back();
  if (given_version) {
    version = *given_version;
    if (version == 0) throw Error(ErrorKind::usage, "key versions start at 1");
    for (auto v : site.keystore.versions())
      if (v == version)
        throw Error(ErrorKind::conflict, "master key version " + std::to_string(version) + " already exists",
                    "give another version: --key-version N");
  } else {
    if (version == UINT32_MAX)
      throw Error(ErrorKind::conflict, "no master key version is left after " + std::to_string(version));
    ++version;
  }
  std::string base = uri ? *uri : site.keystore.in_token(current) ? site.keystore.token_uri(current) : "";
  if (base.empty())
    throw Error(ErrorKind::usage, "the current master key is in the keystore file; name the token's new key",
                "cardctl init --rotate --master-key 'pkcs11:token=LABEL;object=cardctl-master-vN'");
  const std::string key_uri = uri ? store::Pkcs11Uri::parse(*uri).to_string() : next_token_key_uri(base, version);
  for (auto v : site.keystore.versions())
    if (site.keystore.in_token(v) && site.keystore.token_uri(v) == key_uri)
      throw Error(ErrorKind::conflict, "the key " + key_uri + " is already master key version " + std::to_string(v),
                  "name a new key object for the new version (object=...)");
  store::Pkcs11Token& token = site.master_token(key_uri);
  const store::Pkcs11Uri parsed = store::Pkcs11Uri::parse(key_uri);
  if (import != nullptr)
    token.import_key(parsed, import->bytes());
  else
    token.generate_key(parsed);
  token.prf(parsed)(view("cardctl master key check"));  // sensitive, not extractable, CMAC-capable
  site.keystore.add_token_master(key_uri, version, true);
  site.keystore.save();
  site.audit({"", operator_name, import != nullptr ? "import-master" : "rotate", "", "", "ok", "",
              {{"key_version", std::to_string(version)}, {"pkcs11_uri", key_uri}}});
  return version;
}

// ---- Site: the one way to derive (docs/architecture.md#key-derivation) -------------------------------------

store::Pkcs11Token& Site::master_token(const std::string& uri) const {
  return tokens_->token(config.pkcs11_module, store::Pkcs11Uri::parse(uri), token_pin);
}

crypto::Prf Site::master_prf(std::uint32_t version) const {
  if (!keystore.in_token(version)) return crypto::master_key_prf(keystore.master(version));
  const std::string& uri = keystore.token_uri(version);
  // The PRF refers to the token's session, which the shared MasterTokens keeps open as long as it is held.
  return [tokens = tokens_, prf = master_token(uri).prf(store::Pkcs11Uri::parse(uri))](ByteView message) {
    return prf(message);
  };
}

AdminKey Site::derive_admin_key(std::uint32_t version, crypto::AdminAlgorithm algorithm,
                                std::string_view card_id) const {
  return crypto::derive_admin_key(master_prf(version), algorithm, card_id, version);
}

}  // namespace cardctl::lifecycle
