/* cmd_watcher.c: `mez watcher attest`: the watcher's side of mez/watcher.h. It reads a corridor's latest signed
 * checkpoint from each zone, verifies every note with the sequencer's key, checks that the zones' checkpoints
 * describe one history (the same root at the same size, or an RFC 9162 consistency proof between the sizes), and
 * only then signs a WatcherAttestation of each zone's checkpoint and delivers it to that zone. Zones that
 * disagree are named and nothing is attested: finding that is what a watcher is for. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <apr_strings.h>
#include "mez/checkpoint.h"
#include "mez/did.h"
#include "mez/digest.h"
#include "mez/file.h"
#include "mez/http.h"
#include "mez/json.h"
#include "mez/key.h"
#include "mez/mmr.h"
#include "mez/vc.h"
#include "mez_cli.h"

#define MAX_ZONES 8

static int usage(FILE *out)
{
    fprintf(out,
        "usage: mez watcher attest --key WATCHER.pem --corridor ID --zone URL [--zone URL ...] [--ca CA.pem]\n"
        "                          [--token-file F ...]\n"
        "\n"
        "Fetches the corridor's latest checkpoint (GET /v1/corridors/ID/checkpoint) from each zone, verifies each\n"
        "signed note with the sequencer's key (the checkpoint_vkey its proposer serves, else the did:key that\n"
        "signed the corridor's definition), and checks the zones agree: the same root at the same size, or a\n"
        "consistency proof (GET .../proofs/consistency) from the smaller checkpoint to the larger. Then it signs a\n"
        "WatcherAttestation of each zone's checkpoint with the watcher's key and posts it to that zone\n"
        "(POST /v1/corridors/ID/attestations with a bearer token, a watcher or operator token of that zone: the\n"
        "i-th --token-file goes with the i-th --zone, a single one with every zone).\n"
        "One line per step on stdout; on a conflict 'CONFLICT ...' names the zones that disagree.\n"
        "exit 0 when every zone took its attestation, 1 when zones disagree or a zone refused, 2 for a usage,\n"
        "file or network error.\n");
    return out == stdout ? MEZ_EXIT_OK : MEZ_EXIT_USAGE;
}

typedef struct zone_t {
    const char *url;
    const char *note;           /* its latest signed checkpoint */
    const char *auth;           /* "Authorization: Bearer ..." or NULL */
    mez_checkpoint_t cp;
} zone_t;

typedef struct ctx_t {
    apr_pool_t *p;
    mez_http_opts_t opts;
    const char *corridor_id;
} ctx_t;

/* One request; *status and *body as answered. Network failures print and return 2. */
static int call(ctx_t *c, const char *method, const char *base, const char *path, const char *query,
                const char *body, const char *auth, int *status, const char **answer)
{
    mez_problem_t pb = { 0 };
    const char *url, *headers[3] = { NULL, NULL, NULL };
    apr_size_t len = 0;
    int n = 0;
    if (mez_http_url_join(c->p, base, path, query, &url, &pb) != MEZ_OK) {
        mez_cli_fail(&pb, MEZ_EINVAL);
        return MEZ_EXIT_USAGE;
    }
    if (auth)
        headers[n++] = auth;
    if (body)
        headers[n++] = "Content-Type: application/json";
    if (mez_http_request(c->p, &c->opts, method, url, headers, body, body ? strlen(body) : 0, status, answer, &len,
                         &pb) != MEZ_OK) {
        fprintf(stderr, "mez watcher: %s %s: %s\n", method, url, pb.detail ? pb.detail : "no answer");
        return MEZ_EXIT_USAGE;
    }
    return MEZ_EXIT_OK;
}

static json_t *parse_answer(apr_pool_t *p, const char *text)
{
    json_t *v = NULL;
    return text && mez_json_parse(p, text, strlen(text), &v, NULL) == MEZ_OK ? v : NULL;
}

/* What a zone's problem answer says, for a message. */
static const char *problem_text(apr_pool_t *p, int status, const char *text)
{
    json_t *v = parse_answer(p, text);
    const char *code = json_string_value(json_object_get(v, "code"));
    const char *detail = json_string_value(json_object_get(v, "detail"));
    return apr_psprintf(p, "%d %s%s%s", status, code ? code : "", detail ? ": " : "", detail ? detail : "");
}

static const char *corridor_path(ctx_t *c, const char *tail)
{
    return apr_pstrcat(c->p, "/v1/corridors/", c->corridor_id, tail, NULL);
}

/* The sequencer's checkpoint key: the verifier key its proposer serves, or else the did:key that signed the
 * corridor's definition (under the note's origin as the key name). */
static int sequencer_key(ctx_t *c, zone_t *zones, int n, const char **name, mez_key_t **key)
{
    mez_problem_t pb = { 0 };
    int status;
    const char *text;
    for (int i = 0; i < n; i++) {
        json_t *v;
        const char *vkey;
        if (call(c, "GET", zones[i].url, corridor_path(c, ""), NULL, NULL, zones[i].auth, &status, &text)
            != MEZ_EXIT_OK)
            return MEZ_EXIT_USAGE;
        if (status == 200 && (v = parse_answer(c->p, text))
            && (vkey = json_string_value(json_object_get(v, "checkpoint_vkey")))) {
            if (mez_checkpoint_vkey_parse(c->p, vkey, name, key, &pb) != MEZ_OK)
                return mez_cli_fail(&pb, MEZ_EINVAL);
            printf("sequencer key: %s (from %s)\n", vkey, zones[i].url);
            return MEZ_EXIT_OK;
        }
    }
    for (int i = 0; i < n; i++) {
        json_t *v;
        const char *did, *nl;
        if (call(c, "GET", zones[i].url, corridor_path(c, "/documents"), NULL, NULL, zones[i].auth, &status, &text)
            != MEZ_EXIT_OK)
            return MEZ_EXIT_USAGE;
        if (status != 200 || !(v = parse_answer(c->p, text))
            || !(did = json_string_value(json_object_get(json_object_get(v, "definition"), "issuer"))))
            continue;
        if (mez_did_key_resolve(c->p, did, key, &pb) != MEZ_OK)
            return mez_cli_fail(&pb, MEZ_EINVAL);
        nl = strchr(zones[i].note, '\n');
        *name = nl ? apr_pstrndup(c->p, zones[i].note, (apr_size_t)(nl - zones[i].note)) : "";
        printf("sequencer key: %s (the corridor definition's issuer, from %s)\n", did, zones[i].url);
        return MEZ_EXIT_OK;
    }
    fprintf(stderr, "mez watcher: no zone told the sequencer's key of corridor %s (a watcher or operator token is "
                    "needed to read the corridor)\n", c->corridor_id);
    return MEZ_EXIT_USAGE;
}

/* 1 when a and b describe one history: equal at equal sizes, else proven consistent by the larger's zone. */
static int consistent(ctx_t *c, const zone_t *a, const zone_t *b, int *rc)
{
    const zone_t *small = a->cp.size <= b->cp.size ? a : b, *large = small == a ? b : a;
    mez_digest_t *path;
    const json_t *arr, *x;
    json_t *v;
    const char *text;
    size_t i;
    int status;
    *rc = MEZ_EXIT_OK;
    if (small->cp.size == large->cp.size)
        return mez_digest_equal(&small->cp.root, &large->cp.root);
    if ((*rc = call(c, "GET", large->url, corridor_path(c, "/proofs/consistency"),
                    apr_psprintf(c->p, "from=%" APR_UINT64_T_FMT "&to=%" APR_UINT64_T_FMT, small->cp.size,
                                 large->cp.size), NULL, NULL, &status, &text)) != MEZ_EXIT_OK)
        return 0;
    if (status != 200 || !(v = parse_answer(c->p, text)) || !json_is_array(arr = json_object_get(v, "path")))
        return 0;
    path = apr_pcalloc(c->p, (json_array_size(arr) + 1) * sizeof(*path));
    json_array_foreach(arr, i, x) {
        mez_problem_t pb = { 0 };
        const char *h = json_string_value(x);
        if (!h || mez_digest_parse(c->p, apr_pstrcat(c->p, "sha256:", h, NULL), &path[i], &pb) != MEZ_OK)
            return 0;
    }
    return mez_mmr_verify_consistency(small->cp.size, large->cp.size, &small->cp.root, &large->cp.root, path,
                                      json_array_size(arr));
}

static json_t *attestation(ctx_t *c, const mez_key_t *key, const zone_t *z, mez_problem_t *pb)
{
    mez_vc_proof_options_t opts = { 0 };
    json_t *cred, *vc = NULL;
    cred = json_pack("{s:[s], s:[s,s], s:s, s:{s:s, s:s, s:s, s:I, s:s, s:s}}", "@context", MEZ_VC_CONTEXT_V2, "type",
                     "VerifiableCredential", "WatcherAttestation", "validFrom", mez_time_now_rfc3339(c->p),
                     "credentialSubject", "id", apr_pstrcat(c->p, "urn:mez:corridor:", c->corridor_id, NULL),
                     "corridor_id", c->corridor_id, "origin", z->cp.origin, "tree_size", (json_int_t)z->cp.size,
                     "root_hash", mez_digest_hex(c->p, &z->cp.root), "checkpoint_note", z->note);
    mez_json_pool_own(c->p, cred);
    return mez_vc_issue(c->p, cred, key, NULL, &opts, &vc, pb) == MEZ_OK ? vc : NULL;
}

static const char *read_token(apr_pool_t *p, const char *path)
{
    char buf[1024];
    size_t n = 0;
    struct stat st;
    /* Opened without waiting, read only as a regular file: a named pipe is refused rather than waited on. */
    int fd = mez_file_open_regular(path, &st);
    if (fd < 0)
        return NULL;
    while (n < sizeof(buf) - 1) {
        ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    return n ? apr_pstrdup(p, buf) : NULL;
}

static int attest_cmd(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *key_file = NULL, *ca = NULL, *token_files[MAX_ZONES], *v, *name = NULL;
    zone_t zones[MAX_ZONES];
    mez_key_t *wkey, *skey = NULL;
    mez_problem_t pb = { 0 };
    ctx_t c;
    int n = 0, ntok = 0, rc, failed = 0, conflict = 0;

    memset(&c, 0, sizeof(c));
    c.p = p;
    for (int i = 1; i < argc; i++) {   /* mez_cli_option leaves i on the value it took */
        int m;
        if ((m = mez_cli_option(argc, argv, &i, "--key", &key_file))
            || (m = mez_cli_option(argc, argv, &i, "--corridor", &c.corridor_id))
            || (m = mez_cli_option(argc, argv, &i, "--ca", &ca))) {
            if (m < 0)
                return usage(stderr);
            continue;
        }
        if ((m = mez_cli_option(argc, argv, &i, "--token-file", &v))) {
            if (m < 0 || ntok == MAX_ZONES)
                return usage(stderr);
            token_files[ntok++] = v;
            continue;
        }
        if ((m = mez_cli_option(argc, argv, &i, "--zone", &v))) {
            if (m < 0 || n == MAX_ZONES)
                return usage(stderr);
            memset(&zones[n], 0, sizeof(zones[n]));
            zones[n++].url = v;
            continue;
        }
        fprintf(stderr, "mez watcher attest: unexpected argument '%s'\n", argv[i]);
        return usage(stderr);
    }
    if (!key_file || !c.corridor_id || !n || (ntok > 1 && ntok != n))
        return usage(stderr);
    if (mez_key_load_private(p, key_file, &wkey, &pb) != MEZ_OK)
        return mez_cli_fail(&pb, MEZ_EIO);
    c.opts.ca_file = ca;
    c.opts.max_retries = 1;
    for (int i = 0; i < ntok; i++) {
        const char *t = read_token(p, token_files[i]);
        if (!t) {
            fprintf(stderr, "mez watcher attest: cannot read a token from %s\n", token_files[i]);
            return MEZ_EXIT_USAGE;
        }
        t = apr_pstrcat(p, "Authorization: Bearer ", t, NULL);
        for (int j = 0; j < n; j++)
            if (ntok == 1 || j == i)
                zones[j].auth = t;
    }
    printf("watcher: %s\n", mez_did_key(p, wkey));

    /* 1. every zone's latest checkpoint (public) */
    for (int i = 0; i < n; i++) {
        int status;
        if ((rc = call(&c, "GET", zones[i].url, corridor_path(&c, "/checkpoint"), NULL, NULL, NULL, &status,
                       &zones[i].note)) != MEZ_EXIT_OK)
            return rc;
        if (status != 200) {
            fprintf(stderr, "mez watcher attest: %s has no checkpoint of corridor %s: %s\n", zones[i].url,
                    c.corridor_id, problem_text(p, status, zones[i].note));
            return MEZ_EXIT_INVALID;
        }
    }
    /* 2. each note signed by the sequencer */
    if ((rc = sequencer_key(&c, zones, n, &name, &skey)) != MEZ_EXIT_OK)
        return rc;
    for (int i = 0; i < n; i++) {
        if (mez_checkpoint_open(p, zones[i].note, strlen(zones[i].note), name, skey, &zones[i].cp, &pb) != MEZ_OK) {
            printf("CONFLICT %s: its checkpoint is not the sequencer's: %s (%s)\n", zones[i].url,
                   pb.detail ? pb.detail : "", pb.code ? pb.code : "");
            return MEZ_EXIT_INVALID;
        }
        printf("checkpoint %s: %s size %" APR_UINT64_T_FMT " root %s: signature ok\n", zones[i].url,
               zones[i].cp.origin, zones[i].cp.size, mez_digest_hex(p, &zones[i].cp.root));
    }
    /* 3. one history: every pair agrees */
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            if (strcmp(zones[i].cp.origin, zones[j].cp.origin)) {
                printf("CONFLICT %s and %s: origins %s and %s\n", zones[i].url, zones[j].url, zones[i].cp.origin,
                       zones[j].cp.origin);
                conflict = 1;
                continue;
            }
            if (consistent(&c, &zones[i], &zones[j], &rc))
                printf("consistent: %s (size %" APR_UINT64_T_FMT ") and %s (size %" APR_UINT64_T_FMT ")\n",
                       zones[i].url, zones[i].cp.size, zones[j].url, zones[j].cp.size);
            else if (rc != MEZ_EXIT_OK)
                return rc;
            else {
                const zone_t *dis = zones[i].cp.size >= zones[j].cp.size ? &zones[i] : &zones[j];
                printf("CONFLICT %s disagrees with %s: size %" APR_UINT64_T_FMT " root %s vs size %"
                       APR_UINT64_T_FMT " root %s\n", dis->url, dis == &zones[i] ? zones[j].url : zones[i].url,
                       zones[i].cp.size, mez_digest_hex(p, &zones[i].cp.root), zones[j].cp.size,
                       mez_digest_hex(p, &zones[j].cp.root));
                conflict = 1;
            }
        }
    if (conflict) {
        fprintf(stderr, "mez watcher attest: the zones' checkpoints of corridor %s contradict each other; nothing "
                        "attested\n", c.corridor_id);
        return MEZ_EXIT_INVALID;
    }
    /* 4. attest each zone's checkpoint to that zone */
    for (int i = 0; i < n; i++) {
        json_t *vc = attestation(&c, wkey, &zones[i], &pb), *body;
        const char *text, *answer;
        int status;
        if (!vc)
            return mez_cli_fail(&pb, MEZ_EINVAL);
        body = json_pack("{s:O}", "attestation", vc);
        mez_json_pool_own(p, body);
        if (mez_json_canonicalize(p, body, &text, NULL, &pb) != MEZ_OK)
            return mez_cli_fail(&pb, MEZ_EINVAL);
        if ((rc = call(&c, "POST", zones[i].url, corridor_path(&c, "/attestations"), NULL, text, zones[i].auth,
                       &status, &answer)) != MEZ_EXIT_OK)
            return rc;
        if (status == 200 || status == 201)
            printf("attested %s: size %" APR_UINT64_T_FMT " root %s (%s)\n", zones[i].url, zones[i].cp.size,
                   mez_digest_hex(p, &zones[i].cp.root), status == 201 ? "recorded" : "already recorded");
        else {
            printf("REFUSED %s: %s\n", zones[i].url, problem_text(p, status, answer));
            failed = 1;
        }
    }
    return failed ? MEZ_EXIT_INVALID : MEZ_EXIT_OK;
}

int mez_cmd_watcher(apr_pool_t *p, int argc, const char *const *argv)
{
    if (argc < 2 || mez_cli_wants_help(argc, argv))
        return usage(argc < 2 ? stderr : stdout);
    if (!strcmp(argv[1], "attest"))
        return attest_cmd(p, argc - 1, argv + 1);
    fprintf(stderr, "mez watcher: unknown subcommand '%s'\n", argv[1]);
    return usage(stderr);
}
