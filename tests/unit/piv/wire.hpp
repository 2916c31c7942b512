// Shared by the PIV wire tests: the SELECT exchange every session opens with, and "this must throw" (the cli
// tests' expect_error, reused rather than written again).
#pragma once

#include "../cli/helpers.hpp"

namespace piv_test {

/// SELECT with the 5-byte PIV AID and Le 00, and the YubiKey's answer (docs/protocol.md#select).
inline constexpr const char* kSelect = "00A4040005A00000030800";
inline constexpr const char* kSelectOk = "61114F0600001000010079074F05A000000308 9000";

using cli_test::expect_error;

}  // namespace piv_test
