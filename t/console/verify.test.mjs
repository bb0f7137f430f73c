// verify.test.mjs: the console's own checks (htdocs/regulator/mez-verify.mjs) under node's test runner: RFC 8785
// against the shared vectors (../shared/vectors/jcs, from the RFC's reference implementation), and the audit page
// and evaluation checks on hand-made cases whose faults are known. t/test_console.py checks them against a real zone.
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
const { jcs, sha256, auditRowHash, checkAuditPage, checkEvaluation } =
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
