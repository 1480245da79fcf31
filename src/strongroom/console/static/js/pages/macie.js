// Amazon Macie findings: the Macie session, findings by severity (GetFindingStatistics grouped by
// severity.description), ListFindings + GetFindings with criteria on severity, type, bucket and archived, a
// finding's page, and archiving. Macie's API has no call that archives or unarchives one finding: its console's
// "Suppress findings" creates a findings filter with the ARCHIVE action (a suppression rule), which archives the
// findings it matches, existing and new. The console does the same with a rule on the finding's id. Deleting a
// suppression rule stops it archiving new occurrences; findings it archived stay archived (Macie's documented
// behaviour), so there is no "unarchive" here — the rules are listed, and can be deleted, below the findings.
import { rest } from "../api.js";
import { h, table, section, act } from "../ui.js";
import { renderFindings } from "./findings.js";

const LEVELS = ["High", "Medium", "Low"];
const NOT_ENABLED = "Macie is not enabled.";

function criteria(filters) {
  const criterion = { archived: { eq: [filters.state === "archived" ? "true" : "false"] } };
  if (filters.severity) criterion["severity.description"] = { eq: [filters.severity] };
  if (filters.type) criterion.type = { eq: [filters.type] };
  if (filters.resource) criterion["resourcesAffected.s3Bucket.name"] = { eq: [filters.resource] };
  return { criterion };
}

async function findingsById(ids) {
  if (!ids.length) return [];
  const { findings = [] } = await rest("macie2", "POST", "/findings/describe", { findingIds: ids });
  const byId = new Map(findings.map((f) => [f.id, f]));
  return ids.map((id) => byId.get(id)).filter(Boolean);
}

function resourceOf(f) {
  const bucket = f.resourcesAffected?.s3Bucket?.name || "";
  const key = f.resourcesAffected?.s3Object?.key;
  return key ? `s3://${bucket}/${key}` : bucket;
}

async function suppressionRules() {
  const rules = [];
  let next;
  do {
    const page = await rest("macie2", "GET", "/findingsfilters", null, { maxResults: 25, ...(next ? { nextToken: next } : {}) });
    rules.push(...(page.findingsFilterListItems || []).filter((r) => r.action === "ARCHIVE"));
    next = page.nextToken;
  } while (next);
  return rules;
}

export const adapter = {
  id: "macie",
  service: "Macie",
  title: "Macie findings",
  severities: LEVELS,
  states: [["active", "Current"], ["archived", "Archived (suppressed)"]],
  typeLabel: "Finding type",
  typeHint: "Exact, e.g. SensitiveData:S3Object/Financial",
  resourceLabel: "S3 bucket",
  resourceHint: "The affected bucket's name",

  async status() {
    try {
      const session = await rest("macie2", "GET", "/macie");
      if (session.status === "ENABLED") return { enabled: true };
      return {
        enabled: false,
        message: `Macie is ${String(session.status || "").toLowerCase()} in this account and Region.`,
        enableLabel: "Resume Macie",
        enable: () => rest("macie2", "PATCH", "/macie", { status: "ENABLED" }),
      };
    } catch (err) {
      if (err.message !== NOT_ENABLED) throw err;
      return {
        enabled: false,
        message: "Macie is not enabled in this account and Region.",
        enableLabel: "Enable Macie",
        enable: () => rest("macie2", "POST", "/macie", { status: "ENABLED", clientToken: crypto.randomUUID() }),
      };
    }
  },

  async counts(filters) {
    const out = await rest("macie2", "POST", "/findings/statistics", {
      groupBy: "severity.description",
      findingCriteria: criteria(filters),
    });
    return Object.fromEntries((out.countsByGroup || []).map((g) => [g.groupKey, g.count]));
  },

  async list(filters, next, size) {
    const page = await rest("macie2", "POST", "/findings", {
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
      severity: f.severity?.description || "Low",
      title: f.title || f.type,
      type: f.type,
      resource: resourceOf(f),
      updated: f.updatedAt,
      state: f.archived ? "Archived" : "Current",
      raw: f,
    };
  },

  async get(id) {
    return (await findingsById([id]))[0] || null;
  },

  facts(f) {
    return [
      ["Category", f.category || ""],
      ["Description", f.description || ""],
      ["Occurrences", String(f.count ?? "")],
      ["Sample", f.sample ? "Yes (CreateSampleFindings)" : "No"],
      ["Account", f.accountId || ""],
    ];
  },

  actions(f) {
    if (f.archived) return [];
    return [{
      label: "Suppress (archive)",
      run: async () => {
        await rest("macie2", "POST", "/findingsfilters", {
          name: `archive-${f.id}`.slice(0, 64),
          description: "Created by the Strongroom console to archive one finding.",
          action: "ARCHIVE",
          findingCriteria: { criterion: { id: { eq: [f.id] } } },
          clientToken: crypto.randomUUID(),
        });
        return "Finding archived by a new suppression rule.";
      },
    }];
  },

  async extraSections(box) {
    const rules = await suppressionRules();
    const holder = h("div", {});
    const draw = (list) => holder.replaceChildren(table(`${list.length} suppression rules`, [
      { title: "Name", cell: (r) => r.name },
      { title: "ID", cell: (r) => r.id },
      {
        title: "Delete",
        cell: (r) => {
          const button = h("button", { type: "button", class: "secondary", text: "Delete", "aria-label": `Delete suppression rule ${r.name}` });
          button.addEventListener("click", () => act(button, box, async () => {
            await rest("macie2", "DELETE", `/findingsfilters/${encodeURIComponent(r.id)}`);
            draw(await suppressionRules());
            box.ok(`Suppression rule ${r.name} deleted; findings it archived stay archived.`);
          }));
          return button;
        },
      },
    ], list));
    draw(rules);
    return [section("Suppression rules (ARCHIVE findings filters)", h("p", {
      class: "hint",
      text: "Each rule archives the findings it matches, now and when they occur again. Deleting a rule does not unarchive them.",
    }), holder)];
  },
};

export const render = (view, params) => renderFindings(view, params, adapter);
