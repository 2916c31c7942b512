#include <fstream>
#include <map>
#include <set>
#include <toml++/toml.h>

#include "cardctl/audit.hpp"
#include "cardctl/batch.hpp"
#include "cardctl/error.hpp"

namespace cardctl::lifecycle {

namespace {

constexpr const char* kColumns[] = {"holder", "name", "email", "template", "reader"};

bool known_column(const std::string& c) {
  for (const char* k : kColumns)
    if (c == k) return true;
  return false;
}

std::string trimmed(std::string_view s) {
  auto a = s.find_first_not_of(" \t\r");
  if (a == std::string_view::npos) return "";
  auto b = s.find_last_not_of(" \t\r");
  return std::string(s.substr(a, b - a + 1));
}

// One CSV record (RFC 4180: quoted fields, "" for a quote, commas and newlines inside quotes). Advances pos
// past the record and counts the lines it spans. false at the end of the text.
bool next_record(std::string_view text, std::size_t& pos, int& line, std::vector<std::string>& fields, std::string& error) {
  fields.clear();
  error.clear();
  if (pos >= text.size()) return false;
  std::string field;
  bool quoted = false, was_quoted = false;
  while (pos < text.size()) {
    char c = text[pos++];
    if (quoted) {
      if (c == '"' && pos < text.size() && text[pos] == '"') {
        field.push_back('"');
        ++pos;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
    } else if (c == '"' && trimmed(field).empty()) {
      quoted = was_quoted = true;
      field.clear();
    } else if (c == ',') {
      fields.push_back(was_quoted ? field : trimmed(field));
      field.clear();
      was_quoted = false;
    } else if (c == '\r' && pos < text.size() && text[pos] == '\n') {
      continue;  // CRLF, as spreadsheets on Windows write it
    } else if (c == '\n') {
      ++line;
      fields.push_back(was_quoted ? field : trimmed(field));
      return true;
    } else {
      field.push_back(c);
    }
  }
  if (quoted) error = "a quoted field is not closed";
  fields.push_back(was_quoted ? field : trimmed(field));
  return true;
}

struct Checker {
  const std::string& source;
  const policy::Policy& policy;
  const std::string& default_template;
  BatchFile out;
  std::map<std::string, int> seen;  // holder -> first line

  void problem(int line, const std::string& key, const std::string& message) {
    out.problems.push_back({source, line, key, message});
  }
  void add(BatchRow row) {
    std::size_t before = out.problems.size();
    if (row.template_name.empty()) row.template_name = default_template;
    if (row.holder_id.empty()) problem(row.line, "holder", "is empty");
    for (unsigned char c : row.holder_id + row.name + row.email)
      if (c < 0x20 || c == 0x7f) {
        problem(row.line, "holder", "contains a control character");
        break;
      }
    if (!store::is_utf8_text(row.holder_id + row.name + row.email))
      problem(row.line, "holder", "is not UTF-8 text (save the file as UTF-8)");
    if (row.template_name.empty())
      problem(row.line, "template", "is empty, and no --template gives a default");
    else if (!policy.templates.count(row.template_name))
      problem(row.line, "template", "no card template '" + row.template_name + "' in the policy");
    if (!row.holder_id.empty()) {
      auto [it, fresh] = seen.emplace(row.holder_id, row.line);
      if (!fresh) problem(row.line, "holder", "holder " + row.holder_id + " is listed already on line " + std::to_string(it->second));
    }
    if (out.problems.size() == before) out.rows.push_back(std::move(row));
  }
};

}  // namespace

BatchFile parse_batch_csv(std::string_view text, const std::string& source, const policy::Policy& policy,
                          const std::string& default_template) {
  Checker check{source, policy, default_template, {}, {}};
  std::size_t pos = 0;
  int line = 1;
  std::vector<std::string> fields;
  std::string error;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;  // a byte order mark, as spreadsheets write it
  std::vector<std::string> header;
  int header_line = line;
  if (!next_record(text, pos, line, header, error) || (header.size() == 1 && header[0].empty())) {
    check.problem(header_line, "header", "the file is empty; it needs a header row such as: holder,name,email,template");
    return std::move(check.out);
  }
  std::map<std::string, std::size_t> column;
  for (std::size_t i = 0; i < header.size(); ++i) {
    std::string c = header[i];
    if (c == "holder_id" || c == "id") c = "holder";
    if (!known_column(c)) check.problem(header_line, c, "unknown column (known: holder, name, email, template, reader)");
    else if (column.count(c)) check.problem(header_line, c, "the column is listed twice");
    else column[c] = i;
  }
  if (!column.count("holder")) check.problem(header_line, "holder", "the header has no holder column");
  if (!check.out.problems.empty()) return std::move(check.out);
  for (;;) {
    int start = line;
    if (!next_record(text, pos, line, fields, error)) break;
    if (fields.size() == 1 && fields[0].empty()) continue;  // a blank line
    if (!error.empty()) {
      check.problem(start, "row", error);
      break;
    }
    if (fields.size() != header.size()) {
      check.problem(start, "row", "has " + std::to_string(fields.size()) + " fields, the header has " + std::to_string(header.size()));
      continue;
    }
    BatchRow row;
    row.line = start;
    auto get = [&](const char* c) { return column.count(c) ? fields[column[c]] : std::string(); };
    row.holder_id = get("holder");
    row.name = get("name");
    row.email = get("email");
    row.template_name = get("template");
    row.reader = get("reader");
    check.add(std::move(row));
  }
  return std::move(check.out);
}

BatchFile parse_batch_toml(std::string_view text, const std::string& source, const policy::Policy& policy,
                           const std::string& default_template) {
  Checker check{source, policy, default_template, {}, {}};
  toml::table doc;
  try {
    doc = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    check.problem(static_cast<int>(e.source().begin.line), "toml", std::string(e.description()));
    return std::move(check.out);
  }
  for (auto&& [k, v] : doc)
    if (k.str() != "holders")
      check.problem(static_cast<int>(v.source().begin.line), std::string(k.str()), "unknown key (the file lists [[holders]])");
  const toml::array* holders = doc["holders"].as_array();
  if (holders == nullptr) {
    check.problem(1, "holders", "no [[holders]] tables");
    return std::move(check.out);
  }
  for (const auto& node : *holders) {
    int line = static_cast<int>(node.source().begin.line);
    const toml::table* t = node.as_table();
    if (t == nullptr) {
      check.problem(line, "holders", "must be a table ([[holders]])");
      continue;
    }
    BatchRow row;
    row.line = line;
    bool ok = true;
    for (auto&& [k, v] : *t) {
      std::string key(k.str());
      if (key == "holder_id" || key == "id") key = "holder";
      if (!known_column(key)) {
        check.problem(static_cast<int>(v.source().begin.line), key, "unknown key (known: holder, name, email, template, reader)");
        ok = false;
        continue;
      }
      std::string value;
      if (auto s = v.value<std::string>()) value = *s;
      else if (auto i = v.value<std::int64_t>(); i && key == "holder") value = std::to_string(*i);
      else {
        check.problem(static_cast<int>(v.source().begin.line), key, "must be a string");
        ok = false;
        continue;
      }
      (key == "holder" ? row.holder_id : key == "name" ? row.name : key == "email" ? row.email
                       : key == "template" ? row.template_name : row.reader) = trimmed(value);
    }
    if (ok) check.add(std::move(row));
  }
  return std::move(check.out);
}

BatchFile read_batch_file(const std::string& path, const policy::Policy& policy, const std::string& default_template) {
  constexpr std::size_t kMax = 64u << 20;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::not_found, "cannot read the batch file " + path, "check the path");
  std::string text;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {  // bounded: a device or a huge file is refused, not slurped
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMax) throw Error(ErrorKind::usage, "the batch file " + path + " is over 64 MiB", "split it");
  }
  if (in.bad()) throw Error(ErrorKind::io, "reading the batch file " + path + " failed", "check the file");
  bool toml = path.size() >= 5 && path.compare(path.size() - 5, 5, ".toml") == 0;
  return toml ? parse_batch_toml(text, path, policy, default_template) : parse_batch_csv(text, path, policy, default_template);
}

}  // namespace cardctl::lifecycle
