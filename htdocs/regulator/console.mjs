// console.mjs: the regulator console, a static page the zone's httpd serves beside its API (conf/mez-regulator.conf).
// It holds no data of its own: every figure is read from the zone API with the regulator's bearer token, which is
// kept in this tab's sessionStorage (gone when the tab closes, never in a URL, a cookie or localStorage) and sent
// only to the origin that served the page. Everything the API returns is put on the page as text (textContent),
// never as markup, so a name in a record cannot become script; the CSP (script-src 'self') is the second wall.
//
// What it shows: the decisions the zone recorded (refusals first, each with the law it cited and its digest checked
// here), the entity and licence registers page by page with their numbers by state and type (each entry opens as a
// record), the treasury's payments oldest first (the settlement queue: those still processing), the sanctions
// clearances awaiting a second principal (approve, revoke with a reason), the audit trail with every row's hash
// recomputed in the browser (mez-verify.mjs), a signed anchor to download and keep, one record with the decisions and
// clearances about it, and the corridors, peers and watchers. In a browser it starts itself; tests import it and call
// start() with a DOM and a fetch.
import { checkAnchor, checkAuditPage, checkEvaluation } from "./mez-verify.mjs";

const TOKEN_KEY = "mez.regulator.token";
const PAGE = 50;
const TAX_PAGE = 100;   // tax events shown on an entity's record (the treasury's pages hold up to 500)
const AUDIT_PAGE = 100;

export class ApiError extends Error {
    constructor(status, problem) {
        super((problem && (problem.code + ": " + (problem.detail || problem.title))) || "HTTP " + status);
        this.status = status;
        this.problem = problem;
    }
}

// The registers the zone API lists: where, what each entry is called, its states, and the columns shown.
const REGISTERS = {
    entities: { path: "/v1/entities", member: "entities", id: "entity_id",
                states: ["ACTIVE", "PENDING_APPROVAL", "SUSPENDED", "DISSOLVING", "DISSOLVED", "STRUCK_OFF",
                         "REJECTED", "DRAFT"],
                head: ["entity", "name", "type", "state", "formed", "updated"],
                csv: ["entity_id", "legal_name", "entity_type", "status", "jurisdiction_id", "formation_date",
                      "created_at", "updated_at"] },
    licences: { path: "/v1/licences", member: "licences", id: "licence_id",
                states: ["APPLIED", "UNDER_REVIEW", "ACTIVE", "SUSPENDED", "REVOKED", "EXPIRED", "SURRENDERED",
                         "REJECTED"],
                head: ["licence", "holder", "type", "state", "valid from", "valid until"],
                csv: ["licence_id", "entity_id", "licence_type", "status", "applied_at", "valid_from", "valid_until",
                      "updated_at"] },
};

// One CSV cell (RFC 4180): quoted when it holds a comma, quote or line break; a text a spreadsheet would take for a
// formula (=, +, -, @, tab, carriage return first) is prefixed with ' so that opening the file runs nothing.
export function csvCell(v) {
    let s = v === null || v === undefined ? "" : String(v);
    if (/^[=+\-@\t\r]/.test(s))
        s = "'" + s;
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

// env: { document, fetch(path, init), storage (sessionStorage-like), download(name, text, type) | null,
//        auditPage (rows per audit page, default 100), registerPage (entries per register page, default 50),
//        paymentPage (payments per page, default 50) }
export function start(env) {
    const doc = env.document;
    const auditPage = env.auditPage || AUDIT_PAGE;
    const registerPage = env.registerPage || PAGE;
    const paymentPage = env.paymentPage || PAGE;
    const $ = (id) => doc.getElementById(id);
    const state = { view: "decisions", zone: null, decisionsBefore: null, auditFirst: null, auditFirstRow: null,
                    registerCursor: null, registerQuery: null, paymentCursor: null,
                    paymentFilter: null };

    // ---------------------------------------------------------------- DOM helpers: text only, never markup
    function el(tag, attrs, ...children) {
        const e = doc.createElement(tag);
        for (const [k, v] of Object.entries(attrs || {})) {
            if (k === "class")
                e.className = v;
            else if (k.startsWith("on"))
                e.addEventListener(k.slice(2), v);
            else if (v !== null && v !== undefined && v !== false)
                e.setAttribute(k, v === true ? "" : String(v));
        }
        for (const c of children.flat(Infinity)) {
            if (c === null || c === undefined)
                continue;
            e.appendChild(typeof c === "object" ? c : doc.createTextNode(String(c)));
        }
        return e;
    }
    const badge = (text, kind) => el("span", { class: "badge " + kind }, text);
    // A state as a badge: green for what is in order, red for a refusal or a stop, amber for the rest.
    const GOOD = new Set(["compliant", "active", "ACTIVE", "ready", "settled"]);
    const BAD = new Set(["non_compliant", "revoked", "expired", "HALTED", "SLASHED", "SUSPENDED", "REVOKED",
                         "EXPIRED", "STRUCK_OFF", "REJECTED", "failed"]);
    const stateBadge = (s) => badge(s || "", GOOD.has(s) ? "ok" : BAD.has(s) ? "bad" : "warn");
    // A licence's last day: its valid_until; a granted one whose type has no fixed term says so (term.fixed false),
    // rather than look like a licence whose end is unknown.
    const validUntil = (x) => x.valid_until || (x.term && x.term.fixed === false ? "no fixed term" : "—");
    const short = (h) => (typeof h === "string" && h.length > 23 ? h.slice(0, 15) + "…" + h.slice(-6) : h || "");
    function fill(tbody, rows, empty) {
        tbody.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: 8 }, empty))]));
    }
    function say(text, kind) {
        const m = $("message");
        m.textContent = text;
        m.className = kind || "";
        m.hidden = !text;
    }

    // ---------------------------------------------------------------- the API
    async function api(path, method = "GET", body = undefined) {
        const token = env.storage.getItem(TOKEN_KEY);
        const headers = { Accept: "application/json" };
        if (token)
            headers.Authorization = "Bearer " + token;
        if (body !== undefined)
            headers["Content-Type"] = "application/json";
        const r = await env.fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
                                          cache: "no-store", credentials: "omit", redirect: "error" });
        const type = r.headers.get("Content-Type") || "";
        const data = type.includes("json") ? await r.json() : await r.text();
        if (!r.ok)
            throw new ApiError(r.status, typeof data === "object" ? data : null);
        return data;
    }
    function failed(e) {
        if (e instanceof ApiError && e.status === 401) {
            env.storage.removeItem(TOKEN_KEY);
            signedIn(false);
            say("The zone did not accept the token (" + e.message + "). Sign in again.");
        } else if (e instanceof ApiError && e.status === 403) {
            say("This token may not read that (" + e.message + "): a regulator or operator token is needed.");
        } else {
            say(e instanceof ApiError ? e.message : "The zone could not be reached: " + e.message);
        }
    }
    const query = (params) => {
        const q = new URLSearchParams();
        for (const [k, v] of Object.entries(params))
            if (v !== "" && v !== null && v !== undefined)
                q.set(k, String(v));
        const s = q.toString();
        return s ? "?" + s : "";
    };

    // ---------------------------------------------------------------- zone and session
    async function loadZone() {
        try {
            const z = await api("/v1/zone");
            state.zone = z;
            $("zone-id").textContent = z.zone_id;
            $("zone-did").textContent = z.did;
        } catch (e) {
            $("zone-id").textContent = "unknown";
            failed(e);
        }
        try {
            const r = await env.fetch("/readyz", { cache: "no-store" });
            $("zone-ready").replaceChildren(r.ok ? badge("ready", "ok") : badge("not ready (" + r.status + ")", "bad"));
        } catch (e) {
            $("zone-ready").replaceChildren(badge("unreachable", "bad"));
        }
    }
    // Who the token is (GET /v1/whoami): the person it was issued to, or its id, and its role; a token of a role
    // the views do not serve is said at once rather than at the first refusal.
    async function loadWhoami() {
        try {
            const me = await api("/v1/whoami");
            $("whoami").textContent = "As " + (me.holder || "token " + me.principal) + " (" + me.role
                + (me.expires_at ? ", until " + me.expires_at : "") + ").";
            if (me.role !== "regulator" && me.role !== "operator")
                say("This token is a" + (me.role === "entity" ? "n " : " ") + me.role + "'s: the console's views need a "
                    + "regulator or operator token.");
            return true;
        } catch (e) {
            $("whoami").textContent = "";
            failed(e);
            return !(e instanceof ApiError && e.status === 401);
        }
    }
    function signedIn(yes) {
        $("signin").hidden = yes;
        $("session").hidden = !yes;
        $("views").hidden = !yes;
        for (const v of ["decisions", "registers", "payments", "clearances", "audit", "record", "corridors"])
            $(v).hidden = !yes || v !== state.view;
    }
    async function show(view, keepMessage = false) {
        state.view = view;
        for (const b of $("views").querySelectorAll("button[data-view]"))
            b.setAttribute("aria-pressed", String(b.dataset.view === view));
        signedIn(true);
        if (!keepMessage)
            say("");
        if (view === "decisions")
            return loadDecisions(false);
        if (view === "registers")
            return loadRegister(false);
        if (view === "payments")
            return loadPayments(false);
        if (view === "clearances")
            return loadClearances();
        if (view === "audit")
            return loadAudit(null);
        if (view === "record")
            return null;
        return loadCorridors();
    }

    // ---------------------------------------------------------------- decisions
    function decisionFilter() {
        const f = $("decisions-filter");
        return { decision: f.elements.decision.value, subject_id: f.elements.subject_id.value.trim(),
                 action_type: f.elements.action_type.value.trim() };
    }
    async function loadDecisions(older) {
        const params = { ...decisionFilter(), limit: PAGE };
        if (older && state.decisionsBefore)
            params.before = state.decisionsBefore;
        let page;
        try {
            page = await api("/v1/evaluations" + query(params));
        } catch (e) {
            return failed(e);
        }
        const tbody = $("decisions-table").tBodies[0];
        const open = (seq) => () => loadDecision(seq);
        const rows = page.evaluations.map((r) => el("tr", { class: "pick", "data-seq": r.seq, tabindex: 0,
                                                            onclick: open(r.seq),
                                                            onkeydown: (ev) => ev.key === "Enter" && open(r.seq)() },
            el("td", {}, r.seq), el("td", {}, r.evaluated_at), el("td", {}, r.action_type),
            el("td", { class: "mono" }, r.subject_id || "—"),
            el("td", {}, stateBadge(r.decision)),
            el("td", { class: "mono", title: r.attestation_digest || "" },
               r.attestation_digest ? short(r.attestation_digest) : "—")));
        if (older)
            rows.forEach((r) => tbody.appendChild(r));
        else
            fill(tbody, rows, "No decision is recorded with these conditions.");
        state.decisionsBefore = page.next_before || null;
        $("decisions-older").hidden = !page.next_before;
        if (!older)
            $("decision-detail").hidden = true;
    }
    function reasonText(reason) {
        // Each reason as its code and its members, one level deep (list.title, entry.name, ...): whatever a pack's
        // rule carries is shown, not only what this page knew of when it was written.
        const parts = [];
        for (const [k, v] of Object.entries(reason)) {
            if (k === "code")
                continue;
            if (v !== null && typeof v === "object" && !Array.isArray(v)) {
                for (const [k2, v2] of Object.entries(v))
                    if (v2 === null || typeof v2 !== "object")
                        parts.push(k + "." + k2 + ": " + v2);
            } else if (Array.isArray(v)) {
                if (v.length)
                    parts.push(k + ": " + v.map((x) => (typeof x === "object" ? JSON.stringify(x) : x)).join(", "));
            } else {
                parts.push(k + ": " + v);
            }
        }
        return el("li", {}, el("strong", {}, reason.code || "reason"), parts.length ? " — " + parts.join("; ") : "");
    }
    async function loadDecision(seq) {
        let rec;
        try {
            rec = await api("/v1/evaluations/" + encodeURIComponent(seq));
        } catch (e) {
            return failed(e);
        }
        const check = await checkEvaluation(rec);
        const ev = rec.evaluation || {};
        const inner = ev.evaluation || ev;
        const domains = Object.entries(inner.domains || {});
        const order = { non_compliant: 0, pending: 1, compliant: 2, exempt: 3, not_applicable: 4 };
        domains.sort((a, b) => (order[a[1].state] ?? 5) - (order[b[1].state] ?? 5) || a[0].localeCompare(b[0]));
        const applicable = domains.filter(([, d]) => d.state !== "not_applicable");
        const notApplicable = domains.filter(([, d]) => d.state === "not_applicable").map(([n]) => n);
        const art = $("decision-detail");
        art.replaceChildren(
            el("h3", {}, "Decision " + rec.seq + ": " + rec.action_type + " ", stateBadge(rec.decision)),
            el("p", { class: "digest-check" }, check.ok ? badge("digest verified in this browser", "ok")
                                                         : badge("DIGEST MISMATCH: " + check.problem, "bad")),
            el("dl", {},
               el("dt", {}, "recorded"), el("dd", {}, rec.evaluated_at),
               el("dt", {}, "subject"), el("dd", { class: "mono" }, rec.subject_id || "—"),
               el("dt", {}, "jurisdiction"), el("dd", {}, rec.jurisdiction),
               el("dt", {}, "digest"), el("dd", { class: "mono" }, rec.digest),
               el("dt", {}, "commitment"), el("dd", { class: "mono" }, rec.commitment),
               el("dt", {}, "attestation"),
               el("dd", { class: "mono" }, rec.attestation_digest || "none (nothing was certified)")),
            el("h4", {}, "Domains"),
            el("table", { class: "domains" },
               el("thead", {}, el("tr", {}, el("th", {}, "domain"), el("th", {}, "state"), el("th", {}, "reasons"))),
               el("tbody", {}, applicable.map(([name, d]) => el("tr", { "data-domain": name },
                   el("td", {}, name),
                   el("td", {}, stateBadge(d.state)),
                   el("td", {}, el("ul", {}, (d.reasons || []).map(reasonText))))))),
            notApplicable.length ? el("p", {}, "Not applicable to this action: " + notApplicable.join(", ")) : null,
            Array.isArray(ev.screenings) && ev.screenings.length
                ? [el("h4", {}, "Names screened"),
                   el("ul", {}, ev.screenings.map((s) => el("li", {}, (s.name || s.screened_name || "") + " ",
                                                            s.pointer ? el("code", {}, s.pointer) : null, " ",
                                                            stateBadge(s.state))))]
                : null);
        art.hidden = false;
    }

    // ---------------------------------------------------------------- clearances
    async function loadClearances() {
        const f = $("clearances-filter");
        let list;
        try {
            list = await api("/v1/sanctions/clearances" + query({ status: f.elements.status.value,
                                                                  context_id: f.elements.context_id.value.trim() }));
        } catch (e) {
            return failed(e);
        }
        fill($("clearances-table").tBodies[0], list.clearances.map(clearanceRow),
             "No clearance with these conditions.");
    }
    function clearanceRow(c) {
        const actions = el("td", {});
        const row = el("tr", { "data-clearance": c.clearance_id },
            el("td", {}, c.name), el("td", { class: "mono" }, c.entry), el("td", { class: "mono" }, c.context_id),
            el("td", {}, c.reason), el("td", {}, c.cleared_by, c.approved ? " · approved by " + c.approved.by : ""),
            el("td", {}, stateBadge(c.status)),
            el("td", {}, c.expires_at), actions);
        if (c.status === "proposed") {
            // Two clicks: an approval lifts a sanctions block, so it is never one stray click.
            const approve = el("button", { type: "button", class: "approve" }, "Approve");
            approve.addEventListener("click", async () => {
                if (approve.dataset.armed !== "1") {
                    approve.dataset.armed = "1";
                    approve.textContent = "Confirm approval";
                    return;
                }
                try {
                    await api("/v1/sanctions/clearances/" + encodeURIComponent(c.clearance_id) + "/approve", "POST",
                              {});
                    say("Clearance " + c.clearance_id + " approved: it is in force.", "info");
                    await loadClearances();
                } catch (e) {
                    failed(e);
                }
            });
            actions.appendChild(approve);
        }
        if (c.status === "proposed" || c.status === "active") {
            const reason = el("input", { type: "text", class: "revoke-reason", maxlength: 2000,
                                         placeholder: "why it is revoked", hidden: true });
            const revoke = el("button", { type: "button", class: "danger revoke" }, "Revoke");
            revoke.addEventListener("click", async () => {
                if (reason.hidden) {
                    reason.hidden = false;
                    revoke.textContent = "Revoke with this reason";
                    reason.focus();
                    return;
                }
                if (!reason.value.trim()) {
                    say("A revocation needs its reason.");
                    return;
                }
                try {
                    await api("/v1/sanctions/clearances/" + encodeURIComponent(c.clearance_id) + "/revoke", "POST",
                              { reason: reason.value.trim() });
                    say("Clearance " + c.clearance_id + " revoked.", "info");
                    await loadClearances();
                } catch (e) {
                    failed(e);
                }
            });
            actions.append(" ", reason, revoke);
        }
        return row;
    }

    // ---------------------------------------------------------------- audit trail
    async function loadAudit(direction) {
        let params = { limit: auditPage };
        if (direction === "earlier" && state.auditFirst > 1) {
            const from = Math.max(1, state.auditFirst - auditPage);
            params = { from, limit: state.auditFirst - from };
        }
        let page;
        try {
            page = await api("/v1/audit/rows" + query(params));
        } catch (e) {
            return failed(e);
        }
        const laterFirst = direction === "earlier" ? state.auditFirstRow : null;
        const result = await checkAuditPage(page);
        const problems = [...result.problems];
        const last = page.rows[page.rows.length - 1];
        if (laterFirst && last && (laterFirst.seq !== last.seq + 1 || laterFirst.prev_hash !== last.hash))
            problems.push("the page shown before does not link to this one at seq " + laterFirst.seq);
        const bySeq = new Map(result.rows.map((r) => [r.seq, r]));
        fill($("audit-table").tBodies[0], page.rows.slice().reverse().map((row) => {
            const v = bySeq.get(row.seq);
            return el("tr", { "data-seq": row.seq, class: v.ok ? "" : "tampered" },
                el("td", {}, row.seq), el("td", {}, row.at), el("td", { class: "mono" }, row.actor),
                el("td", {}, row.action),
                el("td", { class: "mono" }, [row.resource_type, row.resource_id].filter(Boolean).join(" ")),
                el("td", {}, row.outcome),
                el("td", { class: "mono", title: row.hash },
                   v.ok ? badge("✓ " + short(row.hash), "ok") : badge("✗ " + v.problem, "bad")));
        }), "The audit table holds no row.");
        state.auditFirst = page.rows.length ? page.rows[0].seq : null;
        state.auditFirstRow = page.rows[0] || null;
        $("audit-earlier").disabled = !state.auditFirst || state.auditFirst <= 1;
        const summary = $("audit-summary");
        summary.replaceChildren(
            problems.length ? badge("Chain problems: " + problems.join("; "), "bad")
                            : badge(page.rows.length ? "rows " + page.rows[0].seq + ".." + last.seq
                                    + " verified in this browser" : "no rows", "ok"),
            page.head ? " Chain head: seq " + page.head.seq + " " : " No chain head. ",
            page.head ? el("code", {}, page.head.hash) : null);
        summary.dataset.ok = String(!problems.length);
    }
    // The anchor's signature is checked here before it is saved: one that does not verify is not worth keeping.
    async function downloadAnchor() {
        try {
            const a = await api("/v1/audit/anchor");
            const check = await checkAnchor(a, state.zone && state.zone.did);
            if (check.ok === false)
                return say("The zone's anchor does not verify (" + check.problem + "): not saved.", "bad");
            const name = a.zone_id + "-audit-anchor-" + a.seq + ".json";
            if (env.download)
                env.download(name, JSON.stringify(a, null, 2) + "\n");
            say("Anchor of row " + a.seq + " (" + a.hash + ") signed by " + a.did
                + (check.ok ? ", signature verified in this browser" : " (" + check.problem + ")")
                + (check.current ? "" : "; that is not the key the zone signs with now (GET /v1/zone/keys lists "
                                        + "the keys it has had)")
                + ": keep " + name + " outside the zone.", "info");
        } catch (e) {
            failed(e);
        }
    }

    // ---------------------------------------------------------------- registers
    function registerForm() {
        const f = $("registers-filter");
        const reg = REGISTERS[f.elements.register.value] || REGISTERS.entities;
        const licences = reg === REGISTERS.licences;
        const params = { status: f.elements.status.value };
        if (licences) {
            params.entity_id = f.elements.entity_id.value.trim();
            params.licence_type = f.elements.licence_type.value.trim();
        }
        return { f, reg, licences, params };
    }
    // The state choices and the licence-only filters follow the register chosen.
    function registerChosen() {
        const { f, reg, licences } = registerForm();
        const keep = f.elements.status.value;
        f.elements.status.replaceChildren(el("option", { value: "" }, "all"),
                                          ...reg.states.map((s) => el("option", { value: s }, s)));
        f.elements.status.value = reg.states.includes(keep) ? keep : "";
        for (const l of f.querySelectorAll(".licence-only"))
            l.hidden = !licences;
        $("registers-table").tHead.rows[0].replaceChildren(...reg.head.map((h) => el("th", {}, h)));
    }
    // The chosen register at a glance (GET /v1/registers/summary): its total, each state that has entries (a button
    // that filters the register by it) and its types. Read with every first page, so the numbers are the list's.
    async function loadRegisterSummary() {
        const { f, reg, licences, params } = registerForm();
        const line = $("registers-summary");
        let s;
        try {
            s = await api("/v1/registers/summary");
        } catch (e) {
            line.replaceChildren();
            return failed(e);
        }
        const t = licences ? s.licences : s.entities;
        const noun = licences ? (t.total === 1 ? "licence" : "licences") : (t.total === 1 ? "entity" : "entities");
        const pick = (state) => () => { f.elements.status.value = state; loadRegister(false); };
        const states = reg.states.filter((st) => t.by_status[st]).map((st) =>
            el("button", { type: "button", "data-state": st, "aria-pressed": String(params.status === st),
                           onclick: pick(params.status === st ? "" : st) }, st + " " + t.by_status[st]));
        const types = Object.entries(t.by_type).map(([k, v]) => k + " " + v).join(", ");
        const parts = [el("span", { class: "summary", "data-total": t.total }, t.total + " " + noun),
                       " as of " + s.as_of, states.length ? [": ", states] : null,
                       types ? " — by type: " + types : null,
                       !licences && !s.entities.complete ? [" ", badge("first 100,000 of a remote register", "warn")]
                                                         : null];
        line.replaceChildren(...parts.flat(Infinity).filter((x) => x !== null));
    }
    async function loadRegister(more) {
        // "More" goes on with the register and filter its cursor was made for (as for payments).
        const { reg, licences, params } = more && state.registerQuery ? state.registerQuery : registerForm();
        if (!more) {
            loadRegisterSummary();
            state.registerQuery = { reg, licences, params: { ...params } };
        }
        params.limit = registerPage;
        if (more && state.registerCursor)
            params.cursor = state.registerCursor;
        let page;
        try {
            page = await api(reg.path + query(params));
        } catch (e) {
            return failed(e);
        }
        const link = (id) => el("a", { href: "#", class: "mono", "data-id": id,
                                       onclick: (ev) => { ev.preventDefault(); ev.stopPropagation(); openRecord(id); } },
                                id);
        const rows = page[reg.member].map((x) => el("tr", { class: "pick", "data-id": x[reg.id], tabindex: 0,
                                                            onclick: () => openRecord(x[reg.id]),
                                                            onkeydown: (ev) => ev.key === "Enter" && openRecord(x[reg.id]) },
            licences
                ? [el("td", { class: "mono" }, x.licence_id), el("td", {}, link(x.entity_id)),
                   el("td", {}, x.licence_type), el("td", {}, stateBadge(x.status)),
                   el("td", {}, x.valid_from || "—"), el("td", {}, validUntil(x))]
                : [el("td", { class: "mono" }, x.entity_id), el("td", {}, x.legal_name), el("td", {}, x.entity_type),
                   el("td", {}, stateBadge(x.status)), el("td", {}, x.formation_date || x.created_at || "—"),
                   el("td", {}, x.updated_at || "")]));
        const tbody = $("registers-table").tBodies[0];
        if (more)
            rows.forEach((r) => tbody.appendChild(r));
        else
            fill(tbody, rows, licences ? "No licence matches." : "No entity matches.");
        state.registerCursor = page.next_cursor || null;
        $("registers-more").hidden = !page.next_cursor;
    }
    // Every entry the filter matches (all pages), as CSV for a spreadsheet: the register as the zone holds it now.
    async function downloadRegister() {
        const { reg, params } = registerForm();
        const entries = [];
        let cursor = null;
        try {
            do {
                const page = await api(reg.path + query({ ...params, limit: 1000, cursor }));
                entries.push(...page[reg.member]);
                cursor = page.next_cursor || null;
            } while (cursor);
        } catch (e) {
            return failed(e);
        }
        const lines = [reg.csv.join(","), ...entries.map((x) => reg.csv.map((c) => csvCell(x[c])).join(","))];
        const name = [state.zone ? state.zone.zone_id : "zone", reg.member, params.status,
                      new Date().toISOString().slice(0, 10)].filter(Boolean).join("-") + ".csv";
        if (env.download)
            env.download(name, lines.join("\r\n") + "\r\n", "text/csv");
        say(entries.length + " " + (reg === REGISTERS.licences ? "licences" : "entities") + " saved as " + name
            + ".", "info");
    }
    async function openRecord(id) {
        await show("record");
        $("record-form").elements.id.value = id;
        await loadRecord(id);
    }

    // ---------------------------------------------------------------- payments
    // The treasury's payments (GET /v1/fiscal/payments), oldest first: with "processing" chosen, the settlement queue,
    // each payment's "made" being how long it has waited. A row opens the payment as a record.
    function paymentFilter() {
        const f = $("payments-filter");
        return { status: f.elements.status.value, destination_type: f.elements.destination_type.value,
                 entity_id: f.elements.entity_id.value.trim(), account_id: f.elements.account_id.value.trim() };
    }
    // Where a payment went, as text: an account in the zone, a bank's beneficiary and IBAN or account, a corridor.
    function destinationText(d) {
        if (!d || typeof d !== "object")
            return "";
        if (d.type === "internal_account")
            return d.account_id || "";
        if (d.type === "corridor_settlement")
            return "corridor " + (d.corridor_id || "") + (d.destination_zone_id ? " to " + d.destination_zone_id : "");
        const b = d.bank_details || {};
        return ["bank", b.beneficiary_name, b.iban || b.account_number, b.swift_bic].filter(Boolean).join(" ");
    }
    async function loadPayments(more) {
        // "More" goes on with the filter its cursor was made for, not with one changed since (which would add
        // another filter's rows under these, from this one's place).
        const params = more && state.paymentFilter ? { ...state.paymentFilter }
                                                   : { ...paymentFilter(), limit: paymentPage };
        if (!more)
            state.paymentFilter = { ...params };
        if (more && state.paymentCursor)
            params.cursor = state.paymentCursor;
        let page;
        try {
            page = await api("/v1/fiscal/payments" + query(params));
        } catch (e) {
            return failed(e);
        }
        const rows = page.payments.map((x) => el("tr", { class: "pick", "data-id": x.payment_id, tabindex: 0,
                                                         onclick: () => openRecord(x.payment_id),
                                                         onkeydown: (ev) => ev.key === "Enter" && openRecord(x.payment_id) },
            el("td", { class: "mono" }, x.payment_id), el("td", {}, x.created_at),
            el("td", { class: "mono" }, x.source_account_id),
            el("td", { class: x.destination && x.destination.type === "internal_account" ? "mono" : "" },
               destinationText(x.destination)),
            el("td", {}, x.gross_amount + " " + x.currency), el("td", {}, (x.net_amount || "") + " " + x.currency),
            el("td", {}, stateBadge(x.status))));
        const tbody = $("payments-table").tBodies[0];
        if (more)
            rows.forEach((r) => tbody.appendChild(r));
        else
            fill(tbody, rows, params.status === "processing" ? "No payment is waiting for a bank or a corridor."
                                                            : "No payment matches.");
        state.paymentCursor = page.next_cursor || null;
        $("payments-more").hidden = !page.next_cursor;
    }

    // ---------------------------------------------------------------- one record
    // Where the zone API reads a record of each kind, by the prefix its ids carry.
    const RECORD_ROUTES = { ent_: "/v1/entities/", lic_: "/v1/licences/", per_: "/v1/identity/persons/",
                            acc_: "/v1/fiscal/accounts/", pay_: "/v1/fiscal/payments/", con_: "/v1/consent/" };
    async function loadRecord(id) {
        const art = $("record-detail");
        const route = Object.entries(RECORD_ROUTES).find(([prefix]) => id.startsWith(prefix));
        const missing = (e) => (e.status === 404 ? null : Promise.reject(e));
        const entity = id.startsWith("ent_");
        let record = null, decisions, clearances, taxes = null;
        try {
            [record, decisions, clearances, taxes] = await Promise.all([
                route ? api(route[1] + encodeURIComponent(id)).catch(missing) : Promise.resolve(null),
                api("/v1/evaluations" + query({ subject_id: id, limit: PAGE })),
                api("/v1/sanctions/clearances" + query({ context_id: id, status: "all" })),
                // What was withheld on an entity's payments (the treasury's tax events), oldest first.
                entity ? api("/v1/fiscal/{entity_id}/tax-events".replace("{entity_id}", encodeURIComponent(id)) +
                             query({ limit: TAX_PAGE }))
                             .catch(missing)
                       : Promise.resolve(null)]);
        } catch (e) {
            return failed(e);
        }
        const facts = record ? Object.entries(record).filter(([, v]) => v === null || typeof v !== "object") : [];
        art.replaceChildren(
            el("h3", {}, id, record && record.status ? [" ", stateBadge(record.status)] : null),
            record ? el("dl", { class: "record-facts" },
                        facts.map(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))]))
                   : el("p", { class: "record-missing" },
                        route ? "The zone holds no such record (or no longer serves it)."
                              : "Not an id of a record the zone API reads; its decisions and clearances follow."),
            el("h4", {}, "Decisions about it"),
            decisions.evaluations.length
                ? el("ul", { class: "record-decisions" }, decisions.evaluations.map((d) =>
                      el("li", {}, el("a", { href: "#", "data-seq": d.seq,
                                             onclick: (ev) => { ev.preventDefault(); openDecision(d.seq); } },
                                      "decision " + d.seq), " " + d.evaluated_at + " " + d.action_type + " ",
                         stateBadge(d.decision))))
                : el("p", {}, "None recorded."),
            el("h4", {}, "Sanctions clearances in its file"),
            clearances.clearances.length
                ? el("ul", { class: "record-clearances" }, clearances.clearances.map((c) =>
                      el("li", {}, c.name + " is not " + c.entry + " ", stateBadge(c.status), " — " + c.reason)))
                : el("p", {}, "None."),
            ...(taxes ? taxSection(taxes) : []));
        art.hidden = false;
    }
    // The tax an entity withheld as payer: each deduction with its section, tax year and payment (opened as a
    // record), as the treasury recorded it.
    function taxSection(taxes) {
        const section = (t) => (t.metadata && t.metadata.section ? "s. " + t.metadata.section : "");
        return [
            el("h4", {}, "Tax withheld on its payments"),
            taxes.events.length
                ? el("ul", { class: "record-taxes" }, taxes.events.map((t) =>
                      el("li", {}, t.occurred_at + " " + t.amount + " " + t.currency + " " + section(t) +
                                   " (tax year " + t.tax_year + ") payment ",
                         el("a", { href: "#", "data-id": t.source_payment_id,
                                   onclick: (ev) => { ev.preventDefault(); openRecord(t.source_payment_id); } },
                            t.source_payment_id))))
                : el("p", {}, "None recorded."),
            taxes.total_count > taxes.events.length
                ? el("p", { class: "record-taxes-more" },
                     "The first " + taxes.events.length + " of " + taxes.total_count + " are shown.")
                : el("span")];
    }
    async function openDecision(seq) {
        await show("decisions");
        await loadDecision(seq);
    }

    // ---------------------------------------------------------------- corridors, peers and watchers
    async function loadCorridors() {
        let corridors, watchers, peers, refusals;
        try {
            [corridors, watchers, peers, refusals] = await Promise.all([api("/v1/corridors"), api("/v1/watchers"),
                api("/v1/peers"), api("/v1/peers/refusals")]);
        } catch (e) {
            return failed(e);
        }
        const corridorRow = (c) => el("tr", { "data-corridor": c.corridor_id },
            el("td", { class: "mono" }, c.corridor_id), el("td", {}, c.peer_zone_id || "—"),
            el("td", {}, c.role || ""), el("td", {}, stateBadge(c.state)),
            el("td", {}, c.size ?? 0),
            el("td", {}, c.peer_acknowledged_size ?? "—",
               c.size !== undefined && c.peer_acknowledged_size !== undefined && c.peer_acknowledged_size < c.size
                   ? badge(" behind", "warn") : null),
            el("td", { class: "mono", title: c.root || "" }, short(c.root)), el("td", {}, c.updated_at || ""));
        fill($("corridors-table").tBodies[0], corridors.corridors.map(corridorRow), "The zone has no corridor.");
        fill($("watchers-table").tBodies[0], watchers.watchers.map((w) => el("tr", { "data-watcher": w.watcher_id },
            el("td", { class: "mono" }, w.watcher_id), el("td", { class: "mono" }, short(w.did)),
            el("td", {}, stateBadge(w.state)),
            el("td", {}, w.slashed_minor ?? 0), el("td", {}, w.updated_at || ""))),
            "No watcher is enrolled.");
        fill($("peers-table").tBodies[0], peers.peers.map((p) => el("tr", { "data-peer": p.zone_id },
            el("td", { class: "mono" }, p.zone_id), el("td", { class: "mono" }, p.url),
            el("td", { class: "mono", title: p.did }, short(p.did)), el("td", {}, p.source),
            el("td", {}, p.registered_at || "—"), el("td", {}, p.revoked_at ? badge(p.revoked_at, "warn") : "—"))),
            "The zone has no peer.");
        const refusalName = { "peer.replay_refused": "replayed", "peer.wrong_authority_refused": "signed for another name" };
        fill($("refusals-table").tBodies[0], refusals.refusals.map((x) => el("tr", { "data-signature": x.signature },
            el("td", { class: "mono" }, x.peer), el("td", { title: x.action }, refusalName[x.action] || x.action),
            el("td", {}, x.times, x.times > 1 ? badge(" resent", "warn") : null),
            el("td", {}, x.first_refused_at), el("td", {}, x.last_refused_at),
            el("td", { class: "mono", title: x.signature }, short(x.signature)),
            el("td", { class: "mono" }, x.request_id || "—"))),
            "No peer's signed request was refused.");
    }

    // ---------------------------------------------------------------- wiring
    $("signin").addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const t = $("token").value.trim();
        $("token").value = "";
        if (!t)
            return;
        env.storage.setItem(TOKEN_KEY, t);
        if (await loadWhoami())
            await show(state.view, true);
    });
    $("signout").addEventListener("click", () => {
        env.storage.removeItem(TOKEN_KEY);
        for (const id of ["decisions-table", "registers-table", "payments-table", "clearances-table", "audit-table",
                          "corridors-table", "watchers-table", "peers-table", "refusals-table"])
            $(id).tBodies[0].replaceChildren();
        $("decision-detail").replaceChildren();
        $("registers-summary").replaceChildren();
        $("whoami").textContent = "";
        signedIn(false);
        say("Signed out.", "info");
    });
    for (const b of $("views").querySelectorAll("button[data-view]"))
        b.addEventListener("click", () => show(b.dataset.view));
    $("decisions-filter").addEventListener("submit", (ev) => { ev.preventDefault(); loadDecisions(false); });
    $("decisions-older").addEventListener("click", () => loadDecisions(true));
    $("registers-filter").addEventListener("submit", (ev) => { ev.preventDefault(); loadRegister(false); });
    $("registers-filter").elements.register.addEventListener("change", () => { registerChosen(); loadRegister(false); });
    $("registers-more").addEventListener("click", () => loadRegister(true));
    $("registers-csv").addEventListener("click", downloadRegister);
    registerChosen();
    $("payments-filter").addEventListener("submit", (ev) => { ev.preventDefault(); loadPayments(false); });
    $("payments-more").addEventListener("click", () => loadPayments(true));
    $("clearances-filter").addEventListener("submit", (ev) => { ev.preventDefault(); loadClearances(); });
    $("audit-earlier").addEventListener("click", () => loadAudit("earlier"));
    $("audit-latest").addEventListener("click", () => loadAudit(null));
    $("audit-anchor").addEventListener("click", downloadAnchor);
    $("record-form").addEventListener("submit", (ev) => {
        ev.preventDefault();
        const id = $("record-form").elements.id.value.trim();
        if (id)
            loadRecord(id);
    });

    const ready = (async () => {
        await loadZone();
        if (env.storage.getItem(TOKEN_KEY) && await loadWhoami())
            await show(state.view, true);
        else if (!env.storage.getItem(TOKEN_KEY))
            signedIn(false);
    })();
    // For tests: each step the console takes, awaited.
    return { ready, show, loadDecision, loadDecisions, loadRegister, loadRegisterSummary, downloadRegister,
             loadPayments, loadClearances, loadAudit, loadRecord, loadCorridors, downloadAnchor };
}

function browserDownload(name, text, type = "application/json") {
    const url = URL.createObjectURL(new Blob([text], { type }));
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
}

if (typeof window !== "undefined" && typeof document !== "undefined" && !globalThis.MEZ_CONSOLE_NO_START) {
    const boot = () => start({ document, fetch: (path, init) => window.fetch(path, init),
                               storage: window.sessionStorage, download: browserDownload });
    if (document.readyState === "loading")
        document.addEventListener("DOMContentLoaded", boot);
    else
        boot();
}
