#include "cardctl/files.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "cardctl/error.hpp"

namespace cardctl::files {

namespace {

std::string cause() { return std::strerror(errno); }

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Closes the fd and removes the temp file unless released.
struct TempFile {
  std::string path;
  int fd = -1;
  bool keep = false;
  ~TempFile() {
    if (fd >= 0) ::close(fd);
    if (!keep && !path.empty()) ::unlink(path.c_str());
  }
};

}  // namespace

StagedFile::StagedFile(const std::string& path, ByteView data, mode_t mode) : path_(path) {
  TempFile tmp;
  std::string pattern = path + ".tmpXXXXXX";
  tmp.fd = ::mkstemp(pattern.data());
  if (tmp.fd < 0) throw Error(ErrorKind::io, "writing " + path + ": " + cause());
  tmp.path = pattern;
  if (::fchmod(tmp.fd, mode) != 0) throw Error(ErrorKind::io, "writing " + path + ": " + cause());
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(tmp.fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorKind::io, "writing " + path + ": " + cause());
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(tmp.fd) != 0) throw Error(ErrorKind::io, "writing " + path + ": " + cause());
  if (::close(tmp.fd) != 0) {
    tmp.fd = -1;
    throw Error(ErrorKind::io, "writing " + path + ": " + cause());
  }
  tmp.fd = -1;
  temp_ = tmp.path;
  tmp.keep = true;  // from here on this object owns it
}

StagedFile::~StagedFile() {
  if (!committed_ && !temp_.empty()) ::unlink(temp_.c_str());
}

void StagedFile::commit() {
  if (committed_) return;
  if (::rename(temp_.c_str(), path_.c_str()) != 0) throw Error(ErrorKind::io, "writing " + path_ + ": " + cause());
  committed_ = true;
  int dir = ::open(directory_of(path_).c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

void write_atomic(const std::string& path, ByteView data, mode_t mode) { StagedFile(path, data, mode).commit(); }

namespace {
enum class Access { any, secret, private_state };

std::string private_problem(const std::string& path, const struct stat& st, const std::string& what) {
  if ((st.st_mode & 077) == 0) return "";
  char mode[8];
  std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
  return what + " " + path + " is open to other users (mode " + mode + ")";
}

template <class Buffer>
Buffer read_into(const std::string& path, Access access) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) throw Error(ErrorKind::not_found, path + ": no such file", "check the path and name of the file");
    throw Error(ErrorKind::io, "reading " + path + ": " + cause());
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw Error(ErrorKind::io, "reading " + path + ": " + cause());
  }
  if (access == Access::secret && (st.st_mode & 077) != 0) {
    ::close(fd);
    throw Error(ErrorKind::usage, path + " holds a secret but others can read it",
                "chmod 600 " + path);
  }
  if (access == Access::private_state) {
    if (auto problem = private_problem(path, st, "the file"); !problem.empty()) {
      ::close(fd);
      throw Error(ErrorKind::io, problem, "check who changed it, then: chmod 600 " + path);
    }
  }
  Buffer out;
  out.reserve(static_cast<std::size_t>(st.st_size));
  std::uint8_t chunk[4096];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      secure_wipe(chunk, sizeof chunk);
      throw Error(ErrorKind::io, "reading " + path + ": " + cause());
    }
    if (n == 0) break;
    out.insert(out.end(), chunk, chunk + n);
  }
  secure_wipe(chunk, sizeof chunk);
  ::close(fd);
  return out;
}
}  // namespace

Bytes read(const std::string& path) { return read_into<Bytes>(path, Access::any); }
SecureBytes read_secret(const std::string& path) { return read_into<SecureBytes>(path, Access::secret); }
Bytes read_private(const std::string& path) { return read_into<Bytes>(path, Access::private_state); }

void require_private(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;  // a missing file is the caller's concern
  if (auto problem = private_problem(path, st, what); !problem.empty())
    throw Error(ErrorKind::io, problem, "check who changed it, then: chmod 600 " + path);
}

void make_dirs(const std::string& dir, mode_t leaf_mode) {
  std::string partial;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    partial = dir.substr(0, pos);
    if (partial.empty() || exists(partial)) continue;
    bool leaf = pos == std::string::npos || dir.find_first_not_of('/', pos) == std::string::npos;
    if (::mkdir(partial.c_str(), leaf ? leaf_mode : 0755) != 0 && errno != EEXIST)
      throw Error(ErrorKind::io, "creating " + partial + ": " + cause(),
                  "create it yourself, or choose another place with --home or CARDCTL_HOME");
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw Error(ErrorKind::io, dir + " is not a directory",
                "choose another place with --home or CARDCTL_HOME");
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace cardctl::files
