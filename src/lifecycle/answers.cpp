#include "cardctl/answers.hpp"

#include "cardctl/files.hpp"

namespace cardctl::lifecycle {

std::map<std::string, SecureString> parse_answers(ByteView text) {
  std::map<std::string, SecureString> answers;
  SecureString line;
  auto flush = [&] {
    auto colon = line.find(':');
    if (colon != SecureString::npos) {
      SecureString id = line.substr(0, colon), answer = line.substr(colon + 1);
      answers[std::string(id.begin(), id.end())] = answer;
    }
    line.clear();
  };
  for (auto b : text) {
    if (b == '\n') flush();
    else line.push_back(static_cast<char>(b));
  }
  flush();
  return answers;
}

std::map<std::string, SecureString> read_answers_file(const std::string& path) {
  const SecureBytes text = files::read_secret(path);
  return parse_answers(text);
}

}  // namespace cardctl::lifecycle
