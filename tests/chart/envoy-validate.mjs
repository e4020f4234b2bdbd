// A strict validator of Envoy v3 configuration (the chart's bootstrap and SDS
// files) against Envoy's own API protos, as shipped by the npm package
// @grpc/grpc-js-xds under deps/ (envoy-api, xds, googleapis,
// protoc-gen-validate). No Envoy binary is installable here, so this is the
// nearest check to "Envoy would load it": every key must be a field of the
// message (its proto or JSON name), scalars of the right type, enum names
// valid, nested messages checked recursively, google.protobuf.Any resolved by
// its @type to a loaded message (an unknown @type is an error), Duration as
// "1.5s" strings, wrapper types as plain values, Struct/Value free-form, at
// most one field of a oneof (exactly one when the proto marks the oneof
// validate.required), message fields marked `required` present, and no
// deprecated field. It does not check protoc-gen-validate's value rules
// (lengths, ranges, patterns) nor what Envoy checks only at run time.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import protobuf from "protobufjs";

const require = createRequire(import.meta.url);
const deps = join(dirname(require.resolve("@grpc/grpc-js-xds/package.json")), "deps");
const includeDirs = [
  join(deps, "envoy-api"),
  join(deps, "xds"),
  join(deps, "googleapis"),
  join(deps, "protoc-gen-validate"),
  dirname(require.resolve("protobufjs/package.json")), // google/protobuf/descriptor.proto
];

// The bootstrap and every extension the chart's config names by @type.
export const protoFiles = [
  "envoy/config/bootstrap/v3/bootstrap.proto",
  "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto",
  "envoy/extensions/filters/http/header_mutation/v3/header_mutation.proto",
  "envoy/extensions/filters/http/health_check/v3/health_check.proto",
  "envoy/extensions/filters/http/cors/v3/cors.proto",
  "envoy/extensions/filters/http/grpc_web/v3/grpc_web.proto",
  "envoy/extensions/filters/http/jwt_authn/v3/config.proto",
  "envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto",
  "envoy/extensions/filters/http/router/v3/router.proto",
  "envoy/extensions/access_loggers/stream/v3/stream.proto",
  "envoy/extensions/transport_sockets/tls/v3/tls.proto",
  "envoy/extensions/transport_sockets/tls/v3/secret.proto",
  "envoy/extensions/upstreams/http/v3/http_protocol_options.proto",
  "envoy/service/discovery/v3/discovery.proto",
];

let cached = null;
export function envoyRoot() {
  if (cached) return cached;
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    for (const dir of includeDirs) {
      const p = join(dir, target);
      if (existsSync(p)) return p;
    }
    return target; // protobufjs' bundled google/protobuf/*.proto
  };
  root.loadSync(protoFiles, { keepCase: true, alternateCommentMode: false });
  root.resolveAll();
  cached = root;
  return root;
}

const camel = (s) => s.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const INT32 = new Set(["int32", "sint32", "sfixed32"]);
const UINT32 = new Set(["uint32", "fixed32"]);
const INT64 = new Set(["int64", "sint64", "sfixed64", "uint64", "fixed64"]);
const WRAPPERS = {
  "google.protobuf.BoolValue": "bool",
  "google.protobuf.StringValue": "string",
  "google.protobuf.BytesValue": "bytes",
  "google.protobuf.Int32Value": "int32",
  "google.protobuf.UInt32Value": "uint32",
  "google.protobuf.Int64Value": "int64",
  "google.protobuf.UInt64Value": "uint64",
  "google.protobuf.DoubleValue": "double",
  "google.protobuf.FloatValue": "float",
};

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

function checkScalar(type, v, at, errors) {
  const bad = (what) => errors.push(`${at}: expected ${what}, got ${JSON.stringify(v)}`);
  if (type === "string") {
    if (typeof v !== "string") bad("a string");
  } else if (type === "bool") {
    if (typeof v !== "boolean") bad("a boolean");
  } else if (type === "bytes") {
    if (typeof v !== "string" || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) bad("base64 bytes");
  } else if (INT32.has(type) || UINT32.has(type)) {
    const n = typeof v === "string" && /^-?\d+$/.test(v) ? Number(v) : v;
    const lo = UINT32.has(type) ? 0 : -(2 ** 31);
    const hi = UINT32.has(type) ? 2 ** 32 - 1 : 2 ** 31 - 1;
    if (!Number.isInteger(n) || n < lo || n > hi) bad(`a ${type}`);
  } else if (INT64.has(type)) {
    const ok = (typeof v === "number" && Number.isInteger(v)) || (typeof v === "string" && /^-?\d+$/.test(v));
    if (!ok || (type.startsWith("u") || type === "fixed64") && String(v).startsWith("-")) bad(`a ${type}`);
  } else if (type === "double" || type === "float") {
    if (typeof v !== "number" && !["NaN", "Infinity", "-Infinity"].includes(v)) bad("a number");
  } else {
    errors.push(`${at}: unknown scalar type ${type}`);
  }
}

function checkValue(root, field, v, at, errors) {
  const t = field.resolvedType;
  if (t instanceof protobuf.Enum) {
    const ok = typeof v === "string" ? Object.hasOwn(t.values, v) : Object.values(t.values).includes(v);
    if (!ok) errors.push(`${at}: ${JSON.stringify(v)} is not a value of enum ${t.fullName.slice(1)}`);
  } else if (t instanceof protobuf.Type) {
    checkMessage(root, t, v, at, errors);
  } else {
    checkScalar(field.type, v, at, errors);
  }
}

// Checks v as a JSON/YAML rendering of message type `type`; errors collected.
export function checkMessage(root, type, v, at, errors) {
  const name = type.fullName.slice(1);
  if (name in WRAPPERS) return checkScalar(WRAPPERS[name], v, at, errors);
  switch (name) {
    case "google.protobuf.Duration":
      if (typeof v !== "string" || !/^-?\d+(\.\d{1,9})?s$/.test(v)) {
        errors.push(`${at}: a Duration is a string like "1.5s", got ${JSON.stringify(v)}`);
      }
      return;
    case "google.protobuf.Timestamp":
      if (typeof v !== "string" || Number.isNaN(Date.parse(v))) errors.push(`${at}: an RFC 3339 Timestamp`);
      return;
    case "google.protobuf.FieldMask":
      if (typeof v !== "string") errors.push(`${at}: a FieldMask string`);
      return;
    case "google.protobuf.Struct":
      if (!isObject(v)) errors.push(`${at}: a Struct is an object`);
      return;
    case "google.protobuf.Value":
      return;
    case "google.protobuf.ListValue":
      if (!Array.isArray(v)) errors.push(`${at}: a ListValue is an array`);
      return;
    case "google.protobuf.Empty":
      if (!isObject(v) || Object.keys(v).length) errors.push(`${at}: Empty must be {}`);
      return;
    case "google.protobuf.Any": {
      if (!isObject(v) || typeof v["@type"] !== "string") {
        errors.push(`${at}: an Any needs "@type"`);
        return;
      }
      const url = v["@type"];
      const m = /^type\.googleapis\.com\/([A-Za-z0-9_.]+)$/.exec(url);
      let inner = null;
      try {
        inner = m && root.lookupType(m[1]);
      } catch {
        inner = null;
      }
      if (!inner) {
        errors.push(`${at}: @type ${url} is not a loaded Envoy API message`);
        return;
      }
      const { "@type": _, ...rest } = v;
      checkMessage(root, inner, rest, `${at}<${m[1]}>`, errors);
      return;
    }
  }
  if (!isObject(v)) {
    errors.push(`${at}: expected a ${name} object, got ${JSON.stringify(v)}`);
    return;
  }
  const byName = new Map();
  for (const f of type.fieldsArray) {
    byName.set(f.name, f);
    byName.set(camel(f.name), f);
  }
  const seen = new Set();
  for (const [key, value] of Object.entries(v)) {
    const f = byName.get(key);
    const here = `${at}.${key}`;
    if (!f) {
      errors.push(`${here}: no field "${key}" in ${name}`);
      continue;
    }
    if (seen.has(f.name)) errors.push(`${here}: field given twice (proto and JSON name)`);
    seen.add(f.name);
    if (f.options?.deprecated) errors.push(`${here}: deprecated field of ${name}`);
    if (value === null) {
      errors.push(`${here}: null`);
      continue;
    }
    if (f.map) {
      if (!isObject(value)) {
        errors.push(`${here}: a map is an object`);
        continue;
      }
      for (const [k, item] of Object.entries(value)) {
        if (f.keyType !== "string") checkScalar(f.keyType, k, `${here}[${k}] key`, errors);
        checkValue(root, f, item, `${here}[${k}]`, errors);
      }
    } else if (f.repeated) {
      if (!Array.isArray(value)) {
        errors.push(`${here}: a repeated field is an array`);
        continue;
      }
      value.forEach((item, i) => checkValue(root, f, item, `${here}[${i}]`, errors));
    } else {
      checkValue(root, f, value, here, errors);
    }
  }
  for (const o of type.oneofsArray) {
    const set = o.fieldsArray.filter((f) => seen.has(f.name)).map((f) => f.name);
    if (set.length > 1) errors.push(`${at}: oneof ${o.name} of ${name} has ${set.join(" and ")}`);
    if (set.length === 0 && o.options?.["(validate.required)"]) {
      errors.push(`${at}: oneof ${o.name} of ${name} is required`);
    }
  }
  for (const f of type.fieldsArray) {
    // (A oneof member's `required` only says "when chosen, not empty".)
    if (!seen.has(f.name) && !f.partOf && f.options?.["(validate.rules).message.required"]) {
      errors.push(`${at}.${f.name}: required field of ${name}`);
    }
  }
}

// Validates `config` (parsed JSON/YAML) as message `typeName`; returns the
// list of errors (empty when valid).
export function validateEnvoy(typeName, config) {
  const root = envoyRoot();
  const errors = [];
  checkMessage(root, root.lookupType(typeName), config, typeName.split(".").pop(), errors);
  return errors;
}
