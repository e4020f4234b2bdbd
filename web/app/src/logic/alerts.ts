// The alerting rules of the Helm chart (helm/turnstile/files/
// prometheus-rules.yaml) as the operator console knows them, in the file's
// order, and which of them would fire judging by the coordinator's summary
// (Coordinator.GetSummary, the same values as the recovery loop's gauges).
// Rules whose signal the summary does not carry (rates, other services'
// metrics) are listed as not evaluated here. test/alerts.test.ts checks this
// list against the rules file, so the two cannot drift apart.

export type Severity = "critical" | "warning";

export interface AlertRule {
  name: string;
  severity: Severity;
  /** The rule's `for:` ("" if it has none). */
  for: string;
  /** Every turnstile_ metric the rule's expression reads. */
  metrics: string[];
  /**
   * For rules the console evaluates: the part of the rule's expression it
   * mirrors (checked to occur in the file), and the check itself.
   */
  evaluated?: {
    exprPart: string;
    holds: (facts: SummaryFacts) => boolean;
    what: (facts: SummaryFacts) => string;
  };
  /** Where to look when the console cannot tell. */
  elsewhere?: string;
}

/** What the rules need from a summary. */
export interface SummaryFacts {
  stuckBranches: number;
  overdueTransactions: number;
  /** Seconds since the answering replica's last recovery pass; undefined = none yet. */
  lastPassAgeSeconds: number | undefined;
}

/** The fields of a TransactionSummary the facts come from. */
export interface SummaryLike {
  stuckBranches: bigint | number;
  overdueTransactions: bigint | number;
  recoveryLastPass?: { seconds: bigint | number; nanos: number };
}

export function factsOf(summary: SummaryLike, nowMs: number): SummaryFacts {
  const last = summary.recoveryLastPass;
  return {
    stuckBranches: Number(summary.stuckBranches),
    overdueTransactions: Number(summary.overdueTransactions),
    lastPassAgeSeconds: last
      ? Math.max(0, (nowMs - (Number(last.seconds) * 1000 + last.nanos / 1e6)) / 1000)
      : undefined,
  };
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export const ALERT_RULES: AlertRule[] = [
  {
    name: "TurnstileBranchesStuck",
    severity: "critical",
    for: "2m",
    metrics: ["turnstile_coordinator_stuck_branches"],
    evaluated: {
      exprPart: "(turnstile_coordinator_stuck_branches) > 0",
      holds: (f) => f.stuckBranches > 0,
      what: (f) => `${plural(f.stuckBranches, "branch is", "branches are")} stuck`,
    },
  },
  {
    name: "TurnstileTransactionsOverdue",
    severity: "critical",
    for: "5m",
    metrics: ["turnstile_coordinator_overdue_transactions"],
    evaluated: {
      exprPart: "(turnstile_coordinator_overdue_transactions) > 0",
      holds: (f) => f.overdueTransactions > 0,
      what: (f) => `${plural(f.overdueTransactions, "transaction is", "transactions are")} overdue`,
    },
  },
  {
    name: "TurnstileRetryStorm",
    severity: "warning",
    for: "10m",
    metrics: ["turnstile_coordinator_deliveries_total"],
    elsewhere: "a rate of failed deliveries: see Prometheus or Grafana",
  },
  {
    name: "TurnstileCoordinatorNotClaiming",
    severity: "warning",
    for: "5m",
    metrics: [
      "turnstile_coordinator_recovery_last_pass_timestamp_seconds",
      "turnstile_coordinator_recovery_claimed_total",
    ],
    evaluated: {
      // The first arm, for the replica that answered; the second (claims
      // compared across replicas) needs Prometheus.
      exprPart: "time() - turnstile_coordinator_recovery_last_pass_timestamp_seconds > 120",
      holds: (f) => f.lastPassAgeSeconds === undefined || f.lastPassAgeSeconds > 120,
      what: (f) =>
        f.lastPassAgeSeconds === undefined
          ? "the answering replica has not completed a recovery pass"
          : `the answering replica's last recovery pass was ${Math.round(f.lastPassAgeSeconds)} s ago`,
    },
  },
  {
    name: "TurnstileReconcileDriftRepaired",
    severity: "warning",
    for: "",
    metrics: ["turnstile_reconcile_fixes_total"],
    elsewhere: "the services' reconcile counters: see Prometheus (or run a reconcile below)",
  },
  {
    name: "TurnstileGateUnavailable",
    severity: "critical",
    for: "1m",
    metrics: ["turnstile_redis_up", "turnstile_redis_errors_total"],
    elsewhere: "the services' Redis metrics: see Prometheus",
  },
  {
    name: "TurnstileDbPoolSaturated",
    severity: "warning",
    for: "5m",
    metrics: ["turnstile_pg_pool_refused_total", "turnstile_pg_pool_waiters"],
    elsewhere: "the services' pool metrics: see Prometheus",
  },
  {
    name: "TurnstileRpcErrorRatioHigh",
    severity: "critical",
    for: "5m",
    metrics: ["turnstile_rpc_total"],
    elsewhere: "RPC error rates: see Prometheus",
  },
  {
    name: "TurnstilePlaceOrderLatencyHigh",
    severity: "warning",
    for: "10m",
    metrics: ["turnstile_rpc_duration_seconds_bucket", "turnstile_rpc_duration_seconds_count"],
    elsewhere: "PlaceOrder latency: see Prometheus",
  },
  {
    name: "TurnstileCertificateExpiringSoon",
    severity: "warning",
    for: "15m",
    metrics: ["turnstile_tls_certificate_expiry_timestamp_seconds"],
    elsewhere: "the certificates' expiry metric: see Prometheus",
  },
];

export type AlertStatus = "firing" | "ok" | "unknown";

export interface AlertView {
  rule: AlertRule;
  status: AlertStatus;
  /** The sentence shown beside the rule. */
  text: string;
}

/** Every rule with what the summary says about it. */
export function evaluateAlerts(facts: SummaryFacts, rules = ALERT_RULES): AlertView[] {
  return rules.map((rule) => {
    if (!rule.evaluated) {
      return { rule, status: "unknown", text: `Not evaluated here: ${rule.elsewhere}.` };
    }
    const holds = rule.evaluated.holds(facts);
    const what = rule.evaluated.what(facts);
    const after = rule.for ? ` once this holds for ${rule.for}` : "";
    return holds
      ? { rule, status: "firing", text: `Would fire${after}: ${what}.` }
      : { rule, status: "ok", text: `Would not fire: ${what}.` };
  });
}
