#!/usr/bin/env python3
"""Checks what promtool does not (CTest alerts_rules_lint).

Every alert of the rules file
  - is one of the names other parts rely on, and all of them exist;
  - has labels.severity critical|warning and the annotations summary,
    description and runbook_url;
  - links docs/runbook.md#<alert name lowercased>, and that anchor is a
    heading of the runbook (GitHub's anchor rules);
  - is shown firing (a non-empty exp_alerts) and silent (an empty one) in the
    promtool unit tests.

Usage: lint_rules.py RULES TESTS RUNBOOK
"""
import re
import sys

import yaml

RUNBOOK_PREFIX = "https://github.com/turnstile-mesh/turnstile/blob/main/docs/runbook.md#"
REQUIRED = {
    "TurnstileBranchesStuck",
    "TurnstileTransactionsOverdue",
    "TurnstileRetryStorm",
    "TurnstileReconcileDriftRepaired",
    "TurnstileGateUnavailable",
    "TurnstileDbPoolSaturated",
    "TurnstileRpcErrorRatioHigh",
    "TurnstilePlaceOrderLatencyHigh",
    "TurnstileCertificateExpiringSoon",
    "TurnstileCoordinatorNotClaiming",
}


def github_anchor(heading):
    """The id GitHub gives a Markdown heading."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def runbook_anchors(path):
    anchors = set()
    in_code = False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("```"):
                in_code = not in_code
                continue
            m = None if in_code else re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
            if m:
                anchors.add(github_anchor(m.group(1)))
    return anchors


def main(rules_path, tests_path, runbook_path):
    with open(rules_path, encoding="utf-8") as f:
        rules = yaml.safe_load(f)
    with open(tests_path, encoding="utf-8") as f:
        tests = yaml.safe_load(f)
    anchors = runbook_anchors(runbook_path)

    fired, silent = set(), set()
    for case in tests.get("tests", []):
        for check in case.get("alert_rule_test", []) or []:
            (fired if check.get("exp_alerts") else silent).add(check["alertname"])

    errors = []
    names = []
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "alert" not in rule:
                continue  # recording rule
            name = rule["alert"]
            names.append(name)
            where = f"{group['name']}/{name}"
            labels = rule.get("labels") or {}
            notes = rule.get("annotations") or {}
            if labels.get("severity") not in ("critical", "warning"):
                errors.append(f"{where}: labels.severity must be critical or warning")
            for key in ("summary", "description", "runbook_url"):
                if not str(notes.get(key, "")).strip():
                    errors.append(f"{where}: no annotations.{key}")
            url = notes.get("runbook_url", "")
            if url != RUNBOOK_PREFIX + name.lower():
                errors.append(f"{where}: runbook_url must be {RUNBOOK_PREFIX}{name.lower()}, is {url!r}")
            if name.lower() not in anchors:
                errors.append(f"{where}: {runbook_path} has no heading with anchor #{name.lower()}")
            if name not in fired:
                errors.append(f"{where}: no test in {tests_path} shows it firing (non-empty exp_alerts)")
            if name not in silent:
                errors.append(f"{where}: no test in {tests_path} shows it silent (exp_alerts: [])")

    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        errors.append(f"alerts defined twice: {sorted(duplicates)}")
    missing = REQUIRED - set(names)
    if missing:
        errors.append(f"required alerts missing: {sorted(missing)}")
    unknown = (fired | silent) - set(names)
    if unknown:
        errors.append(f"tests name alerts that do not exist: {sorted(unknown)}")

    for e in errors:
        print("error:", e, file=sys.stderr)
    if errors:
        return 1
    print(f"{len(names)} alerts: severity, summary, description, runbook anchor and "
          f"firing/silent tests all present")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
