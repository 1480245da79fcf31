// EventBridge, continued: the selected bus's archives (events kept, size, retention) and their replays, a replay
// started from an archive over a time window (StartReplay) and followed every 2 seconds while it is STARTING or
// RUNNING (DescribeReplay: its state, reason, last replayed event), cancelled with CancelReplay.
import { call } from "../api.js";
import { h, field, select, messages, act, table, when, section, progress, poll } from "../ui.js";

const ACTIVE = new Set(["STARTING", "RUNNING", "CANCELLING"]);

async function all(operation, request, member) {
  const out = [];
  let token;
  do {
    const page = await call("events", operation, { ...request, Limit: 100, ...(token ? { NextToken: token } : {}) });
    out.push(...(page[member] || []));
    token = page.NextToken;
  } while (token);
  return out;
}

// datetime-local values are read as UTC, the server's times are shown in UTC
const toInput = (seconds) => new Date(seconds * 1000).toISOString().slice(0, 16);
const fromInput = (value) => new Date(`${value}Z`).getTime() / 1000;

export async function archivesPanel(busArn) {
  const box = messages();
  const archives = await all("ListArchives", { EventSourceArn: busArn }, "Archives");
  const names = new Set(archives.map((a) => a.ArchiveName));
  const replays = (await all("ListReplays", {}, "Replays")).filter((r) => names.has((r.EventSourceArn || "").split("/").pop()));
  const followArea = h("div", { id: "replay-progress" });
  const panel = section("Archives and replays",
    table("Archives of this bus", [
      { title: "Archive", cell: (a) => a.ArchiveName },
      { title: "State", cell: (a) => a.State },
      { title: "Events", cell: (a) => String(a.EventCount ?? "") },
      { title: "Size (bytes)", cell: (a) => String(a.SizeBytes ?? "") },
      { title: "Retention (days)", cell: (a) => (a.RetentionDays ? String(a.RetentionDays) : "indefinite") },
      { title: "Created", cell: (a) => when(a.CreationTime) },
    ], archives),
    table("Replays", [
      { title: "Replay", cell: (r) => r.ReplayName },
      { title: "State", cell: (r) => r.State },
      { title: "Reason", cell: (r) => r.StateReason || "" },
      { title: "Window", cell: (r) => `${when(r.EventStartTime)} – ${when(r.EventEndTime)}` },
      { title: "Last replayed event", cell: (r) => when(r.EventLastReplayedTime) },
      { title: "Started", cell: (r) => when(r.ReplayStartTime) },
      { title: "Ended", cell: (r) => when(r.ReplayEndTime) },
    ], replays));
  if (!archives.length) return panel;

  const archive = select(archives.map((a) => a.ArchiveName), archives[0].ArchiveName, { name: "replay-archive" });
  const name = h("input", { name: "replay-name", placeholder: "replay-1" });
  const first = archives[0].CreationTime;
  const start = h("input", { type: "datetime-local", name: "replay-start", value: toInput(first) });
  const end = h("input", { type: "datetime-local", name: "replay-end", value: toInput(Math.max(Date.now() / 1000, first) + 3600) });
  const run = h("button", { type: "button", text: "Start replay" });
  run.addEventListener("click", () => act(run, box, async () => {
    const described = await call("events", "DescribeArchive", { ArchiveName: archive.value });
    const started = await call("events", "StartReplay", {
      ReplayName: name.value.trim(), EventSourceArn: described.ArchiveArn,
      EventStartTime: fromInput(start.value), EventEndTime: fromInput(end.value), Destination: { Arn: busArn },
    });
    follow(followArea, name.value.trim(), started.State);
  }));
  for (const r of replays) if (ACTIVE.has(r.State)) follow(followArea, r.ReplayName, r.State);
  panel.append(h("h3", { text: "Replay archived events" }),
    h("div", { class: "row" }, field("Archive", archive), field("Replay name", name)),
    h("div", { class: "row" }, field("Events from (UTC)", start), field("Events until (UTC)", end)),
    h("div", { class: "actions" }, run), followArea, box);
  return panel;
}

// One replay's state, looked at again every 2 s until it is no longer STARTING / RUNNING / CANCELLING.
function follow(area, replayName, initial) {
  const box = messages();
  const line = h("div", { class: "replay" });
  const cancel = h("button", { type: "button", class: "secondary", text: `Cancel replay ${replayName}` });
  cancel.addEventListener("click", () => act(cancel, box, () => call("events", "CancelReplay", { ReplayName: replayName })));
  const draw = (r) => {
    const active = ACTIVE.has(r.State);
    line.replaceChildren(
      h("p", { class: "replay-state", text: `Replay ${replayName}: ${r.State}${r.StateReason ? ` — ${r.StateReason}` : ""}${r.EventLastReplayedTime ? `; last replayed event ${when(r.EventLastReplayedTime)}` : ""}${r.ReplayEndTime ? `; ended ${when(r.ReplayEndTime)}` : ""}.` }),
      active ? progress(`Replay ${replayName} in progress`, "Replaying… checking again every 2 seconds.") : "",
      active ? h("div", { class: "actions" }, cancel) : "",
      box,
    );
    return active;
  };
  area.replaceChildren(line);
  if (draw({ State: initial })) poll(line, async () => draw(await call("events", "DescribeReplay", { ReplayName: replayName })));
}
