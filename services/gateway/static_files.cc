#include "services/gateway/static_files.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

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
  struct stat st;
  if (stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("--static_dir ", dir, " is not a directory"));
  }
  StaticFiles files;
  files.root_ = real;
  files.max_file_bytes_ = max_file_bytes;
  return files;
}

absl::StatusOr<StaticFile> StaticFiles::Load(absl::string_view target) const {
  auto rel = StaticRelativePath(target);
  if (!rel.ok()) return rel.status();
  const std::string full = absl::StrCat(root_, "/", *rel);
  char real[PATH_MAX];
  if (realpath(full.c_str(), real) == nullptr) return NotFound();
  // After symlinks: the file itself must be inside the directory.
  if (!absl::StartsWith(real, absl::StrCat(root_, "/"))) return NotFound();
  const int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return NotFound();
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      st.st_size > max_file_bytes_) {
    close(fd);
    return NotFound();
  }
  StaticFile file;
  file.body.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < file.body.size()) {
    const ssize_t n =
        read(fd, file.body.data() + done, file.body.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  close(fd);
  file.body.resize(done);
  file.content_type = std::string(ContentTypeOf(*rel));
  file.cache_control = std::string(CacheControlOf(*rel));
  file.etag = absl::StrCat("\"", st.st_size, "-", st.st_mtim.tv_sec, "-",
                           st.st_mtim.tv_nsec, "\"");
  return file;
}

}  // namespace turnstile::gateway
