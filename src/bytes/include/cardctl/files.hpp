// Layer 1: files that hold state or secrets. One way to write them: atomically (temp file in the same
// directory, fsync, rename, fsync of the directory), with the mode given, so a crash, a full disk or a
// concurrent reader never sees a partial file.
#pragma once

#include <string>
#include <sys/types.h>

#include "cardctl/bytes.hpp"

namespace cardctl::files {

/// Writes data to path atomically with the given mode (default 0600). Throws Error(io) naming the path and
/// the cause (e.g. "No space left on device"); the original file is untouched on failure and no temp file is
/// left behind.
void write_atomic(const std::string& path, ByteView data, mode_t mode = 0600);

/// write_atomic in two steps, for a replacement that must be recorded elsewhere (the audit trail) between the
/// write and the rename: the constructor writes and syncs a temp file beside path (Error(io) as write_atomic);
/// commit() renames it into place and syncs the directory. Destroyed without a commit, the temp file is removed
/// and path is untouched.
class StagedFile {
 public:
  StagedFile(const std::string& path, ByteView data, mode_t mode = 0600);
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;
  ~StagedFile();
  /// Error(io) naming path and the cause; the temp file is then still removed by the destructor.
  void commit();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string temp_;
  bool committed_ = false;
};

/// Reads a whole file. Error(not_found) when missing, Error(io) otherwise.
Bytes read(const std::string& path);

/// Reads a file that holds a secret; refuses (Error(usage)) one that group or others can read, saying
/// "chmod 600 PATH".
SecureBytes read_secret(const std::string& path);

/// Reads a file that holds protected state (keystore); refuses (Error(io)) one that group or others may read or
/// write, saying "chmod 600 PATH".
Bytes read_private(const std::string& path);

/// Error(io) with the hint "chmod 600 PATH" when group or others have any access to path.
void require_private(const std::string& path, const std::string& what);

/// Creates dir and its missing parents; the leaf gets leaf_mode. Error(io) naming the path and the cause.
void make_dirs(const std::string& dir, mode_t leaf_mode = 0700);

bool exists(const std::string& path);

}  // namespace cardctl::files
