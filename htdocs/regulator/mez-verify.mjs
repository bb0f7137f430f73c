// mez-verify.mjs: what the regulator console checks for itself, in the browser, instead of taking the zone's word:
// that an audit row's hash is the hash of its members and links to the row before it, and that a recorded
// evaluation hashes to the digest the zone committed to, and that a signed anchor of the chain is signed by the
// zone's key. No DOM here, so the same code runs under node for tests.
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

// ---------------------------------------------------------------- signed anchors (GET /v1/audit/anchor)
// An anchor is the audit chain's head as a C2SP signed note (docs/07-audit-log.md 7.5): text lines origin
// ("<zone>/audit"), size (the head's seq) and root (its hash, base64), a blank line, then "— <key name>
// <base64(4-byte key id || Ed25519 signature of the text)>". The key is the zone's: the one its did:key names.

const B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

function base58btcDecode(s) {
    const bytes = [];   // little-endian while it is built
    for (const ch of s) {
        let carry = B58.indexOf(ch);
        if (carry < 0)
            return null;
        for (let i = 0; i < bytes.length; i++) {
            carry += bytes[i] * 58;
            bytes[i] = carry & 0xff;
            carry >>= 8;
        }
        for (; carry; carry >>= 8)
            bytes.push(carry & 0xff);
    }
    for (const ch of s) {   // each leading "1" is a leading zero byte
        if (ch !== "1")
            break;
        bytes.push(0);
    }
    return new Uint8Array(bytes.reverse());
}

// The Ed25519 public key a did:key names (multibase base58btc of the multicodec 0xed 0x01 and the 32 bytes), or
// null when it names none.
export function didKeyPublic(did) {
    if (typeof did !== "string" || !did.startsWith("did:key:z"))
        return null;
    const raw = base58btcDecode(did.slice(9));
    return raw && raw.length === 34 && raw[0] === 0xed && raw[1] === 0x01 ? raw.slice(2) : null;
}

function base64Bytes(s) {
    try {
        return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
    } catch {
        return null;
    }
}

function hexBytes(hex) {
    return /^[0-9a-f]{64}$/.test(hex) ? Uint8Array.from(hex.match(/../g), (h) => parseInt(h, 16)) : null;
}

const sameBytes = (a, b) => a && b && a.length === b.length && a.every((x, i) => x === b[i]);

// Checks an anchor as GET /v1/audit/anchor answers it: that its note is signed by the key of the did:key it names,
// and says what the JSON says (origin, seq, hash). Returns { ok, problem, current } where ok is null when this
// browser cannot check Ed25519 signatures, and current whether the did is zoneDid (the zone's key now: an anchor
// signed before a key rotation names the key of its time).
export async function checkAnchor(anchor, zoneDid = null) {
    const fail = (problem) => ({ ok: false, problem, current: anchor && anchor.did === zoneDid });
    if (!anchor || typeof anchor.note !== "string")
        return fail("the answer carries no signed note");
    const pub = didKeyPublic(anchor.did);
    if (!pub)
        return fail("it names no Ed25519 did:key (" + anchor.did + ")");
    const note = anchor.note;
    const split = note.lastIndexOf("\n\n");
    if (split < 0 || !note.endsWith("\n"))
        return fail("the note is not text, a blank line and signature lines");
    const text = note.slice(0, split + 1);
    const [origin, size, root, ...more] = text.split("\n");
    const hash = typeof anchor.hash === "string" && anchor.hash.startsWith("sha256:") ? hexBytes(anchor.hash.slice(7))
                                                                                    : null;
    if (origin !== anchor.origin || origin !== anchor.zone_id + "/audit" || size !== String(anchor.seq)
        || !hash || !sameBytes(base64Bytes(root), hash) || more.join("") !== "")
        return fail("the signed text does not say what the anchor's origin, seq and hash say");
    // The key id a signature line carries: SHA-256(key name, "\n", 0x01, public key), first four bytes.
    const name = new TextEncoder().encode(origin);
    const idInput = new Uint8Array([...name, 0x0a, 0x01, ...pub]);
    const id = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", idInput)).slice(0, 4);
    const line = note.slice(split + 2).split("\n").find((l) => l.startsWith("\u2014 " + origin + " "));
    const blob = line ? base64Bytes(line.slice(origin.length + 3)) : null;
    if (!blob || blob.length !== 68 || !sameBytes(blob.slice(0, 4), id))
        return fail("no signature by the key of " + anchor.did);
    let key;
    try {
        key = await globalThis.crypto.subtle.importKey("raw", pub, { name: "Ed25519" }, false, ["verify"]);
    } catch {
        return { ok: null, problem: "this browser cannot check Ed25519 signatures: check the file with "
                                    + "mez audit verify --anchor", current: anchor.did === zoneDid };
    }
    const good = await globalThis.crypto.subtle.verify({ name: "Ed25519" }, key, blob.slice(4),
                                                      new TextEncoder().encode(text));
    return good ? { ok: true, problem: null, current: anchor.did === zoneDid }
                : fail("the signature does not verify: the note was changed, or not signed by " + anchor.did);
}
