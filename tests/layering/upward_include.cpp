// Compiled by tests/layering/CMakeLists.txt twice: linking cardctl_bytes only, where cardctl/piv.hpp (a later
// layer) must not be found, and linking cardctl_piv, where it must.
#include "cardctl/piv.hpp"

namespace {
[[maybe_unused]] constexpr auto kSlot = cardctl::piv::keyref::authentication;
}
