// The console's list of alert rules against the chart's rules file: same
// rules in the same order with the same severity, `for:` and metrics, and
// the expressions the console evaluates really are in the rules.
import { describe, expect, it } from "vitest";

// The file's text (Vite's ?raw import; raw.d.ts types it).
import RULES_TEXT from "../../../helm/turnstile/files/prometheus-rules.yaml?raw";
import { ALERT_RULES, evaluateAlerts, factsOf } from "../src/logic/alerts.js";

interface FileRule {
  name: string;
  expr: string;
  for: string;
  severity: string;
}

/**
 * The rules of the file: each "- alert:" item's expr block, for and
 * severity (the file's own layout: two-space YAML, `expr: |` blocks; a
 * change of layout fails the checks below rather than passing them).
 */
function fileRules(): FileRule[] {
  const lines = RULES_TEXT.split("\n");
  const rules: FileRule[] = [];
  let current: FileRule | undefined;
  let inExpr = false;
  let exprIndent = 0;
  for (const line of lines) {
    const indent = line.length - line.trimStart().length;
    const t = line.trim();
    const alert = /^- alert:\s*(\S+)$/.exec(t);
    if (alert) {
      current = { name: alert[1], expr: "", for: "", severity: "" };
      rules.push(current);
      inExpr = false;
      continue;
    }
    if (!current) continue;
    if (inExpr) {
      if (t === "" || indent > exprIndent) {
        current.expr += `${t}\n`;
        continue;
      }
      inExpr = false;
    }
    if (t === "expr: |") {
      inExpr = true;
      exprIndent = indent;
    } else if (t.startsWith("expr:")) {
      current.expr = t.slice(5).trim();
    } else if (t.startsWith("for:")) {
      current.for = t.slice(4).trim();
    } else if (t.startsWith("severity:")) {
      current.severity = t.slice(9).trim();
    }
  }
  return rules;
}

const squash = (s: string) => s.replace(/\s+/g, " ").trim();

describe("the console's alert rules", () => {
  const inFile = fileRules();

  it("are the chart's rules, in order", () => {
    expect(inFile.length).toBeGreaterThanOrEqual(10);
    expect(ALERT_RULES.map((r) => r.name)).toEqual(inFile.map((r) => r.name));
  });

  it("have the chart's severity, for and metrics", () => {
    for (const [i, rule] of ALERT_RULES.entries()) {
      const file = inFile[i];
      expect(rule.severity, rule.name).toBe(file.severity);
      expect(rule.for, rule.name).toBe(file.for);
      const metrics = [...new Set(file.expr.match(/turnstile_[a-z0-9_]+/g) ?? [])].sort();
      expect([...rule.metrics].sort(), rule.name).toEqual(metrics);
    }
  });

  it("evaluate what the rules say", () => {
    for (const [i, rule] of ALERT_RULES.entries()) {
      if (rule.evaluated) {
        expect(squash(inFile[i].expr), rule.name).toContain(squash(rule.evaluated.exprPart));
      } else {
        expect(rule.elsewhere, rule.name).toBeTruthy();
      }
    }
    expect(ALERT_RULES.filter((r) => r.evaluated).map((r) => r.name)).toEqual([
      "TurnstileBranchesStuck",
      "TurnstileTransactionsOverdue",
      "TurnstileCoordinatorNotClaiming",
    ]);
  });
});

describe("evaluateAlerts", () => {
  const now = 1_700_000_000_000;
  const summary = (stuck: number, overdue: number, lastPassAgoS?: number) => ({
    stuckBranches: BigInt(stuck),
    overdueTransactions: BigInt(overdue),
    recoveryLastPass:
      lastPassAgoS === undefined
        ? undefined
        : { seconds: BigInt(Math.floor((now - lastPassAgoS * 1000) / 1000)), nanos: 0 },
  });
  const statusOf = (views: ReturnType<typeof evaluateAlerts>, name: string) =>
    views.find((v) => v.rule.name === name);

  it("fires nothing on a healthy log", () => {
    const views = evaluateAlerts(factsOf(summary(0, 0, 1), now));
    expect(views.filter((v) => v.status === "firing")).toEqual([]);
    expect(statusOf(views, "TurnstileBranchesStuck")?.text).toBe(
      "Would not fire: 0 branches are stuck.",
    );
    expect(statusOf(views, "TurnstileGateUnavailable")?.status).toBe("unknown");
    expect(statusOf(views, "TurnstileGateUnavailable")?.text).toMatch(/^Not evaluated here: /);
  });

  it("fires the stuck and overdue rules with their for", () => {
    const views = evaluateAlerts(factsOf(summary(1, 3, 2), now));
    expect(statusOf(views, "TurnstileBranchesStuck")).toMatchObject({
      status: "firing",
      text: "Would fire once this holds for 2m: 1 branch is stuck.",
    });
    expect(statusOf(views, "TurnstileTransactionsOverdue")).toMatchObject({
      status: "firing",
      text: "Would fire once this holds for 5m: 3 transactions are overdue.",
    });
    expect(statusOf(views, "TurnstileCoordinatorNotClaiming")?.status).toBe("ok");
  });

  it("fires not-claiming when the recovery loop stopped passing", () => {
    expect(
      statusOf(evaluateAlerts(factsOf(summary(0, 0, 121), now)), "TurnstileCoordinatorNotClaiming")
        ?.status,
    ).toBe("firing");
    expect(
      statusOf(evaluateAlerts(factsOf(summary(0, 0, 119), now)), "TurnstileCoordinatorNotClaiming")
        ?.status,
    ).toBe("ok");
    const never = statusOf(
      evaluateAlerts(factsOf(summary(0, 0), now)),
      "TurnstileCoordinatorNotClaiming",
    );
    expect(never?.status).toBe("firing");
    expect(never?.text).toMatch(/has not completed a recovery pass/);
  });

  it("reads the age of the last pass from the timestamp", () => {
    expect(factsOf(summary(2, 0, 30), now)).toEqual({
      stuckBranches: 2,
      overdueTransactions: 0,
      lastPassAgeSeconds: 30,
    });
  });
});
