#include "services/gateway/static_files.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace turnstile::gateway {
namespace {

absl::Status NotFound() { return absl::NotFoundError("no such file"); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

absl::StatusOr<std::string> StaticRelativePath(absl::string_view target) {
  absl::string_view path = target.substr(0, target.find_first_of("?#"));
  if (path.empty() || path[0] != '/' || path.size() > 1024) return NotFound();
  std::string decoded;
  decoded.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '%') {
      if (i + 2 >= path.size()) return NotFound();
      const int hi = HexValue(path[i + 1]);
      const int lo = HexValue(path[i + 2]);
      if (hi < 0 || lo < 0) return NotFound();
      c = static_cast<char>(hi * 16 + lo);
      // An encoded separator would let "a%2f..%2fb" pass the segment check.
      if (c == '/' || c == '\\') return NotFound();
      i += 2;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\') {
      return NotFound();
    }
    decoded.push_back(c);
  }
  std::string rel;
  for (absl::string_view segment : absl::StrSplit(decoded, '/')) {
    if (segment.empty()) continue;
    // ".." leaves the directory; "." and dot-files (.git, .env) are never
    // part of a build.
    if (segment[0] == '.') return NotFound();
    if (!rel.empty()) rel.push_back('/');
    absl::StrAppend(&rel, segment);
  }
  if (rel.empty() || decoded.back() == '/') {
    if (!rel.empty()) rel.push_back('/');
    rel += "index.html";
  }
  return rel;
}

absl::string_view ContentTypeOf(absl::string_view path) {
  static constexpr std::pair<absl::string_view, absl::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".txt", "text/plain; charset=utf-8"},
      {".wasm", "application/wasm"},
  };
  for (const auto& [ext, type] : kTypes) {
    if (absl::EndsWithIgnoreCase(path, ext)) return type;
  }
  return "application/octet-stream";
}

absl::string_view CacheControlOf(absl::string_view path) {
  if (absl::EndsWithIgnoreCase(path, ".html")) return "no-cache";
  if (absl::StartsWith(path, "assets/")) {
    return "public, max-age=31536000, immutable";
  }
  return "public, max-age=300";
}

absl::StatusOr<StaticFiles> StaticFiles::Open(const std::string& dir,
                                              int64_t max_file_bytes) {
  char real[PATH_MAX];
  if (realpath(dir.c_str(), real) == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("--static_dir ", dir, " does not exist"));
  }
  const int fd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("--static_dir ", dir, " is not a directory"));
  }
  StaticFiles files;
  files.root_ = real;
  if (files.root_ == "/") files.root_.clear();
  files.root_fd_ = fd;
  files.max_file_bytes_ = max_file_bytes;
  return files;
}

StaticFiles::StaticFiles(StaticFiles&& other) noexcept
    : root_(std::move(other.root_)),
      root_fd_(other.root_fd_),
      max_file_bytes_(other.max_file_bytes_) {
  other.root_fd_ = -1;
}

StaticFiles::~StaticFiles() {
  if (root_fd_ >= 0) close(root_fd_);
}

int StaticFiles::OpenBeneath(const std::string& rel) const {
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  const long fd =
      syscall(SYS_openat2, root_fd_, rel.c_str(), &how, sizeof(how));
  if (fd >= 0 || errno != ENOSYS) return static_cast<int>(fd);
  // No openat2 (kernel < 5.6): the real path must be inside, and the last
  // component is opened without following a symlink swapped in since.
  const std::string full = absl::StrCat(root_, "/", rel);
  char real[PATH_MAX];
  if (realpath(full.c_str(), real) == nullptr) return -1;
  if (!absl::StartsWith(real, absl::StrCat(root_, "/"))) return -1;
  return open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

absl::StatusOr<StaticFile> StaticFiles::Load(absl::string_view target,
                                             absl::string_view if_none_match,
                                             bool read_body) const {
  auto rel = StaticRelativePath(target);
  if (!rel.ok()) return rel.status();
  const int fd = OpenBeneath(*rel);
  if (fd < 0) return NotFound();
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      st.st_size > max_file_bytes_) {
    close(fd);
    return NotFound();
  }
  StaticFile file;
  file.size = st.st_size;
  file.content_type = std::string(ContentTypeOf(*rel));
  file.cache_control = std::string(CacheControlOf(*rel));
  file.etag = absl::StrCat("\"", st.st_size, "-", st.st_mtim.tv_sec, "-",
                           st.st_mtim.tv_nsec, "\"");
  file.not_modified = !if_none_match.empty() && if_none_match == file.etag;
  if (read_body && !file.not_modified) {
    file.body.resize(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (done < file.body.size()) {
      const ssize_t n =
          read(fd, file.body.data() + done, file.body.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    file.body.resize(done);
  }
  close(fd);
  return file;
}

}  // namespace turnstile::gateway
