// The last-try rule (lifecycle/tries.hpp, docs/architecture.md#tries-and-irreversible-steps): a blocked reference is
// refused even with force; without force, a try that may block the reference, and a PUK try whose counter the card
// cannot tell, are refused; a PIN whose count is unknown is not; a use case's own wording replaces the default.
#include <doctest/doctest.h>

#include "cardctl/error.hpp"
#include "cardctl/tries.hpp"

using namespace cardctl;
using lifecycle::check_last_try;
using lifecycle::Reference;

namespace {
piv::RetryInfo left(int n) { return piv::RetryInfo{n, 3, std::nullopt}; }

ErrorKind refusal(const piv::RetryInfo& t, Reference r, bool force, int at_risk = 1) {
  try {
    check_last_try(t, r, force, at_risk);
  } catch (const Error& e) {
    CHECK_FALSE(e.hint().empty());
    return e.kind();
  }
  return ErrorKind::internal;  // not refused
}
}  // namespace

TEST_CASE("check_last_try: blocked, last try, unknown counter") {
  CHECK(refusal(left(0), Reference::pin, false) == ErrorKind::blocked);
  CHECK(refusal(left(0), Reference::puk, true) == ErrorKind::blocked);
  CHECK(refusal(left(1), Reference::pin, false) == ErrorKind::policy);
  CHECK(refusal(left(1), Reference::pin, true) == ErrorKind::internal);
  CHECK(refusal(left(2), Reference::puk, false) == ErrorKind::internal);
  CHECK(refusal(left(-1), Reference::puk, false) == ErrorKind::policy);
  CHECK(refusal(left(-1), Reference::puk, true) == ErrorKind::internal);
  CHECK(refusal(left(-1), Reference::pin, false) == ErrorKind::internal);
  // A step that may spend two wrong tries needs three left.
  CHECK(refusal(left(2), Reference::puk, false, 2) == ErrorKind::policy);
  CHECK(refusal(left(3), Reference::puk, false, 2) == ErrorKind::internal);
}

TEST_CASE("check_last_try: the default messages, and a use case's own") {
  try {
    check_last_try(left(1), Reference::puk, false);
    FAIL("not refused");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "the PUK has 1 try left; a wrong PUK now blocks it");
    CHECK(e.hint() == "make sure of the PUK, then run again with --force");
  }
  lifecycle::TryRefusals own;
  own.blocked = "gone";
  own.blocked_hint = "issue again";
  try {
    check_last_try(left(0), Reference::puk, false, 1, own);
    FAIL("not refused");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "gone");
    CHECK(e.hint() == "issue again");
  }
}
