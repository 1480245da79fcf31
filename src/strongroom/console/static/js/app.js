// The shell: sign-in, navigation and the hash router (#/kms, #/kms/<key id>, ...).
import { h, field, select, messages, act } from "./ui.js";
import { currentSession, currentRegion, signInWithAccessKey, signInWithPassword, signOut, whenEnded } from "./session.js";
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
import * as shield from "./pages/shield.js";
import * as guardduty from "./pages/guardduty.js";
import * as macie from "./pages/macie.js";
import * as inspector from "./pages/inspector.js";

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
  ["shield", "AWS Shield", shield],
  ["guardduty", "GuardDuty findings", guardduty],
  ["macie", "Macie findings", macie],
  ["inspector", "Inspector findings", inspector],
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
  const forms = [
    ["password", "IAM user", passwordForm(box)],
    ["access-key", "Access key", accessKeyForm(box)],
  ];
  const tabs = forms.map(([id, label], i) =>
    h("button", {
      type: "button",
      role: "tab",
      id: `tab-${id}`,
      "aria-controls": `panel-${id}`,
      "aria-selected": i === 0 ? "true" : "false",
      tabindex: i === 0 ? "0" : "-1",
      class: "tab",
      text: label,
    }),
  );
  const panels = forms.map(([id, , form], i) =>
    h("div", { role: "tabpanel", id: `panel-${id}`, "aria-labelledby": `tab-${id}`, hidden: i !== 0 }, form),
  );
  const choose = (index, focus) => {
    tabs.forEach((tab, i) => {
      tab.setAttribute("aria-selected", i === index ? "true" : "false");
      tab.tabIndex = i === index ? 0 : -1;
      panels[i].hidden = i !== index;
    });
    if (focus) tabs[index].focus();
    panels[index].querySelector("input")?.focus();
  };
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => choose(i, false));
    tab.addEventListener("keydown", (event) => {
      // the ARIA tabs pattern: arrows move between tabs
      if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        event.preventDefault();
        choose((i + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length, true);
      }
    });
  });
  main.replaceChildren(
    h(
      "div",
      { class: "signin" },
      h("h1", { text: "Sign in" }),
      h("div", { role: "tablist", "aria-label": "Sign-in method", class: "tabs" }, tabs),
      panels,
      box,
    ),
  );
  panels[0].querySelector("input").focus();
}

function signedIn() {
  if (!location.hash || location.hash === "#/signin") location.hash = "#/overview";
  else route();
}

/** Account + user name + password; then the MFA code, then a new password, when the server asks for them. */
function passwordForm(box) {
  const account = h("input", { name: "account", autocomplete: "organization", required: true, spellcheck: "false" });
  const user = h("input", { name: "user-name", autocomplete: "username", required: true, spellcheck: "false" });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const code = h("input", {
    name: "mfa-code",
    inputmode: "numeric",
    autocomplete: "one-time-code",
    pattern: "[0-9]{6}",
    maxlength: "6",
  });
  const newPassword = h("input", { name: "new-password", type: "password", autocomplete: "new-password" });
  const confirm = h("input", { name: "confirm-password", type: "password", autocomplete: "new-password" });
  const region = select(REGIONS, currentRegion(), { name: "region" });
  const mfaStep = h("div", { hidden: true }, field("MFA code", code, "The six-digit code your authenticator app shows now."));
  const resetStep = h(
    "div",
    { hidden: true },
    field("New password", newPassword, "Your password must be changed before you continue; the account password policy applies."),
    field("Confirm new password", confirm),
  );
  const submit = h("button", { type: "submit", text: "Sign in" });
  const form = h(
    "form",
    { class: "panel", "aria-labelledby": "signin-password-title" },
    h("h2", { id: "signin-password-title", text: "IAM user" }),
    field("Account ID or alias", account),
    field("IAM user name", user),
    field("Password", password),
    mfaStep,
    resetStep,
    field("Region", region),
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!resetStep.hidden && newPassword.value !== confirm.value) {
      box.error({ code: "PasswordMismatch", message: "The new passwords do not match." });
      confirm.focus();
      return;
    }
    const fields = { account: account.value.trim(), userName: user.value.trim(), password: password.value };
    if (!mfaStep.hidden) fields.mfaCode = code.value.trim();
    if (!resetStep.hidden) fields.newPassword = newPassword.value;
    await act(submit, box, async () => {
      try {
        await signInWithPassword(fields, region.value);
      } catch (err) {
        if (err.code === "MFARequired") {
          mfaStep.hidden = false;
          code.required = true;
          box.ok(err.message);
          code.focus();
          return;
        }
        if (err.code === "PasswordResetRequired") {
          resetStep.hidden = false;
          newPassword.required = confirm.required = true;
          box.ok(err.message);
          newPassword.focus();
          return;
        }
        code.value = ""; // a code is good once: a new attempt needs the next one
        throw err;
      }
      for (const input of [password, code, newPassword, confirm]) input.value = "";
      signedIn();
    });
  });
  return form;
}

function accessKeyForm(box) {
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
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await act(submit, box, async () => {
      await signInWithAccessKey(keyId.value.trim(), secret.value, region.value);
      secret.value = "";
      signedIn();
    });
  });
  return form;
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

// Each navigation's number: a page that finishes loading after the user has moved on is dropped, not shown.
let routeGeneration = 0;

async function route() {
  const generation = ++routeGeneration;
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
  if (generation !== routeGeneration) return; // a later navigation owns the page now
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
