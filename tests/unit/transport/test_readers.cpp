// Reader selection as docs/architecture.md#card-selection describes it: --reader NAME is a case-insensitive substring,
// @NAME is exact, and every match is returned so that the caller can refuse to guess between several.
#include <doctest/doctest.h>

#include "cardctl/transport.hpp"

using namespace cardctl;
using transport::match_readers;
using transport::ReaderInfo;

namespace {
const std::vector<ReaderInfo> kReaders{{"Virtual PCD 00 00", true, {}},
                                       {"Virtual PCD 00 01", false, {}},
                                       {"Yubico YubiKey OTP+FIDO+CCID 00 00", true, {}}};

std::vector<std::string> names(const std::vector<ReaderInfo>& readers) {
  std::vector<std::string> out;
  for (const auto& r : readers) out.push_back(r.name);
  return out;
}
}  // namespace

TEST_CASE("a plain pattern is a case-insensitive substring") {
  CHECK(names(match_readers(kReaders, "yubikey")) == std::vector<std::string>{"Yubico YubiKey OTP+FIDO+CCID 00 00"});
  CHECK(names(match_readers(kReaders, "PCD 00 01")) == std::vector<std::string>{"Virtual PCD 00 01"});
  CHECK(match_readers(kReaders, "gemalto").empty());
}

TEST_CASE("a pattern that matches several readers returns them all, in order") {
  CHECK(names(match_readers(kReaders, "virtual")) ==
        std::vector<std::string>{"Virtual PCD 00 00", "Virtual PCD 00 01"});
  CHECK(match_readers(kReaders, "00 00").size() == 2);
  CHECK(match_readers(kReaders, "").size() == 3);  // no --reader: every reader is a candidate
}

TEST_CASE("@NAME matches the whole name exactly") {
  CHECK(names(match_readers(kReaders, "@Virtual PCD 00 01")) == std::vector<std::string>{"Virtual PCD 00 01"});
  CHECK(match_readers(kReaders, "@Virtual PCD").empty());        // not a substring
  CHECK(match_readers(kReaders, "@virtual pcd 00 01").empty());  // not case-insensitive
  CHECK(match_readers(kReaders, "@").empty());
}

TEST_CASE("sim:PATH names a reference card") {
  CHECK(transport::is_sim_spec("sim:/tmp/card.sim"));
  CHECK(transport::is_sim_spec("sim:card.sim"));
  CHECK_FALSE(transport::is_sim_spec("Virtual PCD 00 00"));
  CHECK_FALSE(transport::is_sim_spec("simulated reader"));
  CHECK_FALSE(transport::is_sim_spec("@sim:card"));
  CHECK_FALSE(transport::is_sim_spec(""));
}
