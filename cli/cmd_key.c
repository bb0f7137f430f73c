/* cmd_key.c: `mez key rotate` and `mez key notify`: a zone's Ed25519 key replaced by a new one, with the change
 * recorded where everybody who relies on the key can check it (mez/key_rotation.h).
 *
 * rotate, in this order, each step safe to run again after a failure (a re-run resumes; nothing is done twice):
 *   1. the successor key is made next to the key file (<key>.next, 0600, the key file's owner), or the one a
 *      failed run left there is taken up again;
 *   2. in one database transaction: the ZoneKeyRotation credential (signed by both keys) in the zone's key history
 *      and credential store, a zone.key_rotation receipt signed by the previous key on every established corridor
 *      this zone sequences, and the audit row (key.rotate). From this commit on the chain says the new key signs,
 *      and httpd refuses to sign receipts or checkpoints with the previous key (503 corridor.key_rotating);
 *   3. the previous key is archived (<key dir>/retired-keys/<did suffix>.pem, 0600: it signs the notices, and
 *      what it signed may need proving later) and the successor takes the key file's place (a copy of <key>.next
 *      renamed over it); <key>.next stays until step 5 has told every peer, as the mark of a rotation not yet
 *      finished: a run after a failed reload or an unreachable peer finds the successor both there and in use and
 *      resumes at step 4, where without the mark it made a second rotation from the successor, whose notice no
 *      peer still knowing the first key could accept (review);
 *   4. httpd is reloaded (a deployed zone) and the zone is waited for until /v1/zone answers the new DID;
 *   5. every active peer the zone lists (GET /v1/peers) is told: POST <peer>/v1/corridors/peers/key-rotation with
 *      the credential, an RFC 9421 request signed by the previous key, the one the peer knows the zone by.
 *      A peer that could not be told is named, the exit code is 1, and `mez key notify` tells it later.
 * The window between 2 and 4 is the one in which the zone's corridors wait; the window between 4 and 5 the one
 * in which peers refuse the zone's new signatures. Both are as short as the reload. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include "mez/audit.h"
#include "mez/corridor.h"
#include "mez/did.h"
#include "mez/http.h"
#include "mez/httpsig.h"
#include "mez/json.h"
#include "mez/key.h"
#include "mez/key_rotation.h"
#include "mez/store.h"
#include "mez/vc.h"
#include "deploy.h"
#include "mez_cli.h"

typedef struct rot_t {
    apr_pool_t *p;
    const char *zone_id, *key_file, *driver, *params, *url, *host, *token_file, *token, *ca_file, *peer_ca;
    const char *reason, *data_dir;
    int no_reload, deployed;
    deploy_httpd_t httpd;
    mez_db_t *db;
} rot_t;

static void usage(FILE *out)
{
    fputs("usage: mez key rotate --zone Z [--data-dir DIR] [--reason TEXT] [--no-reload]\n"
          "       mez key rotate --zone Z --key-file KEY --driver sqlite3|pgsql --params P --url URL\n"
          "                      --token-file OPERATOR-TOKEN [--ca-file CA] [--peer-ca CA] [--reason TEXT]\n"
          "       mez key notify (the same options)\n"
          "\n"
          "rotate replaces the zone's Ed25519 key: a ZoneKeyRotation credential signed by the previous and the new\n"
          "key is recorded (key history, credential store, audit), every corridor the zone sequences records the\n"
          "change on its chain, the previous key is archived under <key dir>/retired-keys/, httpd is reloaded (a\n"
          "zone made by mez deploy: --zone and --data-dir find everything), and every active peer is told with a\n"
          "request signed by the previous key. A failed run is resumed by running it again.\n"
          "notify tells the peers of the latest rotation again (those that could not be reached).\n"
          "Exit: 0 done, 1 done but a peer was not told (run mez key notify), 2 nothing or not all of it done.\n",
          out);
}

static int say(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int say(int rc, const char *fmt, ...)
{
    va_list ap;
    fputs("mez key: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return rc;
}

/* A deployed zone: its record and its <VirtualHost> say where the key, the database and httpd are. */
static int from_deployment(rot_t *k)
{
    apr_pool_t *p = k->p;
    const char *zone_dir = apr_pstrcat(p, k->data_dir ? k->data_dir : "/var/lib/mez", "/", k->zone_id, NULL);
    json_t *rec = dep_record_read(p, zone_dir);
    const char *conf, *root;
    if (!rec)
        return say(MEZ_EXIT_USAGE, "%s/%s is not readable: no zone %s was deployed there (--data-dir, or give "
                   "--key-file, --driver, --params, --url and --token-file)", zone_dir, DEPLOY_RECORD, k->zone_id);
    if (!(conf = dep_read(p, json_string_value(json_object_get(rec, "conf_file")), NULL)))
        return say(MEZ_EXIT_USAGE, "the zone's configuration %s is not readable",
                   json_string_value(json_object_get(rec, "conf_file")));
    k->deployed = 1;
    k->key_file = json_string_value(json_object_get(rec, "key_file"));
    k->driver = dep_conf_value(p, conf, "DBDriver");
    k->params = dep_conf_value(p, conf, "DBDParams");
    k->peer_ca = k->peer_ca ? k->peer_ca : dep_conf_value(p, conf, "MezPeerCAFile");
    k->url = json_string_value(json_object_get(rec, "url"));
    k->host = json_string_value(json_object_get(rec, "server_name"));
    k->token_file = json_string_value(json_object_get(rec, "operator_token_file"));
    root = json_string_value(json_object_get(rec, "httpd_root"));
    dep_httpd_init(p, &k->httpd, root, json_string_value(json_object_get(rec, "conf_dir")), NULL);
    if (!k->key_file || !k->driver || !k->params || !k->url || !k->token_file)
        return say(MEZ_EXIT_USAGE, "the deployment record of %s lacks the key file, database, URL or token", k->zone_id);
    return MEZ_EXIT_OK;
}

/* HTTP to the zone itself (operator token) or to a peer (signed with key); *json the answer when it is JSON. */
static int call(rot_t *k, const char *method, const char *url, const mez_key_t *key, const char *ca,
                const char *body, int *status, json_t **json, const char **err)
{
    mez_http_opts_t opts = { 0 };
    mez_problem_t pb = { 0 };
    const char *resp = NULL;
    apr_size_t len = 0;
    mez_status_t st;
    opts.ca_file = ca;
    opts.max_retries = 2;
    *json = NULL;
    if (key)
        st = mez_httpsig_call(k->p, &opts, key, method, url, body, status, &resp, &len, &pb);
    else {
        const char *headers[4] = { apr_pstrcat(k->p, "Authorization: Bearer ", k->token, NULL),
                                   body ? "Content-Type: application/json" : NULL, NULL, NULL };
        if (k->host && body)
            headers[2] = apr_pstrcat(k->p, "Host: ", k->host, NULL);
        else if (k->host)
            headers[1] = apr_pstrcat(k->p, "Host: ", k->host, NULL);
        st = mez_http_request(k->p, &opts, method, url, headers, body, body ? strlen(body) : 0, status, &resp, &len,
                              &pb);
    }
    if (st != MEZ_OK) {
        *err = pb.detail ? pb.detail : pb.code;
        return -1;
    }
    if (resp && len)
        mez_json_parse(k->p, resp, len, json, &pb);
    *err = NULL;
    return 0;
}

/* The archive of a retired key: named by the DID's last 16 characters, which differ for any two keys. */
static const char *retired_path(rot_t *k, const char *did)
{
    char *dir = apr_pstrdup(k->p, k->key_file), *slash = strrchr(dir, '/');
    const char *base = slash ? (*slash = '\0', dir) : ".";
    size_t n = strlen(did);
    return apr_pstrcat(k->p, base, "/retired-keys/", did + (n > 16 ? n - 16 : 0), ".pem", NULL);
}

static int save_key_like(rot_t *k, const mez_key_t *key, const char *path, const struct stat *owner)
{
    mez_problem_t pb = { 0 };
    if (mez_key_save_private(k->p, key, path, &pb) != MEZ_OK)
        return say(MEZ_EXIT_USAGE, "cannot write %s: %s", path, pb.detail ? pb.detail : pb.code);
    /* The key belongs to whoever owned the key file: the user httpd reads it as. */
    if (geteuid() == 0 && chown(path, owner->st_uid, owner->st_gid) != 0)
        return say(MEZ_EXIT_USAGE, "cannot give %s to uid %d", path, (int)owner->st_uid);
    return MEZ_EXIT_OK;
}

/* Steps 1-2. *vc, *rot: the rotation; *next: the successor key. */
static int record(rot_t *k, const mez_key_t *prev, const struct stat *owner, mez_key_t **next, json_t **vc,
                  mez_key_rotation_t *rot)
{
    apr_pool_t *p = k->p;
    mez_problem_t pb = { 0 };
    const char *next_path = apr_pstrcat(p, k->key_file, ".next", NULL), *in_use = NULL;
    apr_array_header_t *history, *recorded;
    mez_audit_event_t ev;
    mez_status_t st;
    int rc;

    if ((st = mez_zone_key_list(p, k->db, k->zone_id, &history, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, st);
    for (int i = 0; i < history->nelts; i++)
        if (!APR_ARRAY_IDX(history, i, mez_zone_key_row_t).retired_at)
            in_use = APR_ARRAY_IDX(history, i, mez_zone_key_row_t).did;
    if (dep_exists(p, next_path) && mez_key_load_private(p, next_path, next, &pb) != MEZ_OK)
        return say(MEZ_EXIT_USAGE, "%s (a successor a failed run left) does not load: %s; if the key file does not "
                   "hold the same key, remove it and run again", next_path, pb.detail ? pb.detail : pb.code);
    if (*next && in_use && !strcmp(in_use, mez_did_key(p, *next))) {
        /* Committed by an earlier run that stopped before every peer was told: it is finished, not begun again
         * (a new rotation's notice would be signed by a key the peers not yet told do not know). */
        printf("resuming the rotation to %s that an earlier run began (not every peer was told); a new rotation "
               "can begin once it is finished\n", mez_did_key(p, *next));
        printf("[1/5] successor key: %s (taken up from %s)\n", mez_did_key(p, *next), next_path);
        for (int i = 0; i < history->nelts; i++) {
            const mez_zone_key_row_t *row = &APR_ARRAY_IDX(history, i, mez_zone_key_row_t);
            if (!row->retired_at && row->rotation_credential) {
                if ((st = mez_json_parse(p, row->rotation_credential, strlen(row->rotation_credential), vc, &pb))
                        != MEZ_OK
                    || (st = mez_key_rotation_check(p, *vc, k->zone_id, NULL, "", rot, &pb)) != MEZ_OK)
                    return mez_cli_fail(&pb, st);
            }
        }
        printf("[2/5] recorded: already (%s)\n", rot->digest);
        return MEZ_EXIT_OK;
    }
    /* Nothing is written for a key that is not the zone's. */
    if (in_use && strcmp(in_use, mez_did_key(p, prev)))
        return say(MEZ_EXIT_USAGE, "%s holds %s, but zone %s signs with %s: this is not the zone's key in use",
                   k->key_file, mez_did_key(p, prev), k->zone_id, in_use);
    if (*next)
        printf("[1/5] successor key: %s (taken up from %s)\n", mez_did_key(p, *next), next_path);
    else {
        if (mez_key_generate(p, next, &pb) != MEZ_OK)
            return mez_cli_fail(&pb, MEZ_EIO);
        if ((rc = save_key_like(k, *next, next_path, owner)) != MEZ_EXIT_OK)
            return rc;
        printf("[1/5] successor key: %s (%s, 0600)\n", mez_did_key(p, *next), next_path);
    }
    if ((st = mez_key_rotation_issue(p, prev, *next, k->zone_id, k->reason, apr_time_now(), vc, rot, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, st);
    mez_cli_audit_event(p, k->zone_id, "key.rotate", "zone", k->zone_id, NULL, &ev);
    if ((st = mez_zone_key_rotate(p, k->db, prev, *vc, rot, apr_time_now(), &ev, &recorded, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, st);
    printf("[2/5] recorded: credential %s; %d corridor chain(s) record the change\n", rot->digest, recorded->nelts);
    for (int i = 0; i < recorded->nelts; i++)
        printf("        corridor %s\n", APR_ARRAY_IDX(recorded, i, const char *));
    return MEZ_EXIT_OK;
}

/* Every peer told: the rotation to did is finished, and its mark, <key>.next holding that key, goes, but only once
 * the key file holds that key too (a run that stopped before step 3 left the successor's only copy there: `mez key
 * notify` after it must not remove it: review). */
static void finished(rot_t *k, const char *did)
{
    const char *next_path = apr_pstrcat(k->p, k->key_file, ".next", NULL);
    mez_key_t *next, *in_file;
    mez_problem_t pb = { 0 };
    if (dep_exists(k->p, next_path) && mez_key_load_private(k->p, next_path, &next, &pb) == MEZ_OK
        && !strcmp(mez_did_key(k->p, next), did)
        && mez_key_load_private(k->p, k->key_file, &in_file, &pb) == MEZ_OK
        && !strcmp(mez_did_key(k->p, in_file), did) && unlink(next_path) != 0)
        fprintf(stderr, "mez key: cannot remove %s: remove it before the next rotation\n", next_path);
}

/* Step 3: archive the previous key, put the successor in the key file's place. */
static int swap(rot_t *k, const mez_key_t *prev, const mez_key_t *next, const struct stat *owner)
{
    apr_pool_t *p = k->p;
    const char *archive = retired_path(k, mez_did_key(p, prev));
    char *dir = apr_pstrdup(p, archive);
    int rc;
    *strrchr(dir, '/') = '\0';
    if (!dep_is_dir(p, dir) && mkdir(dir, 0700) != 0)
        return say(MEZ_EXIT_USAGE, "cannot create %s", dir);
    /* An archive a killed run left half written is written again: the key file still holds the previous key
     * here, and once the successor replaces it the archive is that key's only copy (review). */
    if (dep_exists(p, archive)) {
        mez_key_t *kept;
        mez_problem_t apb = { 0 };
        if (mez_key_load_private(p, archive, &kept, &apb) != MEZ_OK
            || strcmp(mez_did_key(p, kept), mez_did_key(p, prev))) {
            if (unlink(archive) != 0)
                return say(MEZ_EXIT_USAGE, "%s does not hold the previous key and cannot be replaced", archive);
        }
    }
    if (!dep_exists(p, archive) && (rc = save_key_like(k, prev, archive, owner)) != MEZ_EXIT_OK)
        return rc;
    /* The successor takes the key file's place atomically (a copy written beside it, 0600 and the key file's
     * owner, renamed over it), and <key>.next stays until the peers are told: a re-run after a later step failed
     * resumes instead of rotating again. A copy, not a hard link: not every file system has them. */
    {
        const char *copy = apr_pstrcat(p, k->key_file, ".swap", NULL);
        unlink(copy);
        if ((rc = save_key_like(k, next, copy, owner)) != MEZ_EXIT_OK)
            return rc;
        if (rename(copy, k->key_file) != 0) {
            unlink(copy);
            return say(MEZ_EXIT_USAGE, "cannot move %s to %s", copy, k->key_file);
        }
    }
    printf("[3/5] key file: %s now holds %s; the previous key is archived in %s\n", k->key_file,
           mez_did_key(p, next), archive);
    return MEZ_EXIT_OK;
}

/* Step 4. */
static int reload(rot_t *k, const char *did)
{
    apr_pool_t *p = k->p;
    const char *out = NULL, *err = NULL;
    apr_time_t deadline;
    if (!k->deployed || k->no_reload) {
        printf("[4/5] reload: not done here: reload httpd (apachectl -k graceful) on every node of %s now\n",
               k->zone_id);
        return MEZ_EXIT_OK;
    }
    if (dep_httpd_running(p, &k->httpd) && dep_httpd_ctl(p, &k->httpd, "graceful", &out) != 0)
        return say(MEZ_EXIT_USAGE, "httpd did not reload: %s", out ? out : "");
    deadline = apr_time_now() + apr_time_from_sec(30);
    do {
        int status = 0;
        json_t *j;
        if (call(k, "GET", apr_pstrcat(p, k->url, "/v1/zone", NULL), NULL, k->ca_file, NULL, &status, &j, &err) == 0
            && status == 200 && j && json_string_value(json_object_get(j, "did"))
            && !strcmp(json_string_value(json_object_get(j, "did")), did)) {
            printf("[4/5] reload: %s answers %s\n", k->url, did);
            return MEZ_EXIT_OK;
        }
        apr_sleep(apr_time_from_msec(200));
    } while (apr_time_now() < deadline);
    return say(MEZ_EXIT_USAGE, "%s does not answer the new DID after the reload", k->url);
}

/* Step 5: every active peer the zone lists; signed by the previous key, the one peers know the zone by, or (a peer
 * that has been told already and so refuses that key) by the current one. */
static int notify(rot_t *k, const mez_key_t *prev, const mez_key_t *current, const json_t *vc)
{
    apr_pool_t *p = k->p;
    const char *err = NULL, *body;
    const json_t *peer;
    json_t *list;
    size_t i;
    int status = 0, told = 0, failed = 0;
    mez_problem_t pb = { 0 };

    if (call(k, "GET", apr_pstrcat(p, k->url, "/v1/peers", NULL), NULL, k->ca_file, NULL, &status, &list, &err) != 0
        || status != 200 || !json_is_array(json_object_get(list, "peers")))
        return say(MEZ_EXIT_INVALID, "cannot list the zone's peers at %s/v1/peers (%s): tell them with mez key "
                   "notify once it answers", k->url, err ? err : apr_psprintf(p, "HTTP %d", status));
    if (mez_json_canonicalize(p, json_pack("{s:O}", "credential", vc), &body, NULL, &pb) != MEZ_OK)
        return mez_cli_fail(&pb, MEZ_EINVAL);
    json_array_foreach(json_object_get(list, "peers"), i, peer) {
        const char *zone = json_string_value(json_object_get(peer, "zone_id"));
        const char *url = json_string_value(json_object_get(peer, "url"));
        json_t *ans;
        if (!zone || !url || json_is_string(json_object_get(peer, "revoked_at")))
            continue;
        int rv = call(k, "POST", apr_pstrcat(p, url, "/v1/corridors/peers/key-rotation", NULL), prev, k->peer_ca,
                      body, &status, &ans, &err);
        if (rv == 0 && status == 401 && current && json_string_value(json_object_get(ans, "code"))
            && !strcmp(json_string_value(json_object_get(ans, "code")), "httpsig.unknown_key"))
            rv = call(k, "POST", apr_pstrcat(p, url, "/v1/corridors/peers/key-rotation", NULL), current, k->peer_ca,
                      body, &status, &ans, &err);
        if (rv != 0) {
            printf("        peer %s (%s): not reached: %s\n", zone, url, err);
            failed++;
        }
        else if (status != 200) {
            printf("        peer %s (%s): refused, HTTP %d %s: %s\n", zone, url, status,
                   json_string_value(json_object_get(ans, "code")) ? json_string_value(json_object_get(ans, "code"))
                                                                   : "",
                   json_string_value(json_object_get(ans, "detail")) ? json_string_value(json_object_get(ans,
                                                                                                         "detail"))
                                                                     : "");
            failed++;
        }
        else {
            printf("        peer %s: knows %s now%s\n", zone, json_string_value(json_object_get(ans, "new_did")),
                   json_is_true(json_object_get(ans, "repeated")) ? " (told before)" : "");
            told++;
        }
    }
    printf("[5/5] peers: %d told, %d not\n", told, failed);
    if (failed)
        return say(MEZ_EXIT_INVALID, "%d peer(s) were not told: they refuse the zone's new signatures until "
                   "`mez key notify` reaches them", failed);
    return MEZ_EXIT_OK;
}

/* deploy.json names the zone's DID (mez zone list|status, backups): it follows the key, as a re-deploy would. */
static void remember(rot_t *k, const char *did)
{
    mez_problem_t pb = { 0 };
    const char *zone_dir = apr_pstrcat(k->p, k->data_dir ? k->data_dir : "/var/lib/mez", "/", k->zone_id, NULL);
    const char *text, *err = NULL;
    json_t *rec = dep_record_read(k->p, zone_dir);
    if (!rec)
        return;
    json_object_set_new(rec, "did", json_string(did));
    if (mez_json_canonicalize(k->p, rec, &text, NULL, &pb) != MEZ_OK)
        return;
    text = apr_pstrcat(k->p, text, "\n", NULL);
    if (dep_write(k->p, apr_pstrcat(k->p, zone_dir, "/" DEPLOY_RECORD, NULL), text, strlen(text), 0644, &err))
        fprintf(stderr, "mez key: %s/%s still names the previous DID: %s\n", zone_dir, DEPLOY_RECORD, err);
}

static int setup(rot_t *k, int argc, const char *const *argv)
{
    const char *pos[1];
    int npos = 0;
    const mez_cli_opt_t opts[] = {
        { "--zone", &k->zone_id, NULL }, { "--data-dir", &k->data_dir, NULL }, { "--key-file", &k->key_file, NULL },
        { "--driver", &k->driver, NULL }, { "--params", &k->params, NULL }, { "--url", &k->url, NULL },
        { "--host", &k->host, NULL }, { "--token-file", &k->token_file, NULL }, { "--ca-file", &k->ca_file, NULL },
        { "--peer-ca", &k->peer_ca, NULL }, { "--reason", &k->reason, NULL }, { "--no-reload", NULL, &k->no_reload },
        { NULL, NULL, NULL },
    };
    mez_problem_t pb = { 0 };
    const char *tok;
    int rc;
    if (mez_cli_parse_args(argc, argv, opts, pos, 0, &npos, "key") < 0)
        return MEZ_EXIT_USAGE;
    if (!k->zone_id)
        return say(MEZ_EXIT_USAGE, "--zone is required (mez key --help)");
    if (!k->key_file && (rc = from_deployment(k)) != MEZ_EXIT_OK)
        return rc;
    if (!k->key_file || !k->driver || !k->params || !k->url || !k->token_file)
        return say(MEZ_EXIT_USAGE, "--key-file, --driver, --params, --url and --token-file are needed for a zone "
                   "mez deploy did not make");
    if (!(tok = dep_read(k->p, k->token_file, NULL)))
        return say(MEZ_EXIT_USAGE, "the operator token file %s is not readable", k->token_file);
    k->token = apr_pstrndup(k->p, tok, strcspn(tok, "\r\n"));
    if (mez_db_open(k->p, k->driver, k->params, &k->db, &pb) != MEZ_OK)
        return mez_cli_fail(&pb, MEZ_EIO);
    return MEZ_EXIT_OK;
}

static int rotate(rot_t *k)
{
    mez_problem_t pb = { 0 };
    mez_key_t *prev, *next = NULL;
    mez_key_rotation_t rot;
    json_t *vc = NULL;
    struct stat owner;
    int rc, swapped;

    if (stat(k->key_file, &owner) != 0 || mez_key_load_private(k->p, k->key_file, &prev, &pb) != MEZ_OK)
        return say(MEZ_EXIT_USAGE, "the zone key %s does not load: %s", k->key_file,
                   pb.detail ? pb.detail : "not readable");
    printf("rotating the key of zone %s (%s)\n", k->zone_id, mez_did_key(k->p, prev));
    if ((rc = record(k, prev, &owner, &next, &vc, &rot)) != MEZ_EXIT_OK)
        return rc;
    /* A resumed run whose key file already holds the successor: the previous key is the archived one. */
    swapped = !strcmp(mez_did_key(k->p, prev), rot.new_did);
    if (swapped) {
        const char *archive = retired_path(k, rot.previous_did);
        if (mez_key_load_private(k->p, archive, &prev, &pb) != MEZ_OK)
            return say(MEZ_EXIT_USAGE, "the previous key's archive %s does not load", archive);
        printf("[3/5] key file: already holds %s\n", rot.new_did);
    }
    else if ((rc = swap(k, prev, next, &owner)) != MEZ_EXIT_OK)
        return rc;
    if ((rc = reload(k, rot.new_did)) != MEZ_EXIT_OK)
        return rc;
    if (k->deployed)
        remember(k, rot.new_did);
    /* A peer told already (by an earlier run or `mez key notify`) refuses the previous key: the successor signs. */
    if ((rc = notify(k, prev, next, vc)) != MEZ_EXIT_OK)
        return rc;
    finished(k, rot.new_did);
    printf("zone %s signs with %s from now on (was %s)\n", k->zone_id, rot.new_did, rot.previous_did);
    return MEZ_EXIT_OK;
}

/* The latest rotation again, signed by its previous key from the archive. */
static int renotify(rot_t *k)
{
    mez_problem_t pb = { 0 };
    apr_array_header_t *history;
    const mez_zone_key_row_t *last = NULL;
    mez_key_rotation_t rot;
    mez_key_t *prev, *current;
    json_t *vc;
    mez_status_t st;
    int rc;
    if ((st = mez_zone_key_list(k->p, k->db, k->zone_id, &history, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, st);
    for (int i = 0; i < history->nelts; i++)
        if (APR_ARRAY_IDX(history, i, mez_zone_key_row_t).rotation_credential)
            last = &APR_ARRAY_IDX(history, i, mez_zone_key_row_t);
    if (!last)
        return say(MEZ_EXIT_USAGE, "zone %s never rotated its key", k->zone_id);
    if ((st = mez_json_parse(k->p, last->rotation_credential, strlen(last->rotation_credential), &vc, &pb)) != MEZ_OK
        || (st = mez_key_rotation_check(k->p, vc, k->zone_id, NULL, "", &rot, &pb)) != MEZ_OK)
        return mez_cli_fail(&pb, st);
    if (mez_key_load_private(k->p, retired_path(k, rot.previous_did), &prev, &pb) != MEZ_OK)
        return say(MEZ_EXIT_USAGE, "the previous key's archive %s does not load: the notice must be signed by it",
                   retired_path(k, rot.previous_did));
    if (mez_key_load_private(k->p, k->key_file, &current, &pb) != MEZ_OK)
        return say(MEZ_EXIT_USAGE, "the zone key %s does not load", k->key_file);
    printf("telling the peers of zone %s that %s follows %s\n", k->zone_id, rot.new_did, rot.previous_did);
    if ((rc = notify(k, prev, strcmp(mez_did_key(k->p, current), rot.new_did) ? NULL : current, vc)) != MEZ_EXIT_OK)
        return rc;
    finished(k, rot.new_did);
    return MEZ_EXIT_OK;
}

/* One run at a time per key file: two rotations at once would each make a successor in <key>.next, the second
 * writing over the first, whose only copy may be the key the zone's history already names (review). The lock is
 * <key>.lock, held (flock) until the process exits; a second run is refused at once rather than made to wait. */
static int lock_key(rot_t *k)
{
    const char *path = apr_pstrcat(k->p, k->key_file, ".lock", NULL);
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return say(MEZ_EXIT_USAGE, "cannot open %s: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        return say(MEZ_EXIT_USAGE, e == EWOULDBLOCK ? "another mez key run holds %s: wait for it to end"
                                                    : "cannot lock %s", path);
    }
    return MEZ_EXIT_OK;       /* fd stays open, and the lock held, until the process exits */
}

int mez_cmd_key(apr_pool_t *p, int argc, const char *const *argv)
{
    rot_t k;
    int rc;
    memset(&k, 0, sizeof(k));
    k.p = p;
    if (argc < 2 || mez_cli_wants_help(argc, argv)) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? MEZ_EXIT_USAGE : MEZ_EXIT_OK;
    }
    if (strcmp(argv[1], "rotate") && strcmp(argv[1], "notify")) {
        usage(stderr);
        return MEZ_EXIT_USAGE;
    }
    if ((rc = setup(&k, argc - 1, argv + 1)) != MEZ_EXIT_OK)
        return rc;
    if ((rc = lock_key(&k)) != MEZ_EXIT_OK)
        return rc;
    return !strcmp(argv[1], "rotate") ? rotate(&k) : renotify(&k);
}
