// The Redis Lua scripts of lua/, embedded in every binary at build time
// (lua/embed_scripts.cmake generates the table from the files, with
// lua/lib/gate.lua prepended to each), so a process never reads scripts from
// disk and always runs exactly the text it was built and tested with. The
// SHA1 is computed at build time too, so EVALSHA works before any SCRIPT LOAD
// has succeeded (Redis down at start-up).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace turnstile {

struct LuaScript {
  absl::string_view name;    // file stem, e.g. "stock_reserve"
  absl::string_view source;  // the full text loaded into Redis
  absl::string_view sha1;    // lower-case hex SHA1 of source (= SCRIPT LOAD)
};

// Every embedded script, ordered by name. Defined in the generated source.
absl::Span<const LuaScript> EmbeddedLuaScripts();

// The embedded script called `name`, or nullptr.
const LuaScript* FindLuaScript(absl::string_view name);

// The embedded script called `name`; aborts if there is none. The table is
// generated from lua/, so a missing script is a build error in practice and
// failing hard at first use is right.
inline const LuaScript& RequiredLuaScript(absl::string_view name) {
  const LuaScript* script = FindLuaScript(name);
  if (script == nullptr) {
    std::fprintf(stderr, "embedded Lua script %s missing\n",
                 std::string(name).c_str());
    std::abort();
  }
  return *script;
}

}  // namespace turnstile
