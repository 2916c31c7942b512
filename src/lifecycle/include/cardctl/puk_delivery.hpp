// Layer 9: delivering escrowed PUKs to their holders (`cardctl puc export`, cardctl-puc(1), EXPORT): encrypted to
// the holder's certificate (CMS EnvelopedData), as printable PIN-mailer pages, or as one JSON document for an
// organisation's own mailer. Every PUK is read and every message built before anything is written, and each card
// is audited as "puc" "exported" once its PUK has left (never the PUK itself). No terminal I/O.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cardctl/bytes.hpp"
#include "cardctl/secret.hpp"
#include "cardctl/site.hpp"

namespace cardctl::lifecycle {

enum class PukFormat { cms, mailer, json };
/// "cms", "mailer", "json": the --format value, and what the audit entry records.
const char* to_string(PukFormat format);

struct PukExportRequest {
  std::vector<std::string> cards;  // these cards, or
  std::string holder;              // every active or pending card of this holder
  PukFormat format = PukFormat::cms;
  std::string out;                 // a directory (created 0700), or "-": the caller prints (mailer, json)
  std::optional<Bytes> recipient;  // cms: this certificate (DER) instead of each card's own (9d, else 9a)
  bool pem = false;                // cms: PEM instead of DER
  bool force = false;              // replace existing files
  std::string operator_name;
};

/// One card's PUK as it leaves: the file it goes to ("-" for stdout) and what is written there.
struct PukDelivery {
  std::string card_id;
  std::string holder_id;
  std::string recipient;  // cms: the certificate's subject
  std::string file;
  SecureBytes data;       // the message, the page, or (json) empty: the document holds every card
};

struct PukExport {
  std::vector<PukDelivery> cards;  // in the order asked (a holder's: the inventory's)
  SecureBytes document;            // json: the one document for every card
  /// What goes to stdout when out is "-": the document, or the pages separated by form feeds.
  SecureBytes printed() const;
};

/// Selects the cards (Error(not_found) for an unknown card or holder, Error(policy) for a revoked or retired
/// card, or a holder with no active or pending card), reads every escrowed PUK (Error(not_found) when a card
/// has none), and builds every message (cms: Error(not_found) when a card has no certificate and no recipient
/// is given; Error(usage) when one recipient would receive several holders' PUKs). Existing files are
/// Error(conflict) unless force. Writes nothing.
PukExport prepare_puk_export(Site& site, const PukExportRequest& request);

/// Writes the files (0600, atomically), each card audited as exported once its file is written: an interrupted
/// run leaves only audited files. When the audit cannot be written, the file is removed again and Error(io)
/// says so. For out "-", use record_puk_export after printing.
void write_puk_export(Site& site, const PukExportRequest& request, const PukExport& exported);

/// out "-": audits every card as exported, once the caller has printed PukExport::printed() and flushed it.
void record_puk_export(Site& site, const PukExportRequest& request, const PukExport& exported);

}  // namespace cardctl::lifecycle
