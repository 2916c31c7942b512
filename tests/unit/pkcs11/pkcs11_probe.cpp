// A test tool for tests/unit/pkcs11/test_pkcs11_softhsm.sh: one Pkcs11Token operation from the command line.
//   pkcs11_probe MODULE URI generate | import | cmac HEX | attributes
// The PIN is read from the file named by CARDCTL_TEST_PIN_FILE, the key to import (hex) from CARDCTL_TEST_KEY_HEX:
// neither is ever an argument. An Error prints "error: KIND: message" on stderr and exits 1.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "cardctl/error.hpp"
#include "cardctl/pkcs11_token.hpp"

using namespace cardctl;

namespace {
std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) throw Error(ErrorKind::usage, std::string(name) + " is not set");
  return v;
}

Pin read_pin() {
  std::ifstream in(env("CARDCTL_TEST_PIN_FILE"));
  SecureString line;
  std::getline(in, line);
  if (line.empty()) throw Error(ErrorKind::usage, "the PIN file is empty");
  return Pin::from_text(line);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: pkcs11_probe MODULE URI generate|import|cmac HEX|attributes\n";
    return 2;
  }
  std::string op = argv[3];
  try {
    auto token = store::Pkcs11Token::open(argv[1], std::string(argv[2]), read_pin());
    if (op == "generate") {
      token.generate_key();
    } else if (op == "import") {
      token.import_key(secure_from_hex(env("CARDCTL_TEST_KEY_HEX")));
    } else if (op == "cmac" && argc == 5) {
      std::cout << to_hex(token.cmac(from_hex(argv[4]))) << "\n";
    } else if (op == "attributes") {
      auto a = token.key_attributes();
      std::cout << "sensitive=" << a.sensitive << " extractable=" << a.extractable
                << " never_extractable=" << a.never_extractable << " value_length=" << a.value_length << "\n";
    } else {
      std::cerr << "pkcs11_probe: unknown operation " << op << "\n";
      return 2;
    }
  } catch (const Error& e) {
    std::cerr << "error: " << to_string(e.kind()) << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}
