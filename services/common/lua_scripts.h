// The Redis Lua scripts of lua/, embedded in every binary at build time
// (lua/embed_scripts.cmake generates the table from the files, with
// lua/lib/gate.lua prepended to each), so a process never reads scripts from
// disk and always runs exactly the text it was built and tested with. The
// SHA1 is computed at build time too, so EVALSHA works before any SCRIPT LOAD
// has succeeded (Redis down at start-up).
#pragma once

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

}  // namespace turnstile
