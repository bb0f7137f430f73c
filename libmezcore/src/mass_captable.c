/* mass_captable.c: the ownership primitive's state: the cap-table document and its digest, positions changed by
 * guarded statements only, and the invariant check (issued = sum of positions <= authorized, none negative). */
#include <string.h>
#include <apr_strings.h>
#include "mez/store.h"
#include "mez/digest.h"
#include "mass_ownership_int.h"

static const char *i64(apr_pool_t *p, int64_t v)
{
    return apr_psprintf(p, "%" APR_INT64_T_FMT, v);
}

mez_status_t mez_own_lock(mez_mass_call_t *c, const char *entity_id, const char *pointer, int64_t *version)
{
    const char *r[3], *zone = mez_mass_zone_scope(c);
    int n = 0, found = 0;
    /* Another zone's cap table is not there for a caller acting for one zone (mass_int.h: zones): not counted,
     * not read, answered as none. */
    mez_status_t rv = mez_db_execv(c->p, c->db, &n,
                                   "UPDATE mez_mass_cap_table SET version = version + 1, updated_at = %s "
                                   "WHERE entity_id = %s AND status = 'active' AND (%s = '' OR EXISTS (SELECT 1 FROM "
                                   "mez_mass_entity e WHERE e.entity_id = mez_mass_cap_table.entity_id AND "
                                   "e.zone_id = %s))",
                                   c->pb, mez_time_stamp(c->p, c->ctx->now), entity_id, zone, zone, NULL);
    *version = -1;
    if (rv != MEZ_OK)
        return rv;
    /* The cap table's state and its entity's in one read. The entity is not locked: a strike-off or winding up
     * committing while this runs orders after it, as if the shares had moved first, which they did. */
    if ((rv = mez_db_query_row(c->p, c->db, r, 3, &found,
                               "SELECT t.status, t.version, e.status FROM mez_mass_cap_table t "
                               "LEFT JOIN mez_mass_entity e ON e.entity_id = t.entity_id "
                               "WHERE t.entity_id = %s AND " MEZ_MASS_IN_ZONE("e.zone_id"),
                               c->pb, entity_id, zone, zone, NULL)) != MEZ_OK)
        return rv;
    if (!found)
        return mez_mass_refuse(c, 404, "ownership.cap_table_not_found", pointer,
                               "entity '%s' has no cap table in this zone", entity_id);
    if (n != 1)
        return mez_mass_refuse(c, 409, "ownership.cap_table_frozen", pointer, "the cap table of %s is %s", entity_id,
                               r[0]);
    if (!mez_mass_entity_shares_move(mez_mass_nullable(r[2])))
        return mez_mass_refuse(c, 409, "ownership.entity_inactive", pointer,
                               "entity %s is %s: its shares can no longer be issued or transferred", entity_id, r[2]);
    *version = (int64_t)apr_atoi64(r[1]);
    return MEZ_OK;
}

static const char *price_text(apr_pool_t *p, const char *micro)
{
    return micro ? mez_mass_decimal_format(p, (__int128)apr_atoi64(micro), MEZ_MASS_PRICE_SCALE) : NULL;
}

mez_status_t mez_own_cap_table(mez_mass_call_t *c, const char *entity_id, int fully_diluted, json_t **doc)
{
    const char *t[5];
    apr_array_header_t *classes, *holders;
    json_t *jc, *jh, *state;
    int found = 0;
    int64_t authorized = 0, issued = 0;
    mez_digest_t d;
    mez_status_t rv;

    *doc = NULL;
    /* None for another zone's entity than the caller acts for (mass_int.h: zones). */
    if ((rv = mez_db_query_row(c->p, c->db, t, 5, &found,
                               "SELECT t.cap_table_id, t.status, t.track_fully_diluted, t.created_at, t.updated_at "
                               "FROM mez_mass_cap_table t LEFT JOIN mez_mass_entity e ON e.entity_id = t.entity_id "
                               "WHERE t.entity_id = %s AND " MEZ_MASS_IN_ZONE("e.zone_id"),
                               c->pb, entity_id, mez_mass_zone_scope(c), mez_mass_zone_scope(c), NULL)) != MEZ_OK
        || !found)
        return rv;
    if ((rv = mez_db_query_rows(c->p, c->db, 7, &classes,
                                "SELECT share_class_id, name, authorized_shares, issued_shares, currency, status, doc "
                                "FROM mez_mass_share_class WHERE entity_id = %s ORDER BY share_class_id",
                                c->pb, entity_id, NULL)) != MEZ_OK
        || (rv = mez_db_query_rows(c->p, c->db, 9, &holders,
                                   "SELECT holder_id, holder_type, name, shares, share_class_id, cost_basis_micro, "
                                   "acquisition_date, ntn, entity_id FROM mez_mass_holding WHERE entity_id = %s AND "
                                   "shares > 0 ORDER BY share_class_id, holder_id",
                                   c->pb, entity_id, NULL)) != MEZ_OK)
        return rv;
    jc = json_array();
    for (int i = 0; i < classes->nelts; i++) {
        const char **r = APR_ARRAY_IDX(classes, i, const char **);
        json_t *terms = mez_mass_doc_parse(c, r[6]);
        json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "share_class_id", r[0], "name", r[1], "authorized_shares", r[2],
                              "issued_shares", r[3], "status", r[5]);
        if (terms)
            json_object_update_missing(o, terms);
        json_decref(terms);
        if (mez_mass_nullable(r[4]))
            json_object_set_new(o, "currency", json_string(r[4]));
        json_array_append_new(jc, o);
        /* Checked: a cap table stored before its classes were bounded could in principle sum past int64. */
        if (__builtin_add_overflow(authorized, (int64_t)apr_atoi64(r[2]), &authorized)
            || __builtin_add_overflow(issued, (int64_t)apr_atoi64(r[3]), &issued)) {
            json_decref(jc);
            return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "ownership.invariant_violated", NULL,
                               "the share totals of %s do not fit in a 64-bit count", entity_id);
        }
    }
    jh = json_array();
    for (int i = 0; i < holders->nelts; i++) {
        const char **r = APR_ARRAY_IDX(holders, i, const char **);
        json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "holder_id", r[0], "holder_type", r[1], "shares_held", r[3],
                              "share_class_id", r[4], "acquisition_date", r[6]);
        if (mez_mass_nullable(r[2]))
            json_object_set_new(o, "name", json_string(r[2]));
        if (mez_mass_nullable(r[5]))
            json_object_set_new(o, "cost_basis_per_share", json_string(price_text(c->p, r[5])));
        if (mez_mass_nullable(r[7]))
            json_object_set_new(o, "ntn", json_string(r[7]));
        json_array_append_new(jh, o);
    }
    /* The store keeps no convertible instruments or option pools, so fully diluted is what is issued. */
    state = json_pack("{s:s,s:o,s:o,s:[],s:[],s:s,s:s,s:s}", "entity_id", entity_id, "share_classes", jc, "holders",
                      jh, "convertible_instruments", "option_pools", "total_authorized_shares",
                      i64(c->p, authorized), "total_issued_shares", i64(c->p, issued), "status", t[1]);
    if (fully_diluted && !strcmp(t[2], "1"))
        json_object_set_new(state, "fully_diluted_shares", json_string(i64(c->p, issued)));
    if (mez_digest_json(c->p, state, &d, c->pb) != MEZ_OK) {
        json_decref(state);
        return MEZ_EINTERNAL;
    }
    json_object_set_new(state, "state_digest_sha256", json_string(mez_digest_hex(c->p, &d)));
    json_object_set_new(state, "cap_table_id", json_string(t[0]));
    json_object_set_new(state, "created_at", json_string(t[3]));
    json_object_set_new(state, "updated_at", json_string(t[4]));
    *doc = state;
    return MEZ_OK;
}

mez_status_t mez_own_credit(mez_mass_call_t *c, const char *entity_id, const char *share_class_id,
                            const char *holder_id, const char *holder_type, const char *name, const char *ntn,
                            int64_t shares, int64_t price_micro, const char *date)
{
    const char *r[2], *now = mez_time_stamp(c->p, c->ctx->now), *basis;
    int found = 0, n = 0;
    mez_status_t rv = mez_db_query_row(c->p, c->db, r, 2, &found,
                                       "SELECT shares, cost_basis_micro FROM mez_mass_holding "
                                       "WHERE share_class_id = %s AND holder_id = %s",
                                       c->pb, share_class_id, holder_id, NULL);
    if (rv != MEZ_OK)
        return rv;
    if (!found) {
        return mez_db_execv(c->p, c->db, NULL,
                            "INSERT INTO mez_mass_holding (share_class_id, holder_id, entity_id, holder_type, name, "
                            "ntn, shares, cost_basis_micro, acquisition_date, created_at, updated_at) "
                            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                            c->pb, share_class_id, holder_id, entity_id, holder_type, name ? name : MEZ_DB_NULL,
                            ntn ? ntn : MEZ_DB_NULL, i64(c->p, shares),
                            price_micro >= 0 ? i64(c->p, price_micro) : MEZ_DB_NULL, date, now, now, NULL);
    }
    {
        int64_t old = (int64_t)apr_atoi64(r[0]);
        if (old == 0) {
            basis = price_micro >= 0 ? i64(c->p, price_micro) : MEZ_DB_NULL;
        } else if (!mez_mass_nullable(r[1]) || price_micro < 0) {
            basis = MEZ_DB_NULL;
        } else {
            /* Weighted average, rounded half up to the millionth. */
            __int128 total = (__int128)old * apr_atoi64(r[1]) + (__int128)shares * price_micro;
            __int128 count = (__int128)old + shares;
            basis = i64(c->p, (int64_t)((total * 2 + count) / (count * 2)));
        }
        /* Guarded on the shares read above: the cap-table lock already serialises this, the guard says so. */
        rv = mez_db_execv(c->p, c->db, &n,
                          "UPDATE mez_mass_holding SET shares = shares + CAST(%s AS BIGINT), cost_basis_micro = %s, "
                          "acquisition_date = %s, name = COALESCE(name, %s), ntn = COALESCE(ntn, %s), updated_at = %s "
                          "WHERE share_class_id = %s AND holder_id = %s AND shares = CAST(%s AS BIGINT)",
                          c->pb, i64(c->p, shares), basis, date, name ? name : MEZ_DB_NULL, ntn ? ntn : MEZ_DB_NULL,
                          now, share_class_id, holder_id, r[0], NULL);
    }
    if (rv == MEZ_OK && n != 1)
        return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "ownership.invariant_violated", NULL,
                           "the position of %s changed under the cap-table lock", holder_id);
    return rv;
}

mez_status_t mez_own_debit(mez_mass_call_t *c, const char *share_class_id, const char *holder_id, int64_t shares,
                           int *ok)
{
    int n = 0;
    const char *x = i64(c->p, shares);
    mez_status_t rv = mez_db_execv(c->p, c->db, &n,
                                   "UPDATE mez_mass_holding SET shares = shares - CAST(%s AS BIGINT), updated_at = %s "
                                   "WHERE share_class_id = %s AND holder_id = %s AND shares >= CAST(%s AS BIGINT)",
                                   c->pb, x, mez_time_stamp(c->p, c->ctx->now), share_class_id, holder_id, x, NULL);
    *ok = n == 1;
    return rv;
}

mez_status_t mez_own_check(mez_mass_call_t *c, const char *entity_id, int *ok)
{
    apr_array_header_t *rows;
    mez_status_t rv = mez_db_query_rows(c->p, c->db, 5, &rows,
                                        "SELECT s.share_class_id, s.authorized_shares, s.issued_shares, "
                                        "(SELECT COALESCE(SUM(h.shares), 0) FROM mez_mass_holding h "
                                        " WHERE h.share_class_id = s.share_class_id), "
                                        "(SELECT COALESCE(MIN(h.shares), 0) FROM mez_mass_holding h "
                                        " WHERE h.share_class_id = s.share_class_id) "
                                        "FROM mez_mass_share_class s WHERE s.entity_id = %s",
                                        c->pb, entity_id, NULL);
    *ok = 1;
    for (int i = 0; rv == MEZ_OK && i < rows->nelts; i++) {
        const char **r = APR_ARRAY_IDX(rows, i, const char **);
        int64_t authorized = apr_atoi64(r[1]), issued = apr_atoi64(r[2]), held = apr_atoi64(r[3]);
        if (issued != held || issued > authorized || issued < 0 || apr_atoi64(r[4]) < 0) {
            *ok = 0;
            return mez_problem(c->pb, c->p, MEZ_EINTERNAL, 500, "ownership.invariant_violated", NULL,
                               "share class %s: authorized %s, issued %s, positions sum to %s, smallest %s", r[0],
                               r[1], r[2], r[3], r[4]);
        }
    }
    return rv;
}

int mez_own_get_shares(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                       int positive, int64_t *out)
{
    const char *s = NULL, *ptr = mez_pointer_join(c->p, base ? base : "", name);
    mez_decimal_rc_t rc;
    if (!mez_mass_get_string(c, obj, base, name, required, 32, &s))
        return 0;
    if (!s)
        return 1;
    rc = mez_mass_decimal_parse(s, 0, 0, MEZ_MASS_SHARES_MAX, out);
    if (rc == MEZ_DECIMAL_SYNTAX) {
        mez_mass_refuse(c, 422, "ownership.invalid_shares", ptr, "'%s' must be a whole number of shares as a decimal "
                        "string such as \"1000\", not '%s'", name, s);
        return 0;
    }
    if (rc != MEZ_DECIMAL_OK) {
        mez_mass_refuse(c, 422, "ownership.shares_too_large", ptr, "'%s' is larger than the store accepts", name);
        return 0;
    }
    if (positive && *out == 0) {
        mez_mass_refuse(c, 422, "ownership.shares_not_positive", ptr, "'%s' must be greater than zero", name);
        return 0;
    }
    return 1;
}

int mez_own_get_price(mez_mass_call_t *c, const json_t *obj, const char *base, const char *name, int required,
                      int64_t *out)
{
    const char *s = NULL, *ptr = mez_pointer_join(c->p, base ? base : "", name);
    mez_decimal_rc_t rc;
    if (!mez_mass_get_string(c, obj, base, name, required, 64, &s))
        return 0;
    if (!s)
        return 1;
    rc = mez_mass_decimal_parse(s, -1, MEZ_MASS_PRICE_SCALE, MEZ_MASS_PRICE_MAX, out);
    if (rc == MEZ_DECIMAL_SYNTAX) {
        mez_mass_refuse(c, 422, "ownership.invalid_decimal", ptr, "'%s' must be a decimal string such as \"12.50\", "
                        "not '%s'", name, s);
        return 0;
    }
    if (rc == MEZ_DECIMAL_PRECISION) {
        mez_mass_refuse(c, 422, "ownership.price_precision", ptr, "'%s' has more than %d decimals: '%s'", name,
                        MEZ_MASS_PRICE_SCALE, s);
        return 0;
    }
    if (rc != MEZ_DECIMAL_OK) {
        mez_mass_refuse(c, 422, "ownership.price_too_large", ptr, "'%s' is larger than the store accepts", name);
        return 0;
    }
    return 1;
}
