// mez-verify.mjs: what the regulator console checks for itself, in the browser, instead of taking the zone's word:
// that an audit row's hash is the hash of its members and links to the row before it, and that a recorded
// evaluation hashes to the digest the zone committed to. No DOM here, so the same code runs under node for tests.
//
// RFC 8785 (JCS) is how mez hashes JSON, and it was designed so that ECMAScript needs nothing of its own: object
// members sorted by their UTF-16 code units (what Array.prototype.sort compares), and every value serialised as
// JSON.stringify serialises it (its number form is the one RFC 8785 takes from ECMA-262).

export function jcs(value) {
    if (value === null || typeof value !== "object")
        return JSON.stringify(value);
    if (Array.isArray(value))
        return "[" + value.map(jcs).join(",") + "]";
    const keys = Object.keys(value).sort();
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + jcs(value[k])).join(",") + "}";
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

// "sha256:<hex>" of text as UTF-8, with WebCrypto (a secure context: https, or http on localhost).
export async function sha256(text) {
    const bytes = new TextEncoder().encode(text);
    const digest = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes));
    let hex = "";
    for (const b of digest)
        hex += HEX[b];
    return "sha256:" + hex;
}

// A row's content: every member but the chain's own (seq, prev_hash, hash, hash_scheme), absent ones as null, as
// libmezcore's audit.c builds it.
const CONTENT_MEMBERS = ["zone_id", "at", "actor", "action", "resource_type", "resource_id", "outcome",
                         "request_id", "detail"];

function contentObject(row) {
    const o = {};
    for (const m of CONTENT_MEMBERS)
        o[m] = row[m] === undefined ? null : row[m];
    return o;
}

// The hash the row must carry, by its scheme: 2, sha256(prev_hash "\n" seq "\n" sha256(JCS(content))); 1 (rows
// written before schema 14), sha256(JCS(content + seq + prev_hash)). null for a scheme this console does not know.
export async function auditRowHash(row) {
    if (row.hash_scheme === 2) {
        const content = await sha256(jcs(contentObject(row)));
        return sha256(row.prev_hash + "\n" + row.seq + "\n" + content);
    }
    if (row.hash_scheme === 1)
        return sha256(jcs({ ...contentObject(row), seq: row.seq, prev_hash: row.prev_hash }));
    return null;
}

// Checks a page of rows (oldest first) as GET /v1/audit/rows gives it: each row's hash recomputed, each link to
// the row before (the page's first row against `before`, the last row of the page before it, when known), and the
// page's last row against the head it was read with. Returns { ok, rows: [{ seq, ok, problem }], problems }.
export async function checkAuditPage(page, before = null) {
    const out = [];
    const problems = [];
    let prev = before;
    for (const row of page.rows) {
        let problem = null;
        const want = await auditRowHash(row);
        if (want === null)
            problem = "hash scheme " + row.hash_scheme + " is not one this console knows";
        else if (want !== row.hash)
            problem = "its hash is not the hash of its members: the row was changed";
        else if (prev && row.seq !== prev.seq + 1)
            problem = "rows " + (prev.seq + 1) + ".." + (row.seq - 1) + " are missing before it";
        else if (prev && row.prev_hash !== prev.hash)
            problem = "its prev_hash is not the hash of row " + prev.seq + ": the chain is broken here";
        if (problem)
            problems.push("seq " + row.seq + ": " + problem);
        out.push({ seq: row.seq, ok: !problem, problem });
        prev = row;
    }
    const last = page.rows[page.rows.length - 1];
    if (!page.head && page.rows.length === 0 && page.beyond_head > 0)
        problems.push("the chain head is missing while " + page.beyond_head + " rows exist");
    if (page.head && last && last.seq === page.head.seq && last.hash !== page.head.hash)
        problems.push("the head's hash is not the last row's");
    if (page.beyond_head > 0)
        problems.push(page.beyond_head + " row(s) lie past the chain head: added outside the chain, or the head set "
                      + "back (run mez audit verify on the database)");
    return { ok: problems.length === 0, rows: out, problems };
}

// Whether a recorded evaluation (GET /v1/evaluations/{seq}) hashes to its digest: the evaluation the zone answered
// and committed to is the one it shows.
export async function checkEvaluation(record) {
    if (!record || typeof record.evaluation !== "object" || record.evaluation === null)
        return { ok: false, computed: null, problem: "the record carries no evaluation" };
    const computed = await sha256(jcs(record.evaluation));
    return computed === record.digest
        ? { ok: true, computed, problem: null }
        : { ok: false, computed, problem: "the evaluation hashes to " + computed + ", not to the recorded digest" };
}
