#include "cardctl/files.hpp"

#include <cerrno>
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

void write_atomic(const std::string& path, ByteView data, mode_t mode) {
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
  if (::rename(tmp.path.c_str(), path.c_str()) != 0) throw Error(ErrorKind::io, "writing " + path + ": " + cause());
  tmp.keep = true;
  int dir = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

namespace {
template <class Buffer>
Buffer read_into(const std::string& path, bool secret) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) throw Error(ErrorKind::not_found, path + ": no such file");
    throw Error(ErrorKind::io, "reading " + path + ": " + cause());
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw Error(ErrorKind::io, "reading " + path + ": " + cause());
  }
  if (secret && (st.st_mode & 077) != 0) {
    ::close(fd);
    throw Error(ErrorKind::usage, path + " holds a secret but others can read it",
                "chmod 600 " + path);
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

Bytes read(const std::string& path) { return read_into<Bytes>(path, false); }
SecureBytes read_secret(const std::string& path) { return read_into<SecureBytes>(path, true); }

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace cardctl::files
