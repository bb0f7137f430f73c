// drive.mjs: the regulator console (htdocs/regulator) run in a DOM (jsdom) against a real zone over real HTTP, the
// way a regulator would use it: sign in with a token, click through the views, approve or revoke a clearance.
// It prints what the page then shows, as one JSON object, for t/test_console.py to check against the API.
//
// usage: NODE_PATH=/usr/share/nodejs node drive.mjs CONSOLE_DIR BASE_URL TOKEN STEP [ARG]
//   STEP: read (every view), approve CLEARANCE_ID, revoke CLEARANCE_ID REASON, audit, record ID, registers,
//         payments ENTITY_ID, signin (only)
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { webcrypto } from "node:crypto";

const require = createRequire(import.meta.url);
const { JSDOM } = require("jsdom");
if (!globalThis.crypto)
    globalThis.crypto = webcrypto;

const [consoleDir, base, token, step, arg, arg2] = process.argv.slice(2);
const dom = new JSDOM(fs.readFileSync(path.join(consoleDir, "index.html"), "utf8"), { url: base + "/regulator/" });
const { document } = dom.window;
const $ = (id) => document.getElementById(id);
const downloads = [];
const requests = [];
globalThis.MEZ_CONSOLE_NO_START = true;
const { start } = await import(pathToFileURL(path.join(consoleDir, "console.mjs")).href);

const fetchZone = (p, init) => {
    requests.push((init && init.method) || "GET", p);
    return fetch(new URL(p, base), init);
};
// The audit step pages by three rows, so a short trail still has pages to walk back through.
const ui = start({ document, fetch: fetchZone, storage: dom.window.sessionStorage,
                   download: (name, text, type) => downloads.push(type === "text/csv" ? { name, type, text }
                                                                                     : { name, json: JSON.parse(text) }),
                   auditPage: step === "audit" ? 3 : undefined, registerPage: step === "registers" ? 2 : undefined,
                   paymentPage: step === "payments" ? 2 : undefined });
await ui.ready;

async function until(what, cond, ms = 10000) {
    const t0 = Date.now();
    while (!cond()) {
        if (Date.now() - t0 > ms)
            throw new Error("timed out waiting for " + what + "; message: " + $("message").textContent);
        await new Promise((r) => setTimeout(r, 20));
    }
}
const text = (e) => (e ? e.textContent.replace(/\s+/g, " ").trim() : null);
const click = (e) => e.dispatchEvent(new dom.window.MouseEvent("click", { bubbles: true }));
const rows = (id) => [...$(id).tBodies[0].rows];

const report = { before_signin: { views_hidden: $("views").hidden, signin_hidden: $("signin").hidden } };
report.zone = { id: text($("zone-id")), did: text($("zone-did")), ready: text($("zone-ready")) };

// Sign in as a regulator would: the token typed in, the form submitted.
$("token").value = token;
$("signin").dispatchEvent(new dom.window.Event("submit", { cancelable: true }));
await until("the first view", () => !$("views").hidden || !$("message").hidden);
await until("decisions", () => rows("decisions-table").length > 0 || !$("message").hidden);
// A token the zone refuses (or a role no view is for) ends with the zone's refusal on screen; the console may show
// a message of its own first (a watcher's token: what it is for), which the refusal then replaces.
if (step === "signin")
    await until("the zone's refusal", () => !$("message").hidden && text($("message")).includes("auth."));
report.signed_in = !$("views").hidden;
report.whoami = text($("whoami"));
report.token_field_cleared = $("token").value === "";
report.message = $("message").hidden ? null : text($("message"));

async function view(name, ready) {
    click(document.querySelector(`nav button[data-view="${name}"]`));
    await until(name, ready);
}

if (report.signed_in && step === "read") {
    report.decisions = rows("decisions-table").filter((r) => r.dataset.seq)
        .map((r) => ({ seq: Number(r.dataset.seq), cells: [...r.cells].map(text) }));
    if (report.decisions.length) {
        click(rows("decisions-table")[0]);
        await until("the decision", () => !$("decision-detail").hidden);
        const art = $("decision-detail");
        report.detail = { title: text(art.querySelector("h3")), digest_check: text(art.querySelector(".digest-check")),
                          domains: [...art.querySelectorAll("tr[data-domain]")]
                              .map((r) => ({ domain: r.dataset.domain, state: text(r.cells[1]), reasons: text(r.cells[2]) })),
                          text: text(art) };
    }
    await view("clearances", () => !$("clearances").hidden && rows("clearances-table").length > 0);
    report.clearances = rows("clearances-table").map((r) => ({ id: r.dataset.clearance || null, cells: [...r.cells].map(text) }));
    await view("audit", () => text($("audit-summary")) !== "");
    report.audit = { ok: $("audit-summary").dataset.ok === "true", summary: text($("audit-summary")),
                     rows: rows("audit-table").map((r) => ({ seq: Number(r.dataset.seq), ok: r.className !== "tampered",
                                                             hash: text(r.cells[6]) })) };
    click($("audit-anchor"));
    await until("the anchor", () => downloads.length > 0 || !$("message").hidden);
    report.anchor_message = text($("message"));
    await view("corridors", () => rows("corridors-table").length > 0 && rows("watchers-table").length > 0
                                  && rows("refusals-table").length > 0);
    report.corridors = rows("corridors-table").map((r) => [...r.cells].map(text));
    report.watchers = rows("watchers-table").map((r) => [...r.cells].map(text));
    report.peers = rows("peers-table").map((r) => [...r.cells].map(text));
    report.refusals = rows("refusals-table").map((r) => [...r.cells].map(text));
} else if (report.signed_in && (step === "approve" || step === "revoke")) {
    const row = () => rows("clearances-table").find((r) => r.dataset.clearance === arg);
    await view("clearances", () => rows("clearances-table").length > 0);
    if (step === "revoke") {
        const f = $("clearances-filter");
        f.elements.status.value = "all";
        f.dispatchEvent(new dom.window.Event("submit", { cancelable: true }));
        await until("all clearances", () => row() !== undefined);
    }
    await until("the clearance row", () => row() !== undefined);
    if (step === "approve") {
        const b = row().querySelector("button.approve");
        click(b);
        report.after_first_click = text(b);
        report.requests_after_first_click = requests.filter((x) => typeof x === "string" && x.includes("/approve")).length;
        click(b);
    } else {
        const b = row().querySelector("button.revoke");
        click(b);
        row().querySelector("input.revoke-reason").value = arg2;
        click(b);
    }
    await until("the answer", () => !$("message").hidden);
    report.message = text($("message"));
    if (step === "approve")
        await until("the proposed list without it", () => row() === undefined);
    else
        await until("the row revoked", () => row() !== undefined && text(row().cells[5]) === "revoked");
    report.clearances = rows("clearances-table").map((r) => ({ id: r.dataset.clearance || null, cells: [...r.cells].map(text) }));
} else if (report.signed_in && step === "record") {
    await view("record", () => !$("record").hidden);
    $("record-form").elements.id.value = arg;
    $("record-form").dispatchEvent(new dom.window.Event("submit", { cancelable: true }));
    await until("the record", () => !$("record-detail").hidden || !$("message").hidden);
    const art = $("record-detail");
    const dts = [...art.querySelectorAll(".record-facts dt")].map(text);
    const dds = [...art.querySelectorAll(".record-facts dd")].map(text);
    report.record = { title: text(art.querySelector("h3")), facts: Object.fromEntries(dts.map((k, i) => [k, dds[i]])),
                      missing: text(art.querySelector(".record-missing")),
                      decisions: [...art.querySelectorAll(".record-decisions a")].map((a) => Number(a.dataset.seq)),
                      clearances: [...art.querySelectorAll(".record-clearances li")].map(text),
                      taxes: [...art.querySelectorAll(".record-taxes li")].map(text),
                      tax_payments: [...art.querySelectorAll(".record-taxes a")].map((a) => a.dataset.id) };
    const first = art.querySelector(".record-decisions a");
    if (first) {
        click(first);
        await until("the decision opened from the record", () => !$("decision-detail").hidden && !$("decisions").hidden);
        report.record.opened = text($("decision-detail").querySelector("h3"));
    }
} else if (report.signed_in && step === "registers") {
    // The entity register page by page (two entries a page), then the licences, those under review, and a holder
    // opened as a record from its licence.
    const entries = () => rows("registers-table").filter((r) => r.dataset.id)
        .map((r) => ({ id: r.dataset.id, cells: [...r.cells].map(text) }));
    const head = () => [...$("registers-table").tHead.rows[0].cells].map(text);
    async function allPages() {
        let pages = 1;
        while (!$("registers-more").hidden && pages < 100) {
            const n = rows("registers-table").length;
            click($("registers-more"));
            await until("the next page", () => rows("registers-table").length > n);
            pages++;
        }
        return pages;
    }
    // The register at a glance: its total and the count on each state's button.
    const glance = (noun) => {
        const total = $("registers-summary").querySelector("[data-total]");
        if (!total || !text(total).includes(noun))
            return null;
        return { total: Number(total.dataset.total), text: text($("registers-summary")),
                 states: Object.fromEntries([...$("registers-summary").querySelectorAll("button[data-state]")]
                     .map((b) => [b.dataset.state, Number(text(b).split(" ").pop())])) };
    };
    await view("registers", () => rows("registers-table").length > 0 || !$("message").hidden);
    await until("the entities at a glance", () => glance("entit") || !$("message").hidden);
    report.entity_summary = glance("entit");
    report.entity_head = head();
    report.entity_pages = await allPages();
    report.entities = entries();
    click($("registers-csv"));
    await until("the CSV", () => downloads.length > 0 || !$("message").hidden);
    report.csv_message = text($("message"));
    const f = $("registers-filter");
    f.elements.register.value = "licences";
    f.elements.register.dispatchEvent(new dom.window.Event("change"));
    await until("the licences", () => entries().some((e) => e.id.startsWith("lic_"))
                                      || text(rows("registers-table")[0]) === "No licence matches.");
    report.licence_head = head();
    report.licence_filters_shown = [...f.querySelectorAll(".licence-only")].every((l) => !l.hidden);
    report.licence_states = [...f.elements.status.options].map((o) => o.value);
    report.licence_pages = await allPages();
    report.licences = entries();
    // The CSV's message may still show: only another one (a failure) ends the wait without the summary.
    await until("the licences at a glance", () => glance("licence")
                                                  || (!$("message").hidden && text($("message")) !== report.csv_message));
    report.licence_summary = glance("licence");
    // A state's count filters the register by it, as choosing the state does.
    const wanted = arg || "UNDER_REVIEW";
    const button = $("registers-summary").querySelector('button[data-state="' + wanted + '"]');
    if (button)
        click(button);
    else {
        f.elements.status.value = wanted;
        f.dispatchEvent(new dom.window.Event("submit", { cancelable: true }));
    }
    report.filter_after_click = f.elements.status.value;
    await until("the filtered licences", () => entries().every((e) => e.cells[3] === f.elements.status.value)
                                               || text(rows("registers-table")[0]) === "No licence matches.");
    report.filtered = entries();
    const holder = rows("registers-table")[0].querySelector("a[data-id]");
    if (holder) {
        click(holder);
        await until("the holder's record", () => !$("record").hidden && !$("record-detail").hidden);
        report.opened = { title: text($("record-detail").querySelector("h3")),
                          form: $("record-form").elements.id.value };
    }
} else if (report.signed_in && step === "payments") {
    // The settlement queue page by page (two a page), then every payment of one entity, then one opened as a record.
    const entries = () => rows("payments-table").filter((r) => r.dataset.id)
        .map((r) => ({ id: r.dataset.id, cells: [...r.cells].map(text) }));
    const settled = () => rows("payments-table").length > 0 || !$("message").hidden;
    async function allPages() {
        let pages = 1;
        while (!$("payments-more").hidden && pages < 100) {
            const n = rows("payments-table").length;
            click($("payments-more"));
            await until("the next page", () => rows("payments-table").length > n);
            pages++;
        }
        return pages;
    }
    await view("payments", settled);
    report.head = [...$("payments-table").tHead.rows[0].cells].map(text);
    report.queue_pages = await allPages();
    report.queue = entries();
    report.queue_empty = entries().length ? null : text(rows("payments-table")[0]);
    const f = $("payments-filter");
    f.elements.status.value = "";
    f.elements.entity_id.value = arg;
    $("payments-table").tBodies[0].replaceChildren();
    f.dispatchEvent(new dom.window.Event("submit", { cancelable: true }));
    await until("the entity's payments", settled);
    report.entity_pages = await allPages();
    report.entity_payments = entries();
    const first = rows("payments-table").find((r) => r.dataset.id);
    if (first) {
        click(first);
        await until("the payment's record", () => !$("record").hidden && !$("record-detail").hidden);
        report.opened = { title: text($("record-detail").querySelector("h3")), form: $("record-form").elements.id.value };
    }
    report.message = $("message").hidden ? null : text($("message"));
} else if (report.signed_in && step === "audit") {
    // The latest page, then every earlier one back to the first row, as a regulator walks the trail.
    const page = () => ({ ok: $("audit-summary").dataset.ok === "true", summary: text($("audit-summary")),
                          rows: rows("audit-table").map((r) => ({ seq: Number(r.dataset.seq),
                                                                  ok: r.className !== "tampered" })) });
    await view("audit", () => text($("audit-summary")) !== "");
    report.audit = page();
    report.pages = [report.audit];
    while (!$("audit-earlier").disabled && report.pages.length < 200) {
        const shown = text($("audit-summary"));
        click($("audit-earlier"));
        await until("an earlier page", () => text($("audit-summary")) !== shown);
        report.pages.push(page());
    }
}
report.downloads = downloads;
report.storage_has_token = dom.window.sessionStorage.getItem("mez.regulator.token") !== null;
report.local_storage_keys = dom.window.localStorage.length;
if (report.signed_in) {
    click($("signout"));
    report.after_signout = { storage_has_token: dom.window.sessionStorage.getItem("mez.regulator.token") !== null,
                             views_hidden: $("views").hidden, audit_rows: rows("audit-table").length };
}
process.stdout.write(JSON.stringify(report) + "\n");
