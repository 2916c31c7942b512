// `cardctl puc export`: delivers escrowed PUKs to their holders (cardctl-puc(1), EXPORT): encrypted to the holder's
// certificate (CMS), as printable PIN-mailer pages, or as JSON for an organisation's own mailer.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "site_options.hpp"

namespace cardctl::cli {

struct PucExportOptions {
  SiteOptions site;
  std::vector<std::string> cards;
  std::string holder;
  std::string format;  // cms | mailer | json
  std::string out;     // a directory, or "-" for stdout (mailer, json)
  std::optional<std::string> recipient;  // cms: a PEM (or DER) certificate instead of the card's own
  bool pem = false;    // cms: PEM instead of DER
  bool force = false;  // replace existing files
};

/// Adds `export` to the `puc` command.
void setup_puc_export(CLI::App& puc, Context& ctx);
void run_puc_export(const PucExportOptions& options, Context& ctx);

}  // namespace cardctl::cli
