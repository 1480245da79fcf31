// Amazon Inspector findings: the account's status (BatchGetAccountStatus) and Enable, findings by severity, ListFindings
// with filter criteria on severity, finding type, resource ID and status, a finding's page, and suppression.
// Inspector suppresses through rules (CreateFilter with action SUPPRESS): the console suppresses one finding with a
// rule on its findingArn, and "Unsuppress" deletes that rule (Inspector applies its rules continuously, so the
// finding is ACTIVE again). A finding suppressed by a broader rule is left to that rule, which is named.
import { rest, AwsError } from "../api.js";
import { renderFindings } from "./findings.js";

const LEVELS = ["Critical", "High", "Medium", "Low", "Informational", "Untriaged"];
const COUNT_PAGES = 10; // counts read at most this many pages of 100 findings ("n+" beyond)

function criteria(filters, withSeverity = true) {
  const equals = (value) => [{ comparison: "EQUALS", value }];
  const out = { findingStatus: equals(filters.state) };
  if (withSeverity && filters.severity) out.severity = equals(filters.severity.toUpperCase());
  if (filters.type) out.findingType = equals(filters.type);
  if (filters.resource) out.resourceId = equals(filters.resource);
  return out;
}

const label = (severity) => LEVELS.find((l) => l.toUpperCase() === severity) || "Untriaged";

async function listPage(filterCriteria, next, size) {
  return rest("inspector2", "POST", "/findings/list", {
    filterCriteria,
    sortCriteria: { field: "LAST_OBSERVED_AT", sortOrder: "DESC" },
    maxResults: size,
    ...(next ? { nextToken: next } : {}),
  });
}

async function ownRules(arn) {
  const rules = [];
  let next;
  do {
    const page = await rest("inspector2", "POST", "/filters/list", { action: "SUPPRESS", maxResults: 100, ...(next ? { nextToken: next } : {}) });
    rules.push(...(page.filters || []));
    next = page.nextToken;
  } while (next);
  const own = rules.filter((r) => {
    const keys = Object.keys(r.criteria || {});
    return keys.length === 1 && (r.criteria.findingArn || []).some((c) => c.comparison === "EQUALS" && c.value === arn);
  });
  return { own, all: rules };
}

export const adapter = {
  id: "inspector",
  service: "Inspector",
  title: "Inspector findings",
  severities: LEVELS,
  states: [["ACTIVE", "Active"], ["SUPPRESSED", "Suppressed"], ["CLOSED", "Closed"]],
  typeLabel: "Finding type",
  typeHint: "PACKAGE_VULNERABILITY, CODE_VULNERABILITY or NETWORK_REACHABILITY",
  resourceLabel: "Resource ID",
  resourceHint: "e.g. a Lambda function's ARN",

  async status() {
    const { accounts = [] } = await rest("inspector2", "POST", "/status/batch/get", {});
    const status = accounts[0]?.state?.status || "DISABLED";
    if (status === "ENABLED" || status === "ENABLING") return { enabled: true };
    return {
      enabled: false,
      message: `Inspector is ${status.toLowerCase()} in this account and Region: nothing is scanned.`,
      enableLabel: "Enable Inspector (EC2, ECR, Lambda)",
      enable: () => rest("inspector2", "POST", "/enable", { resourceTypes: ["EC2", "ECR", "LAMBDA"], clientToken: crypto.randomUUID() }),
    };
  },

  async counts(filters) {
    // Inspector's aggregations count active findings only; the list is what answers every filter, so it is counted.
    const counts = {};
    let next;
    let pages = 0;
    do {
      const page = await listPage(criteria(filters, false), next, 100);
      for (const f of page.findings || []) counts[label(f.severity)] = (counts[label(f.severity)] || 0) + 1;
      next = page.nextToken;
    } while (next && ++pages < COUNT_PAGES);
    if (next) for (const k of Object.keys(counts)) counts[k] = `${counts[k]}+`;
    return counts;
  },

  async list(filters, next, size) {
    const page = await listPage(criteria(filters), next, size);
    const items = page.findings || [];
    return { items, next: items.length ? page.nextToken || undefined : undefined };
  },

  row(f) {
    const resource = (f.resources || [])[0] || {};
    return {
      id: f.findingArn,
      severity: label(f.severity),
      title: f.title || f.findingArn,
      type: f.type,
      resource: resource.id || "",
      updated: f.updatedAt || f.lastObservedAt,
      state: f.status,
      raw: f,
    };
  },

  async get(arn) {
    const page = await rest("inspector2", "POST", "/findings/list", {
      filterCriteria: { findingArn: [{ comparison: "EQUALS", value: arn }] },
      maxResults: 1,
    });
    return (page.findings || [])[0] || null;
  },

  facts(f) {
    const pkg = f.packageVulnerabilityDetails;
    return [
      ["Inspector score", String(f.inspectorScore ?? "")],
      ["Vulnerability", pkg?.vulnerabilityId || ""],
      ["Packages", (pkg?.vulnerablePackages || []).map((p) => `${p.name} ${p.version} → ${p.fixedInVersion || "no fix"}`).join("; ")],
      ["Fix available", f.fixAvailable || ""],
      ["Remediation", f.remediation?.recommendation?.text || ""],
      ["First observed", f.firstObservedAt || ""],
    ];
  },

  actions(f) {
    if (f.status === "ACTIVE") {
      return [{
        label: "Suppress",
        run: async () => {
          await rest("inspector2", "POST", "/filters/create", {
            name: `suppress-${f.findingArn.split("/").pop()}`.slice(0, 128),
            action: "SUPPRESS",
            description: "Created by the Strongroom console to suppress one finding.",
            reason: "Suppressed from the console",
            filterCriteria: { findingArn: [{ comparison: "EQUALS", value: f.findingArn }] },
          });
          return "Finding suppressed by a new suppression rule.";
        },
      }];
    }
    if (f.status === "SUPPRESSED") {
      return [{
        label: "Unsuppress",
        run: async () => {
          const { own, all } = await ownRules(f.findingArn);
          if (!own.length) {
            const names = all.map((r) => r.name).join(", ");
            throw new AwsError("SuppressedByRule", `This finding is suppressed by a broader rule (${names}); edit or delete that rule.`);
          }
          for (const rule of own) await rest("inspector2", "POST", "/filters/delete", { arn: rule.arn });
          return "Suppression rule deleted: the finding is active again.";
        },
      }];
    }
    return [];
  },
};

export const render = (view, params) => renderFindings(view, params, adapter);
