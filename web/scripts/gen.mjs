// Generates the protobuf-es code of the Turnstile API and of google.rpc's
// Status and error details into src/gen/ with Debian's protoc and the
// protoc-gen-es plugin from node_modules. The output is never edited by hand
// and never committed: `npm run gen` recreates it from ../proto.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const web = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const protoRoot = resolve(web, "../proto");
// Debian golang-github-gogo-googleapis-dev ships google/rpc/*.proto; the
// well-known types (google/protobuf/*.proto) come with protoc in /usr/include.
// CMake passes the directories it found (web.cmake) through the environment.
const googleapis =
  process.env.GOOGLEAPIS_PROTO_DIR || "/usr/share/gocode/src/github.com/gogo/googleapis";
const wellKnown = process.env.PROTOBUF_PROTO_DIR || "/usr/include";
const protoc = process.env.PROTOC || "protoc";
const plugin = join(web, "node_modules/.bin/protoc-gen-es");
const out = join(web, "src/gen");

for (const [path, hint] of [
  [plugin, "run npm ci in web/"],
  [
    join(googleapis, "google/rpc/error_details.proto"),
    "apt-get install golang-github-gogo-googleapis-dev",
  ],
  [join(wellKnown, "google/protobuf/duration.proto"), "apt-get install libprotobuf-dev"],
]) {
  if (!existsSync(path)) {
    console.error(`gen: ${path} is missing (${hint})`);
    process.exit(1);
  }
}

const turnstile = readdirSync(join(protoRoot, "turnstile/v1"))
  .filter((name) => name.endsWith(".proto"))
  .sort()
  .map((name) => `turnstile/v1/${name}`);
const rpc = ["google/rpc/status.proto", "google/rpc/error_details.proto"];

// A stale file of a removed .proto must not linger.
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
execFileSync(
  protoc,
  [
    `--plugin=protoc-gen-es=${plugin}`,
    `--es_out=${out}`,
    "--es_opt=target=js+dts,import_extension=js",
    `-I${protoRoot}`,
    `-I${googleapis}`,
    `-I${wellKnown}`,
    ...turnstile,
    ...rpc,
  ],
  { stdio: "inherit" },
);
console.log(`gen: ${turnstile.length + rpc.length} files -> ${out}`);
