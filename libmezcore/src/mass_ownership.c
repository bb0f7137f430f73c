/* mass_ownership.c: the sovereign Mass store's ownership primitive: cap tables, share classes, positions,
 * transfers and issuances (state and invariants in mass_captable.c).
 *
 * Contract routes (../shared/schemas/mass/apis/ownership.openapi.yaml):
 *   POST /v1/ownership/cap-table              CapTableInitRequest -> 201 CapTable. One per entity (409
 *        ownership.cap_table_exists); the entity must exist (422 ownership.entity_unknown) and not be DISSOLVED,
 *        STRUCK_OFF or REJECTED (409 ownership.entity_inactive), nor DISSOLVING when the request has initial
 *        holders (409 ownership.entity_inactive at /initial_holders: they are shares issued, and a winding-up
 *        entity issues none); initial holders' shares per class <= authorized
 *        (422 ownership.exceeds_authorized); at most MEZ_MASS_SHARE_CLASSES_MAX (100) share classes and
 *        MEZ_MASS_INITIAL_HOLDERS_MAX (10,000) initial holders (422 request.too_many_items).
 *        cap_table_id names the cap table across its changes (a snapshot is named by state_digest_sha256), so
 *        integrators holding an id keep a valid one; the contract's "content-addressed" wording fits the digest.
 *   GET  /v1/ownership/{entity_id}/cap-table  CapTable (include_fully_diluted=false leaves fully_diluted_shares
 *        out; as_of answers 501 ownership.history_not_kept: the store keeps the present state and the transfers and
 *        issuances that made it, not snapshots).
 *   GET  /v1/ownership/{entity_id}/share-classes   {entity_id, share_classes} (status=active|retired|all).
 *   POST /v1/ownership/transfers              OwnershipTransferRequest -> 201 OwnershipTransferResponse. The seller
 *        must hold the shares (422 ownership.insufficient_shares with held and requested); issued totals do not
 *        change; a new acquirer gets a position (to_holder_type then required). transfer_date is no later than
 *        today on the zone's calendar, or, where the store knows none, today anywhere (UTC+14;
 *        mez_mass_latest_today; 422 ownership.transfer_in_future). Lock-ups (held while the
 *        transfer date or the store's own day is before the expiry) and board approval from the class's
 *        transfer_restrictions are enforced; a sender's nonce is accepted once, and a board_resolution_ref is
 *        cited by one transfer of the entity (409 ownership.resolution_used naming the transfer it resolved).
 *        tax_event: proceeds, and when the seller's cost basis is known its basis and gain_or_loss =
 *        (price - basis) x shares with event_type capital_gain_* / capital_loss_*. An unknown basis is not invented:
 *        cost_basis_per_share, total_cost_basis, gain_or_loss and event_type are then left out for the zone's tax
 *        evaluation to settle. holding_period is long_term from one year after the position's acquisition date
 *        (the contract's stated threshold); the zone's rules may reclassify it. transfer_id and tax_event_id are
 *        content-addressed (sha256 of their canonical JSON). state_digest_sha256 is the digest of the cap table the
 *        transfer left (see mez_own_cap_table).
 * Extension (the contract has no way to issue new shares after initialisation):
 *   POST /v1/ownership/{entity_id}/issuances  {share_class_id, holder_id, holder_type, name?, ntn?, shares,
 *        price_per_share?} -> 201 {issuance_id, entity_id, share_class_id, holder_id, shares, price_per_share?,
 *        authorized_shares, issued_shares, state_digest_sha256, recorded_at}; issued + new <= authorized, else 422
 *        ownership.exceeds_authorized.
 * Issuances and transfers are refused (409 ownership.entity_inactive, naming the entity's status) once the entity
 * is DISSOLVING, DISSOLVED, STRUCK_OFF or REJECTED (mez_mass_entity_shares_move says why).
 * A cap table is its entity's: a caller acting for one zone of a shared store (mass_int.h: zones) reaches its zone's
 * entities' cap tables only; another zone's entity is answered as an unknown one (422 ownership.entity_unknown,
 * 404 mass.not_found or ownership.cap_table_not_found, as the route answers an id that names nothing). */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/store.h"
#include <apr_hash.h>
#include "mez/digest.h"
#include "mez/tz.h"
#include "mass_ownership_int.h"

static const char *const holder_types[] = { "individual", "entity", "trust", "fund", "nominee", NULL };

static const char *i64(apr_pool_t *p, int64_t v)
{
    return apr_psprintf(p, "%" APR_INT64_T_FMT, v);
}

/* "^[0-9]{7}-[0-9]$", the contract's NTN form for holders. */
static int get_ntn(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, const char **out)
{
    const char *s = NULL;
    if (!mez_mass_get_string(c, obj, base, name, MEZ_MASS_OPTIONAL, 9, &s))
        return 0;
    if (s && (strlen(s) != 9 || strspn(s, "0123456789") != 7 || s[7] != '-' || s[8] < '0' || s[8] > '9')) {
        mez_mass_refuse(c, 422, "ownership.invalid_ntn", mez_pointer_join(c->p, base, name),
                        "'%s' must be an NTN such as 1234567-8, not '%s'", name, s);
        return 0;
    }
    *out = s;
    return 1;
}

static int get_date(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                    const char **out)
{
    const char *s = NULL;
    if (!mez_mass_get_string(c, obj, base, name, required, 10, &s))
        return 0;
    if (s && !mez_mass_date_parse(s, NULL)) {
        mez_mass_refuse(c, 422, "request.invalid_date", mez_pointer_join(c->p, base, name),
                        "'%s' must be a date YYYY-MM-DD, not '%s'", name, s);
        return 0;
    }
    if (s)
        *out = s;
    return 1;
}

static int get_decimal(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name)
{
    int64_t v;
    return mez_own_get_price(c, obj, base, name, MEZ_MASS_OPTIONAL, &v);
}

/* One share class of a CapTableInitRequest; its terms (everything but name and authorized_shares) go to *terms. */
static int check_share_class(mez_mass_call_t *c, const json_t *sc, const char *base, const char **name,
                             int64_t *authorized, const char **currency)
{
    static const char *const allowed[] = { "name", "authorized_shares", "par_value", "currency", "voting_rights",
                                           "dividend_preference", "liquidation_preference", "transfer_restrictions",
                                           NULL };
    static const char *const vr[] = { "votes_per_share", NULL };
    static const char *const dp[] = { "preference_type", "rate", NULL };
    static const char *const lp[] = { "multiple", "participation_cap", NULL };
    static const char *const tr[] = { "rofr", "lock_up_expiry", "board_approval_required", NULL };
    static const char *const ptypes[] = { "non_participating", "participating", "cumulative", "non_cumulative", NULL };
    const json_t *o = NULL;
    const char *s = NULL;
    json_int_t votes;
    int flag;

    if (!mez_mass_check_object(c, sc, base, allowed)
        || !mez_mass_get_text(c, sc, base, "name", MEZ_MASS_REQUIRED, 256, name)
        || !mez_own_get_shares(c, sc, base, "authorized_shares", MEZ_MASS_REQUIRED, 0, authorized)
        || !get_decimal(c, sc, base, "par_value")
        || !mez_mass_get_string(c, sc, base, "currency", MEZ_MASS_OPTIONAL, 3, currency))
        return 0;
    if (*currency && (strlen(*currency) != 3 || strspn(*currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)) {
        mez_mass_refuse(c, 422, "ownership.invalid_currency", mez_pointer_join(c->p, base, "currency"),
                        "currency must be an ISO 4217 code such as PKR, not '%s'", *currency);
        return 0;
    }
    o = NULL;
    if (!mez_mass_get_object(c, sc, base, "voting_rights", MEZ_MASS_OPTIONAL, &o))
        return 0;
    if (o && (!mez_mass_check_object(c, o, mez_pointer_join(c->p, base, "voting_rights"), vr)
              || !mez_mass_get_int(c, o, mez_pointer_join(c->p, base, "voting_rights"), "votes_per_share", 0, 0,
                                   1000000, &votes)))
        return 0;
    o = NULL;
    if (!mez_mass_get_object(c, sc, base, "dividend_preference", MEZ_MASS_OPTIONAL, &o))
        return 0;
    if (o) {
        const char *b = mez_pointer_join(c->p, base, "dividend_preference");
        if (!mez_mass_check_object(c, o, b, dp) || !mez_mass_get_enum(c, o, b, "preference_type", 0, ptypes, &s)
            || !get_decimal(c, o, b, "rate"))
            return 0;
    }
    o = NULL;
    if (!mez_mass_get_object(c, sc, base, "liquidation_preference", MEZ_MASS_OPTIONAL, &o))
        return 0;
    if (o) {
        const char *b = mez_pointer_join(c->p, base, "liquidation_preference");
        if (!mez_mass_check_object(c, o, b, lp) || !get_decimal(c, o, b, "multiple")
            || !get_decimal(c, o, b, "participation_cap"))
            return 0;
    }
    o = NULL;
    if (!mez_mass_get_object(c, sc, base, "transfer_restrictions", MEZ_MASS_OPTIONAL, &o))
        return 0;
    if (o) {
        const char *b = mez_pointer_join(c->p, base, "transfer_restrictions");
        if (!mez_mass_check_object(c, o, b, tr) || !mez_mass_get_bool(c, o, b, "rofr", 0, &flag)
            || !get_date(c, o, b, "lock_up_expiry", 0, &s) || !mez_mass_get_bool(c, o, b, "board_approval_required", 0,
                                                                                 &flag))
            return 0;
    }
    return 1;
}

/* NULL when there is no such entity, or it is another zone's (mass_int.h: zones). */
static mez_status_t entity_status(mez_mass_call_t *c, const char *entity_id, const char **status)
{
    *status = NULL;
    return mez_db_query_value(c->p, c->db, status, "SELECT status FROM mez_mass_entity WHERE entity_id = %s AND "
                              MEZ_MASS_IN_ZONE("zone_id"), c->pb, entity_id, mez_mass_zone_scope(c),
                              mez_mass_zone_scope(c), NULL);
}

static mez_status_t answer_checked(mez_mass_call_t *c, const char *entity_id, int status, json_t *extra)
{
    json_t *doc = NULL;
    int ok = 0;
    mez_status_t rv = mez_own_check(c, entity_id, &ok);
    if (rv == MEZ_OK && !ok)
        rv = MEZ_EINTERNAL;
    if (rv == MEZ_OK)
        rv = mez_own_cap_table(c, entity_id, 1, &doc);
    if (rv != MEZ_OK || !doc) {
        json_decref(extra);
        json_decref(doc);
        return rv != MEZ_OK ? rv : MEZ_EINTERNAL;
    }
    if (!extra)
        return mez_mass_answer(c, status, doc);
    json_object_set(extra, "state_digest_sha256", json_object_get(doc, "state_digest_sha256"));
    json_decref(doc);
    return mez_mass_answer(c, status, extra);
}

static mez_status_t cap_table_create(mez_mass_call_t *c)
{
    static const char *const allowed[] = { "entity_id", "share_classes", "initial_holders", "track_fully_diluted",
                                           NULL };
    static const char *const hallowed[] = { "holder_id", "holder_type", "name", "share_class_name", "shares",
                                            "cost_basis_per_share", "ntn", NULL };
    const json_t *b = c->req->body, *classes = NULL, *holders = NULL;
    const char *entity_id = NULL, *status = NULL, *now = mez_time_stamp(c->p, c->ctx->now), *today;
    apr_hash_t *by_name = apr_hash_make(c->p), *seen = apr_hash_make(c->p);
    int track = 1, n = 0;
    size_t nc, nh;
    const char **class_ids, *cap_id;
    int64_t *issued;
    mez_status_t rv;

    today = mez_tz_date(c->p, c->ctx->tz, c->ctx->now);
    if (!mez_mass_check_object(c, b, "", allowed)
        || !mez_mass_get_string(c, b, "", "entity_id", MEZ_MASS_REQUIRED, 255, &entity_id)
        || !mez_mass_get_array(c, b, "", "share_classes", MEZ_MASS_REQUIRED, 1, &classes)
        || !mez_mass_get_array(c, b, "", "initial_holders", MEZ_MASS_OPTIONAL, 0, &holders)
        || !mez_mass_get_bool(c, b, "", "track_fully_diluted", MEZ_MASS_OPTIONAL, &track))
        return MEZ_OK;
    nc = json_array_size(classes);
    nh = holders ? json_array_size(holders) : 0;
    if (nc > MEZ_MASS_SHARE_CLASSES_MAX)
        return mez_mass_refuse(c, 422, "request.too_many_items", "/share_classes",
                               "at most %d share classes are accepted, not %" APR_SIZE_T_FMT, MEZ_MASS_SHARE_CLASSES_MAX,
                               (apr_size_t)nc);
    if (nh > MEZ_MASS_INITIAL_HOLDERS_MAX)
        return mez_mass_refuse(c, 422, "request.too_many_items", "/initial_holders",
                               "at most %d initial holders are accepted, not %" APR_SIZE_T_FMT,
                               MEZ_MASS_INITIAL_HOLDERS_MAX, (apr_size_t)nh);
    class_ids = apr_pcalloc(c->p, sizeof(*class_ids) * nc);
    issued = apr_pcalloc(c->p, sizeof(*issued) * nc);
    for (size_t i = 0; i < nc; i++) {
        const char *base = mez_pointer_index(c->p, "/share_classes", i), *name = NULL, *cur = NULL;
        int64_t authorized = 0;
        if (!check_share_class(c, json_array_get(classes, i), base, &name, &authorized, &cur))
            return MEZ_OK;
        if (apr_hash_get(by_name, name, APR_HASH_KEY_STRING))
            return mez_mass_refuse(c, 422, "ownership.duplicate_share_class", mez_pointer_join(c->p, base, "name"),
                                   "two share classes are named '%s'", name);
        apr_hash_set(by_name, name, APR_HASH_KEY_STRING, (void *)(apr_uintptr_t)(i + 1));
        class_ids[i] = mez_mass_new_id(c->p, "shc_");
    }
    for (size_t i = 0; i < nh; i++) {
        const json_t *h = json_array_get(holders, i);
        const char *base = mez_pointer_index(c->p, "/initial_holders", i), *s = NULL, *key;
        int64_t shares = 0, price;
        size_t k;
        if (!mez_mass_check_object(c, h, base, hallowed)
            || !mez_mass_get_string(c, h, base, "holder_id", 1, 255, &s)
            || !mez_mass_get_enum(c, h, base, "holder_type", 1, holder_types, &s)
            || !mez_mass_get_text(c, h, base, "name", 0, 512, &s)
            || !mez_mass_get_text(c, h, base, "share_class_name", 1, 256, &s)
            || !mez_own_get_shares(c, h, base, "shares", 1, 1, &shares)
            || !mez_own_get_price(c, h, base, "cost_basis_per_share", 0, &price) || !get_ntn(c, h, base, "ntn", &s))
            return MEZ_OK;
        s = json_string_value(json_object_get(h, "share_class_name"));
        k = (size_t)(apr_uintptr_t)apr_hash_get(by_name, s, APR_HASH_KEY_STRING);
        if (!k)
            return mez_mass_refuse(c, 422, "ownership.unknown_share_class",
                                   mez_pointer_join(c->p, base, "share_class_name"),
                                   "'%s' is not one of the share classes of this request", s);
        key = apr_pstrcat(c->p, s, "\n", json_string_value(json_object_get(h, "holder_id")), NULL);
        if (apr_hash_get(seen, key, APR_HASH_KEY_STRING))
            return mez_mass_refuse(c, 422, "ownership.duplicate_holder", mez_pointer_join(c->p, base, "holder_id"),
                                   "holder appears twice in share class '%s'", s);
        apr_hash_set(seen, key, APR_HASH_KEY_STRING, "");
        /* Cannot overflow (each addend at most MEZ_MASS_SHARES_MAX, the sum refused once past authorized), but
         * checked all the same: a share total is never summed unchecked. */
        if (__builtin_add_overflow(issued[k - 1], shares, &issued[k - 1]))
            issued[k - 1] = INT64_MAX;
        {
            int64_t authorized = 0;
            mez_decimal_rc_t rc = mez_mass_decimal_parse(
                json_string_value(json_object_get(json_array_get(classes, k - 1), "authorized_shares")), 0, 0,
                MEZ_MASS_SHARES_MAX, &authorized);
            if (rc != MEZ_DECIMAL_OK || issued[k - 1] > authorized)
                return mez_mass_refuse(c, 422, "ownership.exceeds_authorized", mez_pointer_join(c->p, base, "shares"),
                                       "share class '%s' authorizes %" APR_INT64_T_FMT " shares; the initial holders "
                                       "would hold %" APR_INT64_T_FMT, s, authorized, issued[k - 1]);
        }
    }
    if ((rv = entity_status(c, entity_id, &status)) != MEZ_OK)
        return rv;
    if (!status)
        return mez_mass_refuse(c, 422, "ownership.entity_unknown", "/entity_id", "there is no entity '%s' in this zone",
                               entity_id);
    if (!mez_mass_entity_live(status))
        return mez_mass_refuse(c, 409, "ownership.entity_inactive", "/entity_id",
                               "entity %s is %s and cannot take a cap table", entity_id, status);
    /* Initial holders are shares issued: an entity being wound up issues none (mez_mass_entity_shares_move), by
     * the cap table's first write as by an issuance after it. A cap table without holders issues nothing: it only
     * records the classes the entity may issue, and stays open to it. */
    if (nh && !mez_mass_entity_shares_move(status))
        return mez_mass_refuse(c, 409, "ownership.entity_inactive", "/initial_holders",
                               "entity %s is %s: its cap table can hold no initial holders, as no shares of it can "
                               "be issued", entity_id, status);
    cap_id = mez_mass_new_id(c->p, "cap_");
    /* The unique entity_id makes two concurrent initialisations create one cap table. */
    if ((rv = mez_db_execv(c->p, c->db, &n,
                           "INSERT INTO mez_mass_cap_table (cap_table_id, entity_id, status, version, "
                           "track_fully_diluted, created_at, updated_at) VALUES (%s, %s, 'active', 1, %s, %s, %s) "
                           "ON CONFLICT (entity_id) DO NOTHING",
                           c->pb, cap_id, entity_id, track ? "1" : "0", now, now, NULL)) != MEZ_OK)
        return rv;
    if (n != 1)
        return mez_mass_refuse(c, 409, "ownership.cap_table_exists", "/entity_id", "entity %s already has a cap table",
                               entity_id);
    for (size_t i = 0; i < nc; i++) {
        json_t *sc = json_deep_copy(json_array_get(classes, i));
        const char *currency = json_string_value(json_object_get(sc, "currency")), *text;
        const char *name = apr_pstrdup(c->p, json_string_value(json_object_get(sc, "name")));
        const char *authorized = apr_pstrdup(c->p, json_string_value(json_object_get(sc, "authorized_shares")));
        currency = currency ? apr_pstrdup(c->p, currency) : NULL;
        json_object_del(sc, "name");
        json_object_del(sc, "authorized_shares");
        json_object_del(sc, "currency");
        text = mez_mass_doc_text(c, sc);
        json_decref(sc);
        if ((rv = mez_db_execv(c->p, c->db, NULL,
                               "INSERT INTO mez_mass_share_class (share_class_id, entity_id, name, authorized_shares, "
                               "issued_shares, currency, status, doc, created_at, updated_at) "
                               "VALUES (%s, %s, %s, CAST(%s AS BIGINT), 0, %s, 'active', %s, %s, %s)",
                               c->pb, class_ids[i], entity_id, name, authorized, currency ? currency : MEZ_DB_NULL,
                               text ? text : "{}", now, now, NULL)) != MEZ_OK)
            return rv;
    }
    for (size_t i = 0; i < nh; i++) {
        const json_t *h = json_array_get(holders, i);
        const char *cls = json_string_value(json_object_get(h, "share_class_name"));
        size_t k = (size_t)(apr_uintptr_t)apr_hash_get(by_name, cls, APR_HASH_KEY_STRING);
        int64_t shares = 0, price = -1;
        int ok = 0;
        mez_mass_decimal_parse(json_string_value(json_object_get(h, "shares")), 0, 0, MEZ_MASS_SHARES_MAX, &shares);
        if (json_object_get(h, "cost_basis_per_share"))
            mez_mass_decimal_parse(json_string_value(json_object_get(h, "cost_basis_per_share")), -1,
                                   MEZ_MASS_PRICE_SCALE, MEZ_MASS_PRICE_MAX, &price);
        if ((rv = mez_db_execv(c->p, c->db, &ok,
                               "UPDATE mez_mass_share_class SET issued_shares = issued_shares + CAST(%s AS BIGINT) "
                               "WHERE share_class_id = %s AND authorized_shares - issued_shares >= CAST(%s AS BIGINT)",
                               c->pb, i64(c->p, shares), class_ids[k - 1], i64(c->p, shares), NULL)) != MEZ_OK)
            return rv;
        if (ok != 1)
            return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "ownership.invariant_violated", NULL,
                               "initial holders exceed share class '%s'", cls);
        if ((rv = mez_own_credit(c, entity_id, class_ids[k - 1], json_string_value(json_object_get(h, "holder_id")),
                                 json_string_value(json_object_get(h, "holder_type")),
                                 json_string_value(json_object_get(h, "name")),
                                 json_string_value(json_object_get(h, "ntn")), shares, price, today)) != MEZ_OK)
            return rv;
    }
    return answer_checked(c, entity_id, 201, NULL);
}

static mez_status_t cap_table_get(mez_mass_call_t *c, const char *entity_id)
{
    const char *as_of = mez_mass_query_param(c->p, c->req->query, "as_of");
    const char *fd = mez_mass_query_param(c->p, c->req->query, "include_fully_diluted");
    json_t *doc = NULL;
    mez_status_t rv;
    if (fd && strcmp(fd, "true") && strcmp(fd, "false"))
        return mez_mass_refuse(c, 400, "request.invalid_query", NULL,
                               "include_fully_diluted must be true or false, not '%s'", fd);
    if (as_of)
        return mez_mass_refuse(c, 501, "ownership.history_not_kept", NULL,
                               "the store keeps the present cap table and the transfers and issuances that made it, "
                               "not snapshots as of a past time");
    if ((rv = mez_own_cap_table(c, entity_id, !fd || !strcmp(fd, "true"), &doc)) != MEZ_OK)
        return rv;
    if (!doc)
        return mez_mass_not_found(c, "cap table for entity", entity_id);
    return mez_mass_answer(c, 200, doc);
}

static mez_status_t share_classes_get(mez_mass_call_t *c, const char *entity_id)
{
    const char *status = mez_mass_query_param(c->p, c->req->query, "status");
    json_t *doc = NULL, *out, *list;
    size_t i;
    json_t *sc;
    mez_status_t rv;
    if (!status)
        status = "active";
    if (strcmp(status, "active") && strcmp(status, "retired") && strcmp(status, "all"))
        return mez_mass_refuse(c, 400, "request.invalid_query", NULL,
                               "status must be active, retired or all, not '%s'", status);
    if ((rv = mez_own_cap_table(c, entity_id, 1, &doc)) != MEZ_OK)
        return rv;
    if (!doc)
        return mez_mass_not_found(c, "cap table for entity", entity_id);
    list = json_array();
    json_array_foreach(json_object_get(doc, "share_classes"), i, sc) {
        if (!strcmp(status, "all") || !strcmp(status, json_string_value(json_object_get(sc, "status"))))
            json_array_append(list, sc);
    }
    out = json_pack("{s:s,s:o}", "entity_id", entity_id, "share_classes", list);
    json_decref(doc);
    return mez_mass_answer(c, 200, out);
}

/* ---------------------------------------------------------------- transfers */

typedef struct {
    const char *name, *currency, *lock_up, *terms;
    int board;
} share_class_t;

static mez_status_t load_class(mez_mass_call_t *c, const char *entity_id, const char *id, share_class_t *sc,
                               int *found)
{
    const char *r[4];
    json_t *terms, *tr;
    mez_status_t rv = mez_db_query_row(c->p, c->db, r, 4, found,
                                       "SELECT name, currency, doc, status FROM mez_mass_share_class "
                                       "WHERE share_class_id = %s AND entity_id = %s",
                                       c->pb, id, entity_id, NULL);
    if (rv != MEZ_OK || !*found)
        return rv;
    sc->name = r[0];
    sc->currency = mez_mass_nullable(r[1]);
    sc->terms = r[2];
    sc->lock_up = NULL;
    sc->board = 0;
    terms = mez_mass_doc_parse(c, r[2]);
    tr = json_object_get(terms, "transfer_restrictions");
    if (json_is_string(json_object_get(tr, "lock_up_expiry")))
        sc->lock_up = apr_pstrdup(c->p, json_string_value(json_object_get(tr, "lock_up_expiry")));
    sc->board = json_is_true(json_object_get(tr, "board_approval_required"));
    json_decref(terms);
    return MEZ_OK;
}

/* A lock-up holds while either the transfer's date or the store's own day (on the zone's calendar) is before its
 * expiry: the date says when the shares changed hands (a transfer dated inside the lock-up breached it, however
 * late it is recorded), the store's day that the lock-up has in fact ended (so no date the caller picks can get
 * round it). */
static int locked_up(mez_mass_call_t *c, const share_class_t *sc, const char *date)
{
    const char *today = mez_tz_date(c->p, c->ctx->tz, c->ctx->now);
    return sc->lock_up && (strcmp(date, sc->lock_up) < 0 || strcmp(today, sc->lock_up) < 0);
}

static const char *content_id(mez_mass_call_t *c, const char *prefix, const json_t *doc)
{
    mez_digest_t d;
    if (mez_digest_json(c->p, doc, &d, NULL) != MEZ_OK)
        return NULL;
    return apr_pstrcat(c->p, prefix, mez_digest_hex(c->p, &d), NULL);
}

static mez_status_t transfer(mez_mass_call_t *c)
{
    static const char *const allowed[] = { "entity_id", "share_class_id", "from_holder_id", "to_holder_id",
                                           "to_holder_type", "to_holder_name", "shares", "transfer_price_per_share",
                                           "currency", "transfer_date", "transfer_type", "board_resolution_ref",
                                           "nonce", "notes", "ntn_from", "ntn_to", NULL };
    static const char *const ttypes[] = { "sale", "gift", "inheritance", "corporate_action", "vesting_release", NULL };
    const json_t *b = c->req->body;
    const char *entity_id = NULL, *class_id = NULL, *from = NULL, *to = NULL, *to_type = NULL, *to_name = NULL;
    const char *currency = NULL, *date = NULL, *ttype = "sale", *board_ref = NULL, *nonce = NULL, *notes = NULL;
    const char *ntn_from = NULL, *ntn_to = NULL, *now = mez_time_stamp(c->p, c->ctx->now), *r[4], *x, *text;
    const char *transfer_id, *long_from;
    int64_t shares = 0, price = 0, version = 0, basis = -1;
    share_class_t sc;
    int found = 0, ok = 0, n = 0;
    json_t *te, *resp;
    mez_status_t rv;

    if (!mez_mass_check_object(c, b, "", allowed)
        || !mez_mass_get_string(c, b, "", "entity_id", 1, 255, &entity_id)
        || !mez_mass_get_string(c, b, "", "share_class_id", 1, 255, &class_id)
        || !mez_mass_get_string(c, b, "", "from_holder_id", 1, 255, &from)
        || !mez_mass_get_string(c, b, "", "to_holder_id", 1, 255, &to)
        || !mez_mass_get_enum(c, b, "", "to_holder_type", 0, holder_types, &to_type)
        || !mez_mass_get_text(c, b, "", "to_holder_name", 0, 512, &to_name)
        || !mez_own_get_shares(c, b, "", "shares", 1, 1, &shares)
        || !mez_own_get_price(c, b, "", "transfer_price_per_share", 1, &price)
        || !mez_mass_get_string(c, b, "", "currency", 0, 3, &currency)
        || !get_date(c, b, "", "transfer_date", 1, &date)
        || !mez_mass_get_enum(c, b, "", "transfer_type", 0, ttypes, &ttype)
        || !mez_mass_get_text(c, b, "", "board_resolution_ref", 0, 512, &board_ref)
        || !mez_mass_get_string(c, b, "", "nonce", 0, 255, &nonce)
        || !mez_mass_get_text(c, b, "", "notes", 0, 4096, &notes) || !get_ntn(c, b, "", "ntn_from", &ntn_from)
        || !get_ntn(c, b, "", "ntn_to", &ntn_to))
        return MEZ_OK;
    if (currency && (strlen(currency) != 3 || strspn(currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3))
        return mez_mass_refuse(c, 422, "ownership.invalid_currency", "/currency",
                               "currency must be an ISO 4217 code such as PKR, not '%s'", currency);
    if (!strcmp(from, to))
        return mez_mass_refuse(c, 422, "ownership.same_holder", "/to_holder_id",
                               "a transfer needs two different holders");
    /* A transfer records shares that have changed hands: a date still to come would be judged against lock-ups
     * and priced as a holding period that have not yet run. */
    if (strcmp(date, mez_mass_latest_today(c)) > 0)
        return mez_mass_refuse(c, 422, "ownership.transfer_in_future", "/transfer_date",
                               "transfer_date %s is later than today (%s)", date, mez_mass_latest_today(c));
    if ((rv = mez_own_lock(c, entity_id, "/entity_id", &version)) != MEZ_OK || version < 0)
        return rv;
    if ((rv = load_class(c, entity_id, class_id, &sc, &found)) != MEZ_OK)
        return rv;
    if (!found)
        return mez_mass_refuse(c, 404, "ownership.share_class_not_found", "/share_class_id",
                               "entity %s has no share class '%s'", entity_id, class_id);
    if (currency && sc.currency && strcmp(currency, sc.currency))
        return mez_mass_refuse(c, 422, "ownership.currency_mismatch", "/currency",
                               "the share class is priced in %s, not %s", sc.currency, currency);
    if (!currency && !(currency = sc.currency))
        return mez_mass_refuse(c, 422, "ownership.currency_required", "/currency",
                               "the share class names no currency, so the transfer price needs one");
    if (locked_up(c, &sc, date))
        return mez_mass_refuse(c, 422, "ownership.locked_up", "/transfer_date",
                               "shares of this class are locked up until %s", sc.lock_up);
    if (sc.board && !board_ref)
        return mez_mass_refuse(c, 422, "ownership.board_resolution_required", "/board_resolution_ref",
                               "transfers of this class need a board resolution");
    if (nonce) {
        const char *used = NULL;
        if ((rv = mez_db_query_value(c->p, c->db, &used,
                                     "SELECT transfer_id FROM mez_mass_share_transfer WHERE entity_id = %s AND "
                                     "from_holder_id = %s AND nonce = %s",
                                     c->pb, entity_id, from, nonce, NULL)) != MEZ_OK)
            return rv;
        if (used)
            return mez_mass_refuse(c, 409, "ownership.nonce_reused", "/nonce",
                                   "nonce '%s' was already used by %s (transfer %s)", nonce, from, used);
    }
    /* The seller's position before the transfer: its basis and acquisition date price the disposal. */
    if ((rv = mez_db_query_row(c->p, c->db, r, 4, &found,
                               "SELECT shares, cost_basis_micro, acquisition_date, ntn FROM mez_mass_holding "
                               "WHERE share_class_id = %s AND holder_id = %s",
                               c->pb, class_id, from, NULL)) != MEZ_OK)
        return rv;
    if ((rv = mez_own_debit(c, class_id, from, shares, &ok)) != MEZ_OK)
        return rv;
    if (!ok) {
        const char *held = found ? r[0] : "0";
        mez_mass_refuse(c, 422, "ownership.insufficient_shares", "/shares",
                        "%s holds %s shares of this class, %s were to be transferred", from, held,
                        i64(c->p, shares));
        json_object_set_new(c->resp->body, "held", json_string(held));
        json_object_set_new(c->resp->body, "requested", json_string(i64(c->p, shares)));
        return MEZ_OK;
    }
    if (strcmp(date, r[2]) < 0)
        return mez_mass_refuse(c, 422, "ownership.transfer_before_acquisition", "/transfer_date",
                               "%s acquired these shares on %s, after %s", from, r[2], date);
    if ((rv = mez_db_query_value(c->p, c->db, &x, "SELECT holder_type FROM mez_mass_holding WHERE share_class_id = %s "
                                 "AND holder_id = %s", c->pb, class_id, to, NULL)) != MEZ_OK)
        return rv;
    if (!x && !to_type)
        return mez_mass_refuse(c, 422, "request.missing_field", "/to_holder_type",
                               "'to_holder_type' is required when the acquirer is new to the cap table");
    if ((rv = mez_own_credit(c, entity_id, class_id, to, x ? x : to_type, to_name, ntn_to, shares, price, date))
        != MEZ_OK)
        return rv;

    /* The tax event: facts of the disposal; the zone's tax rules decide what is owed. */
    if (mez_mass_nullable(r[1]))
        basis = (int64_t)apr_atoi64(r[1]);
    long_from = apr_psprintf(c->p, "%04d%s", atoi(r[2]) + 1, r[2] + 4);
    te = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "entity_id", entity_id,
                   "disposing_holder_id", from, "acquiring_holder_id", to, "share_class_id", class_id,
                   "shares_disposed", i64(c->p, shares), "proceeds_per_share",
                   mez_mass_decimal_format(c->p, price, MEZ_MASS_PRICE_SCALE), "total_proceeds",
                   mez_mass_decimal_format(c->p, (__int128)price * shares, MEZ_MASS_PRICE_SCALE), "currency", currency,
                   "disposal_date", date, "acquisition_date", r[2], "holding_period",
                   strcmp(date, long_from) >= 0 ? "long_term" : "short_term", "generated_at", now);
    if (ntn_from || mez_mass_nullable(r[3]))
        json_object_set_new(te, "ntn", json_string(ntn_from ? ntn_from : r[3]));
    if (c->ctx->jurisdiction_id)
        json_object_set_new(te, "jurisdiction_id", json_string(c->ctx->jurisdiction_id));
    if (basis >= 0) {
        __int128 gain = ((__int128)price - basis) * shares;
        json_object_set_new(te, "cost_basis_per_share",
                            json_string(mez_mass_decimal_format(c->p, basis, MEZ_MASS_PRICE_SCALE)));
        json_object_set_new(te, "total_cost_basis", json_string(mez_mass_decimal_format(
                                                        c->p, (__int128)basis * shares, MEZ_MASS_PRICE_SCALE)));
        json_object_set_new(te, "gain_or_loss", json_string(mez_mass_decimal_format(c->p, gain, MEZ_MASS_PRICE_SCALE)));
        json_object_set_new(te, "event_type",
                            json_string(apr_pstrcat(c->p, gain < 0 ? "capital_loss_" : "capital_gain_",
                                                    json_string_value(json_object_get(te, "holding_period")), NULL)));
    }
    resp = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "entity_id", entity_id, "share_class_id", class_id,
                     "from_holder_id", from, "to_holder_id", to, "shares", i64(c->p, shares),
                     "transfer_price_per_share", mez_mass_decimal_format(c->p, price, MEZ_MASS_PRICE_SCALE),
                     "currency", currency, "transfer_date", date, "transfer_type", ttype, "recorded_at", now);
    if (board_ref)
        json_object_set_new(resp, "board_resolution_ref", json_string(board_ref));
    /* Content-addressed: the transfer's facts plus the cap table's mutation count, unique per cap table. */
    json_object_set_new(resp, "cap_table_version", json_integer((json_int_t)version));
    transfer_id = content_id(c, "trf_", resp);
    json_object_del(resp, "cap_table_version");
    json_object_set_new(te, "transfer_ref", json_string(transfer_id));
    json_object_set_new(te, "tax_event_id", json_string(content_id(c, "cgt_", te)));
    json_object_set_new(resp, "transfer_id", json_string(transfer_id));
    json_object_set_new(resp, "tax_event", te);
    {
        json_t *doc = NULL;
        int iok = 0;
        if ((rv = mez_own_check(c, entity_id, &iok)) != MEZ_OK || !iok
            || (rv = mez_own_cap_table(c, entity_id, 1, &doc)) != MEZ_OK || !doc) {
            json_decref(resp);
            return rv != MEZ_OK ? rv : MEZ_EINTERNAL;
        }
        json_object_set(resp, "state_digest_sha256", json_object_get(doc, "state_digest_sha256"));
        json_decref(doc);
    }
    text = mez_mass_doc_text(c, resp);
    /* One board resolution resolves one transfer. The unique (entity_id, board_resolution_ref) index decides,
     * so that of two transfers citing one resolution, whatever runs beside them, one is recorded; the other
     * inserts nothing and is refused (its debit and credit roll back with it). A retry of the recorded transfer
     * under its Idempotency-Key never gets here: its first answer is replayed (mass_store.c). */
    if ((rv = mez_db_execv(c->p, c->db, &n,
                           "INSERT INTO mez_mass_share_transfer (transfer_id, entity_id, share_class_id, "
                           "from_holder_id, to_holder_id, shares, nonce, board_resolution_ref, doc, recorded_at) "
                           "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (entity_id, "
                           "board_resolution_ref) WHERE board_resolution_ref IS NOT NULL DO NOTHING",
                           c->pb, transfer_id, entity_id, class_id, from, to, i64(c->p, shares),
                           nonce ? nonce : MEZ_DB_NULL, board_ref ? board_ref : MEZ_DB_NULL, text ? text : "{}",
                           now, NULL)) != MEZ_OK) {
        json_decref(resp);
        return rv;
    }
    if (n != 1) {
        const char *used = NULL;
        json_decref(resp);
        if ((rv = mez_db_query_value(c->p, c->db, &used,
                                     "SELECT transfer_id FROM mez_mass_share_transfer WHERE entity_id = %s AND "
                                     "board_resolution_ref = %s", c->pb, entity_id, board_ref ? board_ref : "",
                                     NULL)) != MEZ_OK)
            return rv;
        return mez_mass_refuse(c, 409, "ownership.resolution_used", "/board_resolution_ref",
                               "board resolution '%s' already resolved transfer %s of entity %s: each transfer "
                               "needs a resolution of its own", board_ref ? board_ref : "",
                               used ? used : "(another)", entity_id);
    }
    return mez_mass_answer(c, 201, resp);
}

static mez_status_t issuance(mez_mass_call_t *c, const char *entity_id)
{
    static const char *const allowed[] = { "share_class_id", "holder_id", "holder_type", "name", "ntn", "shares",
                                           "price_per_share", NULL };
    const json_t *b = c->req->body;
    const char *class_id = NULL, *holder = NULL, *htype = NULL, *name = NULL, *ntn = NULL, *existing = NULL, *r[2];
    const char *now = mez_time_stamp(c->p, c->ctx->now), *id, *text;
    int64_t shares = 0, price = -1, version = 0;
    share_class_t sc;
    int found = 0, n = 0;
    json_t *out;
    mez_status_t rv;

    if (!mez_mass_check_object(c, b, "", allowed)
        || !mez_mass_get_string(c, b, "", "share_class_id", 1, 255, &class_id)
        || !mez_mass_get_string(c, b, "", "holder_id", 1, 255, &holder)
        || !mez_mass_get_enum(c, b, "", "holder_type", 1, holder_types, &htype)
        || !mez_mass_get_text(c, b, "", "name", 0, 512, &name) || !get_ntn(c, b, "", "ntn", &ntn)
        || !mez_own_get_shares(c, b, "", "shares", 1, 1, &shares)
        || !mez_own_get_price(c, b, "", "price_per_share", 0, &price))
        return MEZ_OK;
    if ((rv = mez_own_lock(c, entity_id, NULL, &version)) != MEZ_OK || version < 0)
        return rv;
    if ((rv = load_class(c, entity_id, class_id, &sc, &found)) != MEZ_OK)
        return rv;
    if (!found)
        return mez_mass_refuse(c, 404, "ownership.share_class_not_found", "/share_class_id",
                               "entity %s has no share class '%s'", entity_id, class_id);
    /* The guard is the statement: issued + new <= authorized, on the class's row, whatever runs beside it. */
    if ((rv = mez_db_execv(c->p, c->db, &n,
                           "UPDATE mez_mass_share_class SET issued_shares = issued_shares + CAST(%s AS BIGINT), "
                           "updated_at = %s WHERE share_class_id = %s AND status = 'active' AND "
                           "authorized_shares - issued_shares >= CAST(%s AS BIGINT)",
                           c->pb, i64(c->p, shares), now, class_id, i64(c->p, shares), NULL)) != MEZ_OK
        || (rv = mez_db_query_row(c->p, c->db, r, 2, &found,
                                  "SELECT authorized_shares, issued_shares FROM mez_mass_share_class "
                                  "WHERE share_class_id = %s", c->pb, class_id, NULL)) != MEZ_OK)
        return rv;
    if (n != 1) {
        mez_mass_refuse(c, 422, "ownership.exceeds_authorized", "/shares",
                        "share class %s authorizes %s shares and has issued %s; %s more would exceed it", class_id,
                        r[0], r[1], i64(c->p, shares));
        json_object_set_new(c->resp->body, "authorized_shares", json_string(r[0]));
        json_object_set_new(c->resp->body, "issued_shares", json_string(r[1]));
        return MEZ_OK;
    }
    if ((rv = mez_db_query_value(c->p, c->db, &existing, "SELECT holder_type FROM mez_mass_holding WHERE "
                                 "share_class_id = %s AND holder_id = %s", c->pb, class_id, holder, NULL)) != MEZ_OK
        || (rv = mez_own_credit(c, entity_id, class_id, holder, existing ? existing : htype, name, ntn, shares, price,
                                apr_pstrndup(c->p, now, 10))) != MEZ_OK)
        return rv;
    id = mez_mass_new_id(c->p, "iss_");
    out = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "issuance_id", id, "entity_id", entity_id, "share_class_id",
                    class_id, "holder_id", holder, "shares", i64(c->p, shares), "authorized_shares", r[0],
                    "issued_shares", r[1], "recorded_at", now);
    if (price >= 0)
        json_object_set_new(out, "price_per_share",
                            json_string(mez_mass_decimal_format(c->p, price, MEZ_MASS_PRICE_SCALE)));
    text = mez_mass_doc_text(c, out);
    if ((rv = mez_db_execv(c->p, c->db, NULL,
                           "INSERT INTO mez_mass_share_issuance (issuance_id, entity_id, share_class_id, holder_id, "
                           "shares, doc, recorded_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                           c->pb, id, entity_id, class_id, holder, i64(c->p, shares), text ? text : "{}", now, NULL))
        != MEZ_OK) {
        json_decref(out);
        return rv;
    }
    return answer_checked(c, entity_id, 201, out);
}

/* ---------------------------------------------------------------- routes */

mez_status_t mez_mass_ownership_handle(mez_mass_call_t *c)
{
    const char *path = c->req->path, *cap[1];
    int get = !strcmp(c->req->method, "GET"), post = !strcmp(c->req->method, "POST");

    if (!strcmp(path, "/v1/ownership/cap-table"))
        return post ? cap_table_create(c) : mez_mass_no_route(c, 1);
    if (!strcmp(path, "/v1/ownership/transfers"))
        return post ? transfer(c) : mez_mass_no_route(c, 1);
    if (mez_mass_path_match(c->p, path, "/v1/ownership/*/cap-table", cap, 1))
        return get ? cap_table_get(c, cap[0]) : mez_mass_no_route(c, 1);
    if (mez_mass_path_match(c->p, path, "/v1/ownership/*/share-classes", cap, 1))
        return get ? share_classes_get(c, cap[0]) : mez_mass_no_route(c, 1);
    if (mez_mass_path_match(c->p, path, "/v1/ownership/*/issuances", cap, 1))
        return post ? issuance(c, cap[0]) : mez_mass_no_route(c, 1);
    return mez_mass_no_route(c, 0);
}
