// The web UI's static files (--static_dir): a request target turned into a
// file under the directory and nothing outside it. The target is checked
// before the file system is touched (no "..", no encoded slash or
// backslash, no NUL or control bytes, no dot-files), and the file is opened
// relative to the directory with openat2(RESOLVE_BENEATH), so the kernel
// refuses any path -- symlinks included, at any component, even one swapped
// in meanwhile -- that resolves outside it (kernels without openat2: the
// real path is checked, then the last component opened without following).
// Content types by extension; caching: index.html and other HTML "no-cache" (a
// new deploy is seen at once), fingerprinted build assets under /assets/
// immutable for a year, anything else five minutes; an ETag from size and mtime
// answers If-None-Match with 304.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace turnstile::gateway {

// The relative file path of a request target ("/a/b.js?x=1" -> "a/b.js",
// "/" -> "index.html", "/dir/" -> "dir/index.html"), or NOT_FOUND if the
// target may not name a file. Pure.
absl::StatusOr<std::string> StaticRelativePath(absl::string_view target);

// The Content-Type for a file name, by extension.
absl::string_view ContentTypeOf(absl::string_view path);

// The Cache-Control value for a relative path.
absl::string_view CacheControlOf(absl::string_view path);

struct StaticFile {
  std::string body;  // empty if not read (HEAD, 304)
  int64_t size = 0;
  bool not_modified = false;  // If-None-Match matched the ETag
  std::string content_type;
  std::string cache_control;
  std::string etag;
};

class StaticFiles {
 public:
  // `dir` must exist; files above `max_file_bytes` are not served.
  static absl::StatusOr<StaticFiles> Open(const std::string& dir,
                                          int64_t max_file_bytes);

  StaticFiles(StaticFiles&& other) noexcept;
  StaticFiles& operator=(StaticFiles&&) = delete;
  ~StaticFiles();

  // The file for `target`, or NOT_FOUND (also for anything outside the
  // directory, directories, and special files). The body is read only if
  // `read_body` and `if_none_match` does not match the ETag.
  absl::StatusOr<StaticFile> Load(absl::string_view target,
                                  absl::string_view if_none_match = "",
                                  bool read_body = true) const;

 private:
  StaticFiles() = default;
  int OpenBeneath(const std::string& rel) const;

  std::string root_;  // real path, no trailing slash
  int root_fd_ = -1;  // O_PATH of root_
  int64_t max_file_bytes_ = 0;
};

}  // namespace turnstile::gateway
