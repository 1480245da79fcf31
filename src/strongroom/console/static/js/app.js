// The shell: sign-in, navigation and the hash router (#/kms, #/kms/<key id>, ...).
import { h, field, select, messages, act } from "./ui.js";
import { currentSession, currentRegion, signInWithAccessKey, signOut, whenEnded } from "./session.js";
import * as overview from "./pages/overview.js";
import * as kms from "./pages/kms.js";
import * as secrets from "./pages/secrets.js";
import * as ssm from "./pages/ssm.js";
import * as certificates from "./pages/certificates.js";
import * as cloudtrail from "./pages/cloudtrail.js";
import * as events from "./pages/events.js";
import * as iam from "./pages/iam.js";
import * as s3 from "./pages/s3.js";
import * as waf from "./pages/waf.js";

const PAGES = [
  ["overview", "Overview", overview],
  ["kms", "KMS keys", kms],
  ["secrets", "Secrets Manager", secrets],
  ["ssm", "Parameter Store", ssm],
  ["certificates", "Certificates (ACM / Private CA)", certificates],
  ["cloudtrail", "CloudTrail event history", cloudtrail],
  ["events", "EventBridge rules", events],
  ["s3", "S3", s3],
  ["waf", "AWS WAF", waf],
  ["iam", "IAM", iam],
];
const REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1", "ap-northeast-1"];

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const who = document.getElementById("who");
let endedMessage = null;

function signInPage() {
  nav.hidden = true;
  who.replaceChildren();
  document.title = "Sign in · Strongroom console";
  const box = messages();
  if (endedMessage) box.error(endedMessage);
  endedMessage = null;
  const keyId = h("input", { name: "access-key-id", autocomplete: "username", required: true, spellcheck: "false" });
  const secret = h("input", { name: "secret-access-key", type: "password", autocomplete: "current-password", required: true });
  const region = select(REGIONS, currentRegion(), { name: "region" });
  const submit = h("button", { type: "submit", text: "Sign in" });
  const form = h(
    "form",
    { class: "panel", "aria-labelledby": "signin-title" },
    h("h2", { id: "signin-title", text: "Access key" }),
    field("Access key ID", keyId),
    field("Secret access key", secret, "Used once to obtain a one-hour session; only the session is kept, in this tab."),
    field("Region", region),
    h("div", { class: "actions" }, submit),
    box,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await act(submit, box, async () => {
      await signInWithAccessKey(keyId.value.trim(), secret.value, region.value);
      secret.value = "";
      if (!location.hash || location.hash === "#/signin") location.hash = "#/overview";
      else route();
    });
  });
  main.replaceChildren(h("div", { class: "signin" }, h("h1", { text: "Sign in" }), form));
  keyId.focus();
}

function shell(session, active) {
  nav.hidden = false;
  nav.replaceChildren(
    h(
      "ul",
      {},
      PAGES.map(([id, title]) =>
        h("li", {}, h("a", { href: `#/${id}`, text: title, "aria-current": id === active ? "page" : false })),
      ),
    ),
  );
  const out = h("button", { type: "button", class: "secondary", text: "Sign out" });
  out.addEventListener("click", async () => {
    out.disabled = true;
    await signOut();
    location.hash = "#/signin";
  });
  who.replaceChildren(
    h("span", { id: "principal", text: session.arn }),
    h("span", { class: "badge", text: currentRegion() }),
    out,
  );
}

async function route() {
  const session = currentSession();
  const [name, ...rest] = (location.hash.replace(/^#\/?/, "") || "overview").split("/");
  if (!session || name === "signin") {
    signInPage();
    return;
  }
  const page = PAGES.find(([id]) => id === name) || PAGES[0];
  shell(session, page[0]);
  document.title = `${page[1]} · Strongroom console`;
  main.replaceChildren(h("p", { text: "Loading…" }));
  const view = h("div", {});
  try {
    await page[2].render(view, rest.map(decodeURIComponent));
  } catch (err) {
    const box = messages();
    box.error(err);
    view.replaceChildren(h("h1", { text: page[1] }), box);
  }
  if (!currentSession()) return; // the session ended while the page loaded
  main.replaceChildren(view);
  main.focus();
}

whenEnded((error) => {
  endedMessage = { code: error.code, message: `${error.message} Your session has ended; sign in again.` };
  location.hash = "#/signin";
  signInPage();
});
window.addEventListener("hashchange", route);
route();
