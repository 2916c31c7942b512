// `cardctl issue --batch FILE`: one card per listed holder, over every reader at once (cardctl-issue(1), BATCH).
#pragma once

#include "issue.hpp"

namespace cardctl::cli {

void run_issue_batch(IssueOptions& options, Context& ctx);

}  // namespace cardctl::cli
