#include "cardctl/site_config.hpp"

#include <sstream>
#include <sys/stat.h>
#include <toml++/toml.h>

#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "cardctl/inventory.hpp"

namespace cardctl::lifecycle {

namespace {
constexpr const char* kPasswordHint =
    "leave the password out of the URL: libpq reads it from ~/.pgpass (or the file PGPASSFILE names, mode 0600), "
    "from PGPASSWORD, or uses a client certificate (sslcert=, sslkey= in the URL)";

// A TOML string as a C++ one, in TOML's own quoting (basic string, escapes as needed).
std::string quoted(const std::string& s) {
  std::ostringstream out;
  out << toml::value<std::string>(s);
  return out.str();
}
}  // namespace

void check_inventory_url(const std::string& url) {
  if (!store::is_database_url(url))
    throw Error(ErrorKind::usage, "the inventory must be a postgresql:// URL",
                "for example postgresql://db.example.org/cardctl?sslmode=verify-full; leave it out for the SQLite "
                "file in the installation directory");
  const std::size_t start = url.find("://") + 3;
  const std::size_t end = url.find_first_of("/?", start);
  const std::string authority = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  const std::size_t at = authority.rfind('@');
  bool password = at != std::string::npos && authority.substr(0, at).find(':') != std::string::npos;
  if (const std::size_t q = url.find('?'); q != std::string::npos) {
    const std::string query = "&" + url.substr(q + 1);
    password = password || query.find("&password=") != std::string::npos;
  }
  if (password) throw Error(ErrorKind::usage, "the inventory URL holds a password", kPasswordHint);
  if (url.find_first_of(" \t\r\n") != std::string::npos)
    throw Error(ErrorKind::usage, "the inventory URL holds white space", "percent-encode it (%20)");
}

std::string SiteConfig::to_toml() const {
  std::string out = "# Where this cardctl installation's parts live (cardctl-site(1)). No secrets here.\n";
  if (!inventory_url.empty())
    out += "\n[inventory]\n# The inventory and the audit trail, shared by every workstation of the installation.\nurl = " +
           quoted(inventory_url) + "\n";
  if (!pkcs11_module.empty())
    out += "\n[pkcs11]\n# The PKCS#11 module of the token that holds the master keys (the keystore names them).\nmodule = " +
           quoted(pkcs11_module) + "\n";
  return out;
}

SiteConfig load_site_config(const std::string& path) {
  SiteConfig config;
  if (!files::exists(path)) return config;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 022) != 0)
    throw Error(ErrorKind::io, "the site file " + path + " may be changed by other users",
                "chmod 600 " + path + " (it says where the inventory and keys are)");
  const Bytes bytes = files::read(path);
  const std::string text(bytes.begin(), bytes.end());
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw Error(ErrorKind::usage, path + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()),
                "cardctl site show prints what it should hold; cardctl-site(1) describes it");
  }
  auto bad = [&](const toml::node* node, const std::string& what) {
    const int line = node != nullptr ? static_cast<int>(node->source().begin.line) : 1;
    return Error(ErrorKind::usage, path + ":" + std::to_string(line) + ": " + what,
                 "the site file has [inventory] url and [pkcs11] module (cardctl-site(1))");
  };
  auto string_of = [&](const toml::table& table, const char* section, const char* key, std::string& out) {
    if (const toml::node* node = table.get(key)) {
      if (!node->is_string()) throw bad(node, std::string(section) + "." + key + " must be a string");
      out = **node->as_string();
      if (out.empty()) throw bad(node, std::string(section) + "." + key + " is empty");
    }
  };
  for (const auto& [key, node] : root) {
    const std::string k(key.str());
    if ((k != "inventory" && k != "pkcs11") || !node.is_table())
      throw bad(&node, k == "inventory" || k == "pkcs11" ? "[" + k + "] must be a table" : "unknown key '" + k + "'");
    for (const auto& [sub, value] : *node.as_table())
      if (std::string_view(sub.str()) != (k == "inventory" ? "url" : "module"))
        throw bad(&value, "unknown key '" + k + "." + std::string(sub.str()) + "'");
  }
  if (const auto* inv = root["inventory"].as_table()) string_of(*inv, "inventory", "url", config.inventory_url);
  if (const auto* p11 = root["pkcs11"].as_table()) string_of(*p11, "pkcs11", "module", config.pkcs11_module);
  if (!config.inventory_url.empty()) {
    try {
      check_inventory_url(config.inventory_url);
    } catch (const Error& e) {
      throw Error(ErrorKind::usage, path + ": " + e.what(), e.hint());
    }
  }
  return config;
}

void save_site_config(const std::string& path, const SiteConfig& config) {
  const std::string text = config.to_toml();
  files::write_atomic(path, view(text), 0600);
}

}  // namespace cardctl::lifecycle
