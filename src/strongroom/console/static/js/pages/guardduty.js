// Amazon GuardDuty findings: the Region's detector, findings by severity (GetFindingsStatistics), ListFindings +
// GetFindings with criteria on severity, type, resource type and service.archived, a finding's page, and
// ArchiveFindings / UnarchiveFindings.
import { rest } from "../api.js";
import { renderFindings } from "./findings.js";

// GuardDuty's severity levels by score (its documentation's bands; Critical is 9.0-10.0).
const LEVELS = [["Critical", 9, 11], ["High", 7, 9], ["Medium", 4, 7], ["Low", 0, 4]];

export function levelOf(score) {
  return (LEVELS.find(([, low, high]) => score >= low && score < high) || LEVELS[3])[0];
}

let detectorId = null;

async function detector() {
  const { detectorIds = [] } = await rest("guardduty", "GET", "/detector");
  detectorId = detectorIds[0] || null;
  return detectorId;
}

const base = () => `/detector/${encodeURIComponent(detectorId)}`;

function criteria(filters) {
  const criterion = { "service.archived": { eq: [filters.state === "archived" ? "true" : "false"] } };
  const level = LEVELS.find(([name]) => name === filters.severity);
  if (level) criterion.severity = { gte: level[1], lt: level[2] };
  if (filters.type) criterion.type = { eq: [filters.type] };
  if (filters.resource) criterion["resource.resourceType"] = { eq: [filters.resource] };
  return { criterion };
}

async function findingsById(ids) {
  if (!ids.length) return [];
  const { findings = [] } = await rest("guardduty", "POST", `${base()}/findings/get`, { findingIds: ids });
  const byId = new Map(findings.map((f) => [f.id, f]));
  return ids.map((id) => byId.get(id)).filter(Boolean);
}

export const adapter = {
  id: "guardduty",
  service: "GuardDuty",
  title: "GuardDuty findings",
  severities: LEVELS.map(([name]) => name),
  states: [["active", "Active"], ["archived", "Archived"]],
  typeLabel: "Finding type",
  typeHint: "Exact, e.g. UnauthorizedAccess:IAMUser/TorIPCaller",
  resourceLabel: "Resource type",
  resourceHint: "e.g. AccessKey, Instance, S3Bucket",

  async status() {
    if (await detector()) {
      // a suspended detector keeps its findings but detects nothing until it is enabled again
      const { status } = await rest("guardduty", "GET", base());
      if (status === "ENABLED") return { enabled: true };
      return {
        enabled: false,
        message: `This Region's GuardDuty detector is ${String(status || "").toLowerCase()}: it produces no findings.`,
        enableLabel: "Enable GuardDuty",
        enable: () => rest("guardduty", "POST", base(), { enable: true }),
      };
    }
    return {
      enabled: false,
      message: "GuardDuty has no detector in this account and Region, so it produces no findings here.",
      enableLabel: "Enable GuardDuty",
      enable: () => rest("guardduty", "POST", "/detector", { enable: true }),
    };
  },

  async counts(filters) {
    const out = await rest("guardduty", "POST", `${base()}/findings/statistics`, {
      findingStatisticTypes: ["COUNT_BY_SEVERITY"],
      findingCriteria: criteria(filters),
    });
    const counts = {};
    for (const [score, n] of Object.entries(out.findingStatistics?.countBySeverity || {})) {
      const level = levelOf(Number(score));
      counts[level] = (counts[level] || 0) + n;
    }
    return counts;
  },

  async list(filters, next, size) {
    const page = await rest("guardduty", "POST", `${base()}/findings`, {
      findingCriteria: criteria(filters),
      sortCriteria: { attributeName: "updatedAt", orderBy: "DESC" },
      maxResults: size,
      ...(next ? { nextToken: next } : {}),
    });
    const ids = page.findingIds || [];
    return { items: await findingsById(ids), next: ids.length ? page.nextToken || undefined : undefined };
  },

  row(f) {
    return {
      id: f.id,
      severity: levelOf(f.severity),
      title: f.title || f.type,
      type: f.type,
      resource: f.resource?.resourceType || "",
      updated: f.updatedAt,
      state: f.service?.archived ? "Archived" : "Active",
      raw: f,
    };
  },

  async get(id) {
    return (await findingsById([id]))[0] || null;
  },

  facts(f) {
    return [
      ["Score", String(f.severity)],
      ["Description", f.description || ""],
      ["Count", String(f.service?.count ?? "")],
      ["Account", f.accountId || ""],
      ["First seen", f.service?.eventFirstSeen || ""],
      ["Last seen", f.service?.eventLastSeen || ""],
    ];
  },

  actions(f) {
    const archived = Boolean(f.service?.archived);
    const operation = archived ? "unarchive" : "archive";
    return [{
      label: archived ? "Unarchive" : "Archive",
      run: async () => {
        await rest("guardduty", "POST", `${base()}/findings/${operation}`, { findingIds: [f.id] });
        return `Finding ${archived ? "unarchived" : "archived"}.`;
      },
    }];
  },
};

export const render = (view, params) => renderFindings(view, params, adapter);
