#include "cardctl/pkcs11_token.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

// The GNU names of p11-kit's header: its compatibility names are macros (value, count, params, ...) that would
// rename members of the standard library included after it.
#define CRYPTOKI_GNU 1
#include <p11-kit/pkcs11.h>

namespace cardctl::store {

namespace {

// ---- RFC 7512 URIs ----------------------------------------------------------------------------------------

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text, std::string_view attribute) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    int hi = i + 2 < text.size() ? hex_digit(text[i + 1]) : -1;
    int lo = i + 2 < text.size() ? hex_digit(text[i + 2]) : -1;
    if (hi < 0 || lo < 0)
      throw Error(ErrorKind::usage, "PKCS#11 URI: a bad percent escape in the value of " + std::string(attribute),
                  "write a byte as % and two hex digits, e.g. id=%01%a2 (RFC 7512)");
    out.push_back(static_cast<char>(hi << 4 | lo));
    i += 2;
  }
  return out;
}

// Unreserved characters (RFC 3986) stay and every other byte is escaped: more than RFC 7512 requires, and
// read back the same by any RFC 7512 parser.
std::string percent_encode(ByteView bytes) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (auto b : bytes) {
    char c = static_cast<char>(b);
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                 c == '.' || c == '_' || c == '~';
    if (plain) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(digits[b >> 4]);
      out.push_back(digits[b & 0x0F]);
    }
  }
  return out;
}

[[noreturn]] void refuse_pin_in_uri(std::string_view attribute) {
  // The value is not repeated: it may be the PIN itself.
  throw Error(ErrorKind::usage,
              "PKCS#11 URI: " + std::string(attribute) + " is refused: a PIN never goes in a URI or on a command line",
              "remove " + std::string(attribute) + " and give the token's PIN when cardctl asks for it");
}

// ---- return values ----------------------------------------------------------------------------------------

struct RvInfo {
  ck_rv_t rv;
  const char* name;
  ErrorKind kind;
  const char* meaning;
};

constexpr RvInfo kRvs[] = {
    {CKR_OK, "CKR_OK", ErrorKind::internal, "no error"},
    {CKR_HOST_MEMORY, "CKR_HOST_MEMORY", ErrorKind::internal, "the module ran out of memory"},
    {CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID", ErrorKind::not_found, "no such slot"},
    {CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR", ErrorKind::crypto, "the token failed"},
    {CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED", ErrorKind::crypto, "the token failed"},
    {CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD", ErrorKind::internal, "bad arguments"},
    {CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID", ErrorKind::wrong_data,
     "the token does not know an attribute"},
    {CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID", ErrorKind::wrong_data,
     "the token refused an attribute's value"},
    {CKR_ATTRIBUTE_SENSITIVE, "CKR_ATTRIBUTE_SENSITIVE", ErrorKind::policy, "the attribute is sensitive"},
    {CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR", ErrorKind::transport, "the device failed"},
    {CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY", ErrorKind::transport, "the token is out of memory"},
    {CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED", ErrorKind::card_removed, "the token was removed"},
    {CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED", ErrorKind::unsupported,
     "the module does not support this function"},
    {CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID", ErrorKind::not_found, "the key is gone"},
    {CKR_KEY_SIZE_RANGE, "CKR_KEY_SIZE_RANGE", ErrorKind::unsupported, "the token does not take this key size"},
    {CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT", ErrorKind::wrong_data,
     "the key's type does not fit the mechanism"},
    {CKR_KEY_FUNCTION_NOT_PERMITTED, "CKR_KEY_FUNCTION_NOT_PERMITTED", ErrorKind::policy,
     "the key's attributes do not allow this use (CKA_SIGN)"},
    {CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID", ErrorKind::unsupported,
     "the token does not support the mechanism"},
    {CKR_MECHANISM_PARAM_INVALID, "CKR_MECHANISM_PARAM_INVALID", ErrorKind::unsupported,
     "the token does not take the mechanism's parameters"},
    {CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID", ErrorKind::not_found, "the object is gone"},
    {CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE", ErrorKind::conflict, "another operation is active"},
    {CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT", ErrorKind::wrong_pin, "wrong PIN"},
    {CKR_PIN_INVALID, "CKR_PIN_INVALID", ErrorKind::wrong_pin, "the PIN has characters the token refuses"},
    {CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE", ErrorKind::wrong_pin, "the PIN is too short or too long"},
    {CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED", ErrorKind::policy, "the PIN has expired"},
    {CKR_PIN_LOCKED, "CKR_PIN_LOCKED", ErrorKind::blocked, "the user PIN is locked"},
    {CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED", ErrorKind::transport, "the session was closed"},
    {CKR_SESSION_COUNT, "CKR_SESSION_COUNT", ErrorKind::conflict, "the token has too many sessions open"},
    {CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID", ErrorKind::transport, "the session is gone"},
    {CKR_TEMPLATE_INCOMPLETE, "CKR_TEMPLATE_INCOMPLETE", ErrorKind::wrong_data, "an attribute is missing"},
    {CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT", ErrorKind::wrong_data,
     "the attributes contradict each other"},
    {CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT", ErrorKind::card_removed, "the token is not present"},
    {CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED", ErrorKind::unsupported, "the token is not recognised"},
    {CKR_TOKEN_WRITE_PROTECTED, "CKR_TOKEN_WRITE_PROTECTED", ErrorKind::policy, "the token is write-protected"},
    {CKR_USER_ALREADY_LOGGED_IN, "CKR_USER_ALREADY_LOGGED_IN", ErrorKind::conflict,
     "the user is already logged in to this token"},
    {CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN", ErrorKind::security_status, "not logged in"},
    {CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED", ErrorKind::usage,
     "the token's user PIN is not set"},
    {CKR_USER_TYPE_INVALID, "CKR_USER_TYPE_INVALID", ErrorKind::internal, "bad user type"},
    {CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL", ErrorKind::protocol, "the token's answer is longer than expected"},
    {CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED", ErrorKind::internal, "module not initialised"},
    {CKR_CRYPTOKI_ALREADY_INITIALIZED, "CKR_CRYPTOKI_ALREADY_INITIALIZED", ErrorKind::internal,
     "module already initialised"},
};

const RvInfo* rv_info(ck_rv_t rv) {
  for (const auto& i : kRvs)
    if (i.rv == rv) return &i;
  return nullptr;
}

std::string hint_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::wrong_pin:
      return "check the token's user PIN; tokens lock it after a few wrong tries";
    case ErrorKind::blocked:
      return "the token's security officer must unlock or reset the user PIN";
    case ErrorKind::unsupported:
      return "the master key needs a token with AES-256 keys and CKM_AES_CMAC signing (PKCS#11 v2.40)";
    case ErrorKind::card_removed:
      return "insert the token and try again";
    default:
      return {};
  }
}

void check(ck_rv_t rv, const char* function, const std::string& what) {
  if (rv != CKR_OK) throw pkcs11_error(rv, function, what);
}

// ---- modules ----------------------------------------------------------------------------------------------

// One loaded and initialised module, shared by the tokens open on it; finalised and closed by the last.
struct Module {
  std::string path;  // canonical
  void* handle = nullptr;
  ck_function_list* fl = nullptr;
  bool finalize = false;  // false when someone else in this process had initialised it

  ~Module() {
    if (finalize) fl->C_Finalize(nullptr);
    if (handle != nullptr) dlclose(handle);
  }
};

// The process's modules and open tokens (canonical module path, slot). Guarded by registry_mutex.
std::mutex registry_mutex;
std::map<std::string, std::weak_ptr<Module>>& modules() {
  static std::map<std::string, std::weak_ptr<Module>> m;
  return m;
}
std::set<std::pair<std::string, ck_slot_id_t>>& open_tokens() {
  static std::set<std::pair<std::string, ck_slot_id_t>> s;
  return s;
}

std::shared_ptr<Module> load_module(const std::string& module_path) {
  std::error_code ec;
  if (!std::filesystem::exists(module_path, ec))
    throw Error(ErrorKind::not_found, "PKCS#11 module " + module_path + " not found",
                "give the module's full path, e.g. /usr/lib/softhsm/libsofthsm2.so for SoftHSM 2");
  std::string canonical = std::filesystem::canonical(module_path, ec).string();
  if (ec) canonical = module_path;

  std::lock_guard lock(registry_mutex);
  if (auto existing = modules()[canonical].lock()) return existing;

  // A plain owner while the lock is held (a failure here deletes it at once), shared below with a deleter that
  // takes the lock, so that C_Finalize never runs while another thread initialises the same module.
  auto module = std::make_unique<Module>();
  module->path = canonical;
  module->handle = dlopen(canonical.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (module->handle == nullptr) {
    const char* why = dlerror();
    throw Error(ErrorKind::io,
                "cannot load the PKCS#11 module " + module_path + ": " + (why != nullptr ? why : "dlopen failed"),
                "check that it is a shared library for this machine's architecture");
  }
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(dlsym(module->handle, "C_GetFunctionList"));
  if (get_list == nullptr)
    throw Error(ErrorKind::io, module_path + " is not a PKCS#11 module (it has no C_GetFunctionList)");
  check(get_list(&module->fl), "C_GetFunctionList", "loading the PKCS#11 module " + module_path);
  if (module->fl == nullptr)
    throw Error(ErrorKind::io, module_path + " is not a PKCS#11 module (C_GetFunctionList gave no functions)");

  ck_c_initialize_args args{};
  args.flags = CKF_OS_LOCKING_OK;
  ck_rv_t rv = module->fl->C_Initialize(&args);
  if (rv == CKR_OK)
    module->finalize = true;
  else if (rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
    check(rv, "C_Initialize", "initialising the PKCS#11 module " + module_path);
  std::shared_ptr<Module> shared(module.release(), [](Module* m) {
    std::lock_guard unload(registry_mutex);
    delete m;
  });
  modules()[canonical] = shared;
  return shared;
}

// ---- tokens -----------------------------------------------------------------------------------------------

template <std::size_t N>
std::string padded(const unsigned char (&field)[N]) {
  std::string s(reinterpret_cast<const char*>(field), N);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

bool matches(const ck_token_info& info, const Pkcs11Uri& uri) {
  return (!uri.token || padded(info.label) == *uri.token) &&
         (!uri.serial || padded(info.serial_number) == *uri.serial) &&
         (!uri.manufacturer || padded(info.manufacturer_id) == *uri.manufacturer) &&
         (!uri.model || padded(info.model) == *uri.model);
}

std::string token_name(const Pkcs11Uri& uri) {
  if (uri.token) return "PKCS#11 token '" + *uri.token + "'";
  if (uri.serial) return "PKCS#11 token with serial " + *uri.serial;
  return "the PKCS#11 token";
}

constexpr unsigned char kTrue = 1;
constexpr unsigned char kFalse = 0;

ck_attribute attribute(ck_attribute_type_t type, const void* data, std::size_t size) {
  return ck_attribute{type, const_cast<void*>(data), static_cast<unsigned long>(size)};
}
ck_attribute flag(ck_attribute_type_t type, bool on) { return attribute(type, on ? &kTrue : &kFalse, 1); }

}  // namespace

// ---- Pkcs11Uri --------------------------------------------------------------------------------------------

Pkcs11Uri Pkcs11Uri::parse(std::string_view text) {
  constexpr std::string_view scheme = "pkcs11:";
  if (text.size() < scheme.size() || !std::equal(scheme.begin(), scheme.end(), text.begin(), [](char a, char b) {
        return a == std::tolower(static_cast<unsigned char>(b));
      }))
    throw Error(ErrorKind::usage, "not a PKCS#11 URI: it must start with pkcs11: (RFC 7512)",
                "e.g. pkcs11:token=cardctl;object=master-1");
  std::string_view rest = text.substr(scheme.size());
  std::string_view path = rest, query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    path = rest.substr(0, q);
    query = rest.substr(q + 1);
  }
  // A PIN (pin-value=, pin-source=), in the path or the query, is refused before anything else is looked at.
  auto refuse_pin = [](std::string_view part, char separator) {
    for (std::size_t start = 0; start < part.size();) {
      std::size_t end = std::min(part.find(separator, start), part.size());
      std::string_view name = part.substr(start, end - start);
      name = name.substr(0, name.find('='));
      if (name == "pin-value" || name == "pin-source") refuse_pin_in_uri(name);
      start = end + 1;
    }
  };
  refuse_pin(path, ';');
  refuse_pin(query, '&');
  if (!query.empty())
    throw Error(ErrorKind::usage, "PKCS#11 URI: query attributes (after '?') are not supported",
                "name the token and the key in the path: pkcs11:token=...;object=...;id=...");

  Pkcs11Uri uri;
  std::set<std::string, std::less<>> seen;
  for (std::size_t start = 0; start < path.size();) {
    std::size_t end = std::min(path.find(';', start), path.size());
    std::string_view item = path.substr(start, end - start);
    start = end + 1;
    if (item.empty()) continue;
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      throw Error(ErrorKind::usage, "PKCS#11 URI: an attribute has no value",  // not repeated: it may be a PIN
                  "write each attribute as name=value, separated by ';'");
    std::string name(item.substr(0, eq));
    std::string decoded = percent_decode(item.substr(eq + 1), name);
    if (!seen.insert(name).second)
      throw Error(ErrorKind::usage, "PKCS#11 URI: " + name + " is given twice (RFC 7512 allows each once)");
    if (name == "token") uri.token = decoded;
    else if (name == "serial") uri.serial = decoded;
    else if (name == "manufacturer") uri.manufacturer = decoded;
    else if (name == "model") uri.model = decoded;
    else if (name == "object") uri.object = decoded;
    else if (name == "id") uri.id = to_bytes(decoded);
    else if (name == "type") {
      if (decoded != "secret-key")
        throw Error(ErrorKind::usage, "PKCS#11 URI: type=" + decoded + " cannot be a master key",
                    "a master key is a secret key: type=secret-key, or leave type out");
    } else {
      throw Error(ErrorKind::usage, "PKCS#11 URI: the attribute " + name + " is not supported here",
                  "use token, serial, manufacturer, model, object, id and type");
    }
  }
  return uri;
}

std::string Pkcs11Uri::to_string() const {
  std::string out = "pkcs11:";
  auto add = [&out](const char* name, ByteView value) {
    if (out.back() != ':') out += ';';
    out += name;
    out += '=';
    out += percent_encode(value);
  };
  if (token) add("token", view(*token));
  if (serial) add("serial", view(*serial));
  if (manufacturer) add("manufacturer", view(*manufacturer));
  if (model) add("model", view(*model));
  if (object) add("object", view(*object));
  if (id) add("id", *id);
  return out;
}

// ---- errors -----------------------------------------------------------------------------------------------

std::string pkcs11_rv_name(unsigned long rv) {
  if (const RvInfo* i = rv_info(rv)) return i->name;
  std::string hex = to_hex_upper(Bytes{static_cast<std::uint8_t>(rv >> 24), static_cast<std::uint8_t>(rv >> 16),
                                       static_cast<std::uint8_t>(rv >> 8), static_cast<std::uint8_t>(rv)});
  return "CKR_0x" + hex;
}

Error pkcs11_error(unsigned long rv, const std::string& function, const std::string& what) {
  const RvInfo* i = rv_info(rv);
  ErrorKind kind = i != nullptr ? i->kind : ErrorKind::crypto;
  std::string meaning = i != nullptr ? i->meaning : "the token failed";
  return Error(kind, what + ": " + meaning + " (" + function + ": " + pkcs11_rv_name(rv) + ")", hint_for(kind));
}

// ---- Pkcs11Token ------------------------------------------------------------------------------------------

struct Pkcs11Token::Impl {
  std::shared_ptr<Module> module;
  Pkcs11Uri uri;
  std::string name;  // for messages
  ck_slot_id_t slot = 0;
  bool registered = false;
  ck_session_handle_t session = CK_INVALID_HANDLE;
  bool logged_in = false;
  ck_token_info info{};  // as found at open, to tell whether another URI names this token
  std::mutex mutex;  // one call at a time on the session
  // The key objects looked up and checked so far, by their names in the URI (one token may hold several master
  // keys, one per version, and is open only once per process).
  std::map<std::pair<std::optional<std::string>, std::optional<Bytes>>, ck_object_handle_t> keys;

  static std::pair<std::optional<std::string>, std::optional<Bytes>> key_name(const Pkcs11Uri& k) {
    return {k.object, k.id};
  }

  // The URI of a key object in this token: uri's token attributes with key_uri's object and id, after checking
  // that key_uri names no other token.
  Pkcs11Uri key_uri_in_token(const Pkcs11Uri& key_uri) const {
    if (!matches(info, key_uri))
      throw Error(ErrorKind::usage, "the PKCS#11 URI " + key_uri.to_string() + " names another token than " + name,
                  "keep every master key of the installation in the token it was opened with");
    Pkcs11Uri out = uri;
    out.object = key_uri.object;
    out.id = key_uri.id;
    return out;
  }

  ck_function_list& f() const { return *module->fl; }

  // In reverse order of open(): logout, close the session, leave the registry; the module goes with the last.
  ~Impl() {
    if (logged_in) f().C_Logout(session);
    if (session != CK_INVALID_HANDLE) f().C_CloseSession(session);
    if (registered) {
      std::lock_guard lock(registry_mutex);
      open_tokens().erase({module->path, slot});
    }
  }

  std::vector<ck_object_handle_t> find_keys(const Pkcs11Uri& uri) {
    std::vector<ck_attribute> tmpl;
    ck_object_class_t cls = CKO_SECRET_KEY;
    tmpl.push_back(attribute(CKA_CLASS, &cls, sizeof cls));
    if (uri.object) tmpl.push_back(attribute(CKA_LABEL, uri.object->data(), uri.object->size()));
    if (uri.id) tmpl.push_back(attribute(CKA_ID, uri.id->data(), uri.id->size()));
    check(f().C_FindObjectsInit(session, tmpl.data(), tmpl.size()), "C_FindObjectsInit", "looking for the key");
    std::array<ck_object_handle_t, 2> found{};
    unsigned long n = 0;
    ck_rv_t rv = f().C_FindObjects(session, found.data(), found.size(), &n);
    f().C_FindObjectsFinal(session);
    check(rv, "C_FindObjects", "looking for the key");
    return {found.begin(), found.begin() + static_cast<std::ptrdiff_t>(n)};
  }

  static void require_key_name(const Pkcs11Uri& uri) {
    if (!uri.object && !uri.id)
      throw Error(ErrorKind::usage, "the PKCS#11 URI " + uri.to_string() + " names no key",
                  "add object=LABEL (and id=...) to name the master key");
  }

  ck_object_handle_t find_key(const Pkcs11Uri& uri) {
    if (auto k = keys.find(key_name(uri)); k != keys.end()) return k->second;
    require_key_name(uri);
    auto found = find_keys(uri);
    if (found.empty())
      throw Error(ErrorKind::not_found, "no secret key " + uri.to_string() + " in " + name,
                  "check object= and id=, or create the key first");
    if (found.size() > 1)
      throw Error(ErrorKind::conflict, "more than one secret key in " + name + " matches " + uri.to_string(),
                  "add id=... to the URI to name exactly one");
    return found.front();
  }

  std::optional<bool> get_flag(ck_object_handle_t object, ck_attribute_type_t type) {
    unsigned char v = 0;
    ck_attribute a = attribute(type, &v, 1);
    ck_rv_t rv = f().C_GetAttributeValue(session, object, &a, 1);
    if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE) return std::nullopt;
    check(rv, "C_GetAttributeValue", "reading the key's attributes");
    return v != 0;
  }

  std::optional<unsigned long> get_ulong(ck_object_handle_t object, ck_attribute_type_t type) {
    unsigned long v = 0;
    ck_attribute a = attribute(type, &v, sizeof v);
    ck_rv_t rv = f().C_GetAttributeValue(session, object, &a, 1);
    if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE) return std::nullopt;
    check(rv, "C_GetAttributeValue", "reading the key's attributes");
    return v;
  }

  Pkcs11KeyAttributes attributes(ck_object_handle_t object) {
    Pkcs11KeyAttributes a;
    a.token = get_flag(object, CKA_TOKEN).value_or(false);
    a.is_private = get_flag(object, CKA_PRIVATE).value_or(false);
    a.sensitive = get_flag(object, CKA_SENSITIVE).value_or(false);
    a.extractable = get_flag(object, CKA_EXTRACTABLE).value_or(true);
    a.always_sensitive = get_flag(object, CKA_ALWAYS_SENSITIVE).value_or(false);
    a.never_extractable = get_flag(object, CKA_NEVER_EXTRACTABLE).value_or(false);
    a.sign = get_flag(object, CKA_SIGN).value_or(false);
    a.encrypt = get_flag(object, CKA_ENCRYPT).value_or(false);
    a.value_length = get_ulong(object, CKA_VALUE_LEN).value_or(0);
    return a;
  }

  void require_mechanism(ck_mechanism_type_t mechanism, const char* mechanism_name, ck_flags_t needed,
                         const std::string& what) {
    ck_mechanism_info info{};
    ck_rv_t rv = f().C_GetMechanismInfo(slot, mechanism, &info);
    if (rv == CKR_MECHANISM_INVALID || (rv == CKR_OK && (info.flags & needed) != needed))
      throw Error(ErrorKind::unsupported, name + " does not support " + mechanism_name + " for " + what,
                  hint_for(ErrorKind::unsupported));
    check(rv, "C_GetMechanismInfo", "asking " + name + " for " + mechanism_name);
    // PKCS#11 v2.40 gives AES key sizes in bytes.
    if (info.min_key_size > 32 || (info.max_key_size != 0 && info.max_key_size < 32))
      throw Error(ErrorKind::unsupported, name + " does not take 32-byte keys for " + mechanism_name,
                  hint_for(ErrorKind::unsupported));
  }

  // The attributes of a master key object, with CKA_VALUE for an import.
  void create(const Pkcs11Uri& uri, ByteView value) {
    require_key_name(uri);
    if (!find_keys(uri).empty())
      throw Error(ErrorKind::conflict, name + " already holds a secret key " + uri.to_string(),
                  "choose another object= label or id=, or use the key that is there");
    ck_object_class_t cls = CKO_SECRET_KEY;
    ck_key_type_t type = CKK_AES;
    unsigned long length = 32;
    std::vector<ck_attribute> tmpl = {
        attribute(CKA_CLASS, &cls, sizeof cls),    attribute(CKA_KEY_TYPE, &type, sizeof type),
        flag(CKA_TOKEN, true),                     flag(CKA_PRIVATE, true),
        flag(CKA_SENSITIVE, true),                 flag(CKA_EXTRACTABLE, false),
        flag(CKA_SIGN, true),                      flag(CKA_VERIFY, false),
        flag(CKA_ENCRYPT, false),                  flag(CKA_DECRYPT, false),
        flag(CKA_WRAP, false),                     flag(CKA_UNWRAP, false),
        flag(CKA_DERIVE, false),
    };
    if (uri.object) tmpl.push_back(attribute(CKA_LABEL, uri.object->data(), uri.object->size()));
    if (uri.id) tmpl.push_back(attribute(CKA_ID, uri.id->data(), uri.id->size()));
    ck_object_handle_t object = CK_INVALID_HANDLE;
    if (value.empty()) {
      require_mechanism(CKM_AES_KEY_GEN, "CKM_AES_KEY_GEN", CKF_GENERATE, "generating the master key");
      tmpl.push_back(attribute(CKA_VALUE_LEN, &length, sizeof length));
      ck_mechanism mech{CKM_AES_KEY_GEN, nullptr, 0};
      check(f().C_GenerateKey(session, &mech, tmpl.data(), tmpl.size(), &object), "C_GenerateKey",
            "generating the master key " + uri.to_string() + " in " + name);
    } else {
      tmpl.push_back(attribute(CKA_VALUE, value.data(), value.size()));
      check(f().C_CreateObject(session, tmpl.data(), tmpl.size(), &object), "C_CreateObject",
            "importing the master key " + uri.to_string() + " into " + name);
    }
    keys.erase(key_name(uri));
  }

  // AES-CMAC with the key the URI names (Pkcs11Token::cmac).
  SecureBytes cmac(const Pkcs11Uri& uri, ByteView message) {
    std::lock_guard lock(mutex);
    // The key is checked once, when it is first used: a master key must be sensitive and not extractable.
    bool first = !keys.count(key_name(uri));
    ck_object_handle_t handle = find_key(uri);
    if (first) {
      {
        Pkcs11KeyAttributes a = attributes(handle);
        std::string which = "the key " + uri.to_string() + " in " + name;
        if (a.extractable || !a.sensitive)
          throw Error(ErrorKind::policy, which + " is " + (a.extractable ? "extractable" : "not sensitive") +
                                             ": a master key must be sensitive and never leave the token",
                      "make a new key with CKA_SENSITIVE=true and CKA_EXTRACTABLE=false and move the cards to it");
        auto type = get_ulong(handle, CKA_KEY_TYPE);
        if (type != CKK_AES || a.value_length != 32)
          throw Error(ErrorKind::wrong_data, which + " is not a 32-byte AES key");
        require_mechanism(CKM_AES_CMAC, "CKM_AES_CMAC", CKF_SIGN, "the master key's CMAC");
      }
      keys.emplace(key_name(uri), handle);
    }
    ck_mechanism mech{CKM_AES_CMAC, nullptr, 0};
    check(f().C_SignInit(session, &mech, handle), "C_SignInit", "CMAC with the master key in " + name);
    SecureBytes out(16);
    unsigned long length = out.size();
    // An empty span's data() may be null, which SoftHSM refuses (CKR_ARGUMENTS_BAD) even with length 0.
    unsigned char none = 0;
    auto* data = message.empty() ? &none : const_cast<unsigned char*>(message.data());
    ck_rv_t rv = f().C_Sign(session, data, message.size(), out.data(), &length);
    if (rv != CKR_OK) {
      // A module may leave the operation active after a failure (SoftHSM does after CKR_ARGUMENTS_BAD), and
      // every later C_SignInit would then fail: finish it, ignoring the answer.
      SecureBytes scratch(64);
      unsigned long scratch_length = scratch.size();
      f().C_Sign(session, &none, 0, scratch.data(), &scratch_length);
      check(rv, "C_Sign", "CMAC with the master key in " + name);
    }
    if (length != 16)
      throw Error(ErrorKind::protocol, name + " returned a CMAC of " + std::to_string(length) + " bytes, not 16");
    return out;
  }
};

Pkcs11Token::Pkcs11Token(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Pkcs11Token::Pkcs11Token(Pkcs11Token&&) noexcept = default;
Pkcs11Token& Pkcs11Token::operator=(Pkcs11Token&&) noexcept = default;
Pkcs11Token::~Pkcs11Token() = default;

Pkcs11Token Pkcs11Token::open(const std::string& module_path, std::string_view uri, const Pin& pin) {
  return open(module_path, Pkcs11Uri::parse(uri), pin);
}

Pkcs11Token Pkcs11Token::open(const std::string& module_path, const Pkcs11Uri& uri, const Pin& pin) {
  auto impl = std::make_unique<Impl>();
  impl->uri = uri;
  impl->name = token_name(uri);
  impl->module = load_module(module_path);
  ck_function_list& f = impl->f();

  // The slots with a token, then the one token the URI names.
  unsigned long n = 0;
  check(f.C_GetSlotList(1, nullptr, &n), "C_GetSlotList", "listing the tokens of " + module_path);
  std::vector<ck_slot_id_t> slots(n);
  if (n > 0) check(f.C_GetSlotList(1, slots.data(), &n), "C_GetSlotList", "listing the tokens of " + module_path);
  slots.resize(n);
  std::vector<std::pair<ck_slot_id_t, ck_token_info>> found;
  std::vector<std::string> labels;
  for (auto slot : slots) {
    ck_token_info info{};
    if (f.C_GetTokenInfo(slot, &info) != CKR_OK) continue;
    labels.push_back("'" + padded(info.label) + "'");
    if (matches(info, uri)) found.emplace_back(slot, info);
  }
  if (found.empty()) {
    std::string have;
    for (const auto& l : labels) have += (have.empty() ? "" : ", ") + l;
    throw Error(ErrorKind::not_found, "no " + impl->name + " in " + module_path,
                labels.empty() ? "the module shows no token: initialise one, or check the module's configuration"
                               : "the module's tokens: " + have);
  }
  if (found.size() > 1)
    throw Error(ErrorKind::conflict, std::to_string(found.size()) + " tokens in " + module_path + " match " +
                                         uri.to_string(),
                "add serial=... to the URI to name exactly one");
  auto [slot, info] = found.front();
  impl->slot = slot;
  impl->info = info;
  {
    std::lock_guard lock(registry_mutex);
    if (!open_tokens().insert({impl->module->path, slot}).second)
      throw Error(ErrorKind::conflict, impl->name + " is already open in this process",
                  "use the Pkcs11Token that is open (PKCS#11 login state is shared by the whole process)");
    impl->registered = true;
  }
  if ((info.flags & CKF_USER_PIN_LOCKED) != 0)
    throw Error(ErrorKind::blocked, "the user PIN of " + impl->name + " is locked", hint_for(ErrorKind::blocked));
  if ((info.flags & CKF_USER_PIN_INITIALIZED) == 0)
    throw Error(ErrorKind::usage, impl->name + " has no user PIN yet",
                "initialise the token's user PIN (e.g. softhsm2-util --init-token, pkcs11-tool --init-pin)");

  check(f.C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &impl->session),
        "C_OpenSession", "opening a session with " + impl->name);
  auto* pin_bytes = const_cast<unsigned char*>(pin.bytes().data());
  ck_rv_t rv = f.C_Login(impl->session, CKU_USER, pin_bytes, pin.size());
  if (rv != CKR_OK) {
    Error e = pkcs11_error(rv, "C_Login", "logging in to " + impl->name);
    ck_token_info after{};
    if (rv == CKR_PIN_INCORRECT && f.C_GetTokenInfo(slot, &after) == CKR_OK &&
        (after.flags & CKF_USER_PIN_FINAL_TRY) != 0)
      e.with_retries(1).with_hint("one more wrong PIN locks the token's user PIN");
    throw e;
  }
  impl->logged_in = true;
  return Pkcs11Token(std::move(impl));
}

void Pkcs11Token::generate_key() { generate_key(impl_->uri); }

void Pkcs11Token::generate_key(const Pkcs11Uri& key_uri) {
  Pkcs11Uri k = impl_->key_uri_in_token(key_uri);
  std::lock_guard lock(impl_->mutex);
  impl_->create(k, {});
}

void Pkcs11Token::import_key(ByteView key32) { import_key(impl_->uri, key32); }

void Pkcs11Token::import_key(const Pkcs11Uri& key_uri, ByteView key32) {
  if (key32.size() != 32)
    throw Error(ErrorKind::usage, "a master key must be 32 bytes, got " + std::to_string(key32.size()));
  Pkcs11Uri k = impl_->key_uri_in_token(key_uri);
  std::lock_guard lock(impl_->mutex);
  impl_->create(k, key32);
}

Pkcs11KeyAttributes Pkcs11Token::key_attributes() { return key_attributes(impl_->uri); }

Pkcs11KeyAttributes Pkcs11Token::key_attributes(const Pkcs11Uri& key_uri) {
  Pkcs11Uri k = impl_->key_uri_in_token(key_uri);
  std::lock_guard lock(impl_->mutex);
  return impl_->attributes(impl_->find_key(k));
}

SecureBytes Pkcs11Token::cmac(ByteView message) { return impl_->cmac(impl_->uri, message); }

crypto::Prf Pkcs11Token::prf() { return prf(impl_->uri); }

crypto::Prf Pkcs11Token::prf(const Pkcs11Uri& key_uri) {
  // The Impl, not this: a Pkcs11Token may be moved while the PRF is kept.
  return [impl = impl_.get(), k = impl_->key_uri_in_token(key_uri)](ByteView message) {
    return impl->cmac(k, message);
  };
}

bool Pkcs11Token::holds(const Pkcs11Uri& uri) const { return matches(impl_->info, uri); }

const Pkcs11Uri& Pkcs11Token::uri() const { return impl_->uri; }

}  // namespace cardctl::store
