// verify.test.mjs: the console's own checks (htdocs/regulator/mez-verify.mjs) under node's test runner: RFC 8785
// against the shared vectors (../shared/vectors/jcs, from the RFC's reference implementation), and the audit page,
// evaluation and signed anchor checks on hand-made cases whose faults are known. t/test_console.py checks them against a real zone.
//
// usage: node --test t/console/verify.test.mjs   (MEZ_SHARED: the shared directory, default ../shared)
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { webcrypto } from "node:crypto";

if (!globalThis.crypto)
    globalThis.crypto = webcrypto;
const here = path.dirname(fileURLToPath(import.meta.url));
const { jcs, sha256, auditRowHash, checkAuditPage, checkEvaluation, checkAnchor, didKeyPublic } =
    await import(path.join(here, "..", "..", "htdocs", "regulator", "mez-verify.mjs"));
const shared = process.env.MEZ_SHARED || path.join(here, "..", "..", "..", "shared");

test("RFC 8785 vectors", { skip: !fs.existsSync(path.join(shared, "vectors", "jcs")) && "no ../shared" }, () => {
    const dir = path.join(shared, "vectors", "jcs");
    const names = fs.readdirSync(path.join(dir, "input"));
    assert.ok(names.length >= 6);
    for (const n of names)
        assert.equal(jcs(JSON.parse(fs.readFileSync(path.join(dir, "input", n), "utf8"))),
                     fs.readFileSync(path.join(dir, "output", n), "utf8"), n);
});

test("sha256 is SHA-256 of UTF-8", async () => {
    assert.equal(await sha256("abc"), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert.equal(await sha256("é"), "sha256:" + (await import("node:crypto")).createHash("sha256").update("é").digest("hex"));
});

async function chain(n) {
    const rows = [];
    let prev = "sha256:" + "0".repeat(64);
    for (let seq = 1; seq <= n; seq++) {
        const row = { seq, zone_id: "z", at: "2026-11-26T00:00:0" + seq + "Z", actor: "tok", action: "a." + seq,
                      resource_type: null, resource_id: null, outcome: "committed", request_id: null,
                      detail: { n: seq, name: "Zoë" }, prev_hash: prev, hash_scheme: 2 };
        row.hash = await auditRowHash(row);
        rows.push(row);
        prev = row.hash;
    }
    return rows;
}

test("an intact page verifies, and each fault is named at its row", async () => {
    const rows = await chain(4);
    const head = { seq: 4, hash: rows[3].hash };
    assert.ok((await checkAuditPage({ rows, head, beyond_head: 0 })).ok);

    const changed = structuredClone(rows);
    changed[1].detail.n = 99;
    let r = await checkAuditPage({ rows: changed, head, beyond_head: 0 });
    assert.deepEqual(r.rows.filter((x) => !x.ok).map((x) => x.seq), [2]);
    assert.match(r.problems[0], /seq 2: .*changed/);

    const gap = [rows[0], rows[2], rows[3]];
    r = await checkAuditPage({ rows: gap, head, beyond_head: 0 });
    assert.match(r.problems[0], /seq 3: rows 2..2 are missing/);

    r = await checkAuditPage({ rows, head: { seq: 4, hash: rows[2].hash }, beyond_head: 0 });
    assert.ok(r.problems.some((p) => /head's hash/.test(p)));
    r = await checkAuditPage({ rows, head, beyond_head: 2 });
    assert.ok(!r.ok && r.problems.some((p) => /past the chain head/.test(p)));
    r = await checkAuditPage({ rows: [{ ...rows[0], hash_scheme: 7 }], head: null, beyond_head: 0 });
    assert.match(r.problems[0], /scheme 7/);
});

test("a scheme 1 row hashes its members with seq and prev_hash", async () => {
    const row = { seq: 1, zone_id: "z", at: "t", actor: "a", action: "x", resource_type: null, resource_id: null,
                  outcome: "committed", request_id: null, detail: {}, prev_hash: "sha256:" + "0".repeat(64),
                  hash_scheme: 1 };
    const want = await sha256(jcs({ action: "x", actor: "a", at: "t", detail: {}, outcome: "committed",
                                    prev_hash: row.prev_hash, request_id: null, resource_id: null,
                                    resource_type: null, seq: 1, zone_id: "z" }));
    assert.equal(await auditRowHash(row), want);
});

test("an evaluation is checked against its digest", async () => {
    const evaluation = { decision: "non_compliant", evaluation: { domains: { sanctions: { state: "non_compliant" } } } };
    const digest = await sha256(jcs(evaluation));
    assert.ok((await checkEvaluation({ digest, evaluation })).ok);
    const r = await checkEvaluation({ digest, evaluation: { ...evaluation, decision: "compliant" } });
    assert.ok(!r.ok && /not to the recorded digest/.test(r.problem));
    assert.ok(!(await checkEvaluation({ digest })).ok);
});

// base58btc by BigInt arithmetic (not the console's byte loop), for did:key values made here.
function base58btc(bytes) {
    const A = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let n = BigInt("0x" + (Buffer.from(bytes).toString("hex") || "0"));
    let out = "";
    while (n > 0n) {
        out = A[Number(n % 58n)] + out;
        n /= 58n;
    }
    for (const b of bytes) {
        if (b !== 0)
            break;
        out = "1" + out;
    }
    return out;
}

// An anchor as GET /v1/audit/anchor answers it, signed here with a fresh key (docs/07-audit-log.md 7.5).
async function anchor({ seq = 42, zone = "pk-sifc", text = null } = {}) {
    const { subtle } = globalThis.crypto;
    const pair = await subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
    const pub = new Uint8Array(await subtle.exportKey("raw", pair.publicKey));
    const did = "did:key:z" + base58btc([0xed, 0x01, ...pub]);
    const hashHex = (await sha256("row " + seq)).slice(7);
    const origin = zone + "/audit";
    const body = text || origin + "\n" + seq + "\n" + Buffer.from(hashHex, "hex").toString("base64") + "\n";
    const id = new Uint8Array(await subtle.digest("SHA-256", new Uint8Array([...Buffer.from(origin), 0x0a, 0x01, ...pub])));
    const sig = new Uint8Array(await subtle.sign({ name: "Ed25519" }, pair.privateKey, Buffer.from(body)));
    const note = body + "\n\u2014 " + origin + " " + Buffer.from([...id.slice(0, 4), ...sig]).toString("base64") + "\n";
    return { zone_id: zone, origin, seq, hash: "sha256:" + hashHex, note, did };
}

test("a did:key names its Ed25519 key", () => {
    // A key of 32 bytes under the Ed25519 multicodec (0xed 0x01), and what is not one.
    const pub = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
    assert.deepEqual(didKeyPublic("did:key:z" + base58btc([0xed, 0x01, ...pub])), pub);
    assert.equal(didKeyPublic("did:key:z" + base58btc([0xe7, 0x01, ...pub])), null);   // secp256k1, not Ed25519
    assert.equal(didKeyPublic("did:key:z0OIl"), null);                                  // not base58btc
    assert.equal(didKeyPublic("did:web:example.org"), null);
});

test("an anchor is checked against the key its did names", async () => {
    const a = await anchor();
    assert.deepEqual(await checkAnchor(a, a.did), { ok: true, problem: null, current: true });
    assert.equal((await checkAnchor(a, "did:key:zOther")).current, false);   // verified, but not today's key
    const other = await anchor();
    let r = await checkAnchor({ ...a, did: other.did }, other.did);
    assert.ok(r.ok === false && /no signature by the key/.test(r.problem), r.problem);
    r = await checkAnchor({ ...a, seq: 43 });
    assert.ok(r.ok === false && /does not say/.test(r.problem), r.problem);
    r = await checkAnchor({ ...a, hash: "sha256:" + "0".repeat(64) });
    assert.ok(r.ok === false && /does not say/.test(r.problem), r.problem);
    r = await checkAnchor({ ...a, note: a.note.replace("\n42\n", "\n41\n"), seq: 41 });
    assert.ok(r.ok === false && /does not verify/.test(r.problem), r.problem);
    r = await checkAnchor({ ...a, note: a.note.replace(/ \S+\n$/, " AAAA\n") });
    assert.ok(r.ok === false && /no signature/.test(r.problem), r.problem);
    assert.equal((await checkAnchor({ ...a, note: undefined })).ok, false);
});

test("a CSV cell is quoted as RFC 4180 asks, and never read as a formula", async () => {
    const { csvCell } = await import(path.join(here, "..", "..", "htdocs", "regulator", "console.mjs"));
    assert.equal(csvCell("Indus Looms Ltd"), "Indus Looms Ltd");
    assert.equal(csvCell('Kabul "River", Ltd'), '"Kabul ""River"", Ltd"');
    assert.equal(csvCell("two\nlines"), '"two\nlines"');
    assert.equal(csvCell("=HYPERLINK(\"http://x\")"), '"\'=HYPERLINK(""http://x"")"');
    for (const lead of ["+", "-", "@", "\t"])
        assert.equal(csvCell(lead + "1"), "'" + lead + "1");
    assert.equal(csvCell(null), "");
    assert.equal(csvCell(undefined), "");
    assert.equal(csvCell(12), "12");
});
