/* pack_validate.c: typed validation of the three pack formats in packs/README.md, table-driven so each row
 * type reads like its documentation; every problem names file, line and the field's JSON pointer. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/json.h"
#include "mez/deadline.h"
#include "mez/pack.h"
#include "mez/tensor.h"
#include "mez/vc.h"

const char *const mez_pack_domains[MEZ_PACK_DOMAIN_COUNT] = {
    "aml", "kyc", "sanctions", "tax", "securities", "corporate", "custody", "data_privacy", "licensing", "banking",
    "payments", "clearing", "settlement", "digital_assets", "employment", "immigration", "ip",
    "consumer_protection", "arbitration", "trade"
};

int mez_pack_domain_known(const char *name)
{
    for (int i = 0; name && i < MEZ_PACK_DOMAIN_COUNT; i++)
        if (!strcmp(name, mez_pack_domains[i]))
            return 1;
    return 0;
}

const char *mez_pack_kind_name(mez_pack_kind_t kind)
{
    switch (kind) {
    case MEZ_PACK_LAW: return "lawpack";
    case MEZ_PACK_REG: return "regpack";
    case MEZ_PACK_LICENSE: return "licensepack";
    }
    return "pack";
}

mez_pack_kind_t mez_pack_kind_from_name(const char *name)
{
    if (!name)
        return 0;
    if (!strcmp(name, "lawpack")) return MEZ_PACK_LAW;
    if (!strcmp(name, "regpack")) return MEZ_PACK_REG;
    if (!strcmp(name, "licensepack")) return MEZ_PACK_LICENSE;
    return 0;
}

int mez_pack_path_ok(const char *path)
{
    const char *seg = path;
    if (!path || !*path || *path == '/' || strchr(path, '\\'))
        return 0;
    for (;;) {
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return 0;
        if (!end)
            return 1;
        seg = end + 1;
    }
}

/* ------------------------------------------------------------------ the validation context */

typedef struct vctx_t {
    apr_pool_t *p;
    const mez_yaml_doc_t *doc;
    mez_problem_list_t problems;    /* every problem, into the caller's list when it keeps one */
    apr_hash_t *sources;            /* source id -> pointer */
    apr_hash_t *ids;                /* row ids unique in the pack -> pointer */
    apr_hash_t *regulators;         /* regulator id -> pointer */
} vctx_t;

static void err(vctx_t *v, const char *code, const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void err(vctx_t *v, const char *code, const char *pointer, const char *fmt, ...)
{
    mez_problem_t pr = { 0 };
    va_list ap;
    const char *msg;
    va_start(ap, fmt);
    msg = apr_pvsprintf(v->p, fmt, ap);
    va_end(ap);
    mez_yaml_problem(&pr, v->p, v->doc, code, pointer, "%s", msg);
    mez_problem_list_add(&v->problems, &pr);
}

static int line_of(const vctx_t *v, const char *pointer)
{
    return mez_yaml_position(v->doc, pointer).line;
}

/* ------------------------------------------------------------------ field tables */

typedef enum {
    T_STRING, T_DATE, T_DECIMAL, T_BOOL, T_UINT, T_POSINT, T_DAY_OF_MONTH, T_ROW_ID, T_PACK_ID, T_LICENCE_ID,
    T_SLUG, T_JURISDICTION, T_DOMAIN, T_URL, T_PATH, T_CURRENCY, T_SOURCE, T_ENUM, T_STRLIST, T_OBJECT, T_ROWS,
    T_PERCENT,  /* a decimal string from "0" to "100": rates are percent */
    T_TRUE,     /* a flag that is either true or left out (without_delay: true) */
    T_LIST      /* a list of distinct scalars, each checked as the field_t in arg (a list of slugs, of ids) */
} vtype_t;

#define F_REQ      1    /* must be present */
#define F_NONEMPTY 2    /* T_ROWS / T_STRLIST / T_LIST: at least one item */

typedef struct table_t table_t;

typedef struct field_t {
    const char *name;
    int flags;
    vtype_t type;
    const void *arg;    /* T_ENUM: const char *const * (NULL-terminated); T_OBJECT, T_ROWS: const table_t *;
                         * T_LIST: const field_t * describing one item */
} field_t;

typedef enum { IDS_NONE, IDS_PACK, IDS_LOCAL } id_scope_t;

struct table_t {
    const char *what;                                        /* how messages name one of these */
    const field_t *fields;                                   /* ends with { NULL } */
    id_scope_t ids;                                          /* rows: where their "id" must be unique */
    void (*after)(vctx_t *v, const json_t *obj, const char *ptr);  /* checks across fields */
};

static void check_object(vctx_t *v, const json_t *obj, const char *ptr, const table_t *t);

static int matches(const char *s, const char *first, const char *rest, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max || !strchr(first, s[0]))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!strchr(rest, s[i]))
            return 0;
    return 1;
}

#define LOWER_DIGITS "abcdefghijklmnopqrstuvwxyz0123456789"

int mez_pack_slug_ok(const char *s)
{
    return s && matches(s, "abcdefghijklmnopqrstuvwxyz", LOWER_DIGITS "_", 128);
}

static int is_row_id(const char *s)
{
    return matches(s, LOWER_DIGITS, LOWER_DIGITS "._-", 128);
}

static int is_pack_id(const char *s)
{
    return matches(s, LOWER_DIGITS, LOWER_DIGITS "-", 128);
}

static int is_licence_id(const char *s)
{
    const char *colon = strchr(s, ':');
    char reg[129];
    size_t n = colon ? (size_t)(colon - s) : 0;
    if (!colon || n >= sizeof(reg))
        return 0;
    memcpy(reg, s, n);
    reg[n] = '\0';
    return is_pack_id(reg) && is_row_id(colon + 1);
}

static int is_jurisdiction(const char *s)
{
    /* Country first (two letters), then "-"-separated lower-case parts: pk, pk-sifc, ae-adgm. */
    if (strlen(s) < 2 || !(s[0] >= 'a' && s[0] <= 'z') || !(s[1] >= 'a' && s[1] <= 'z'))
        return 0;
    s += 2;
    while (*s) {
        if (*s++ != '-' || !*s || *s == '-')
            return 0;
        while (*s && *s != '-') {
            if (!strchr(LOWER_DIGITS, *s))
                return 0;
            s++;
        }
    }
    return 1;
}

int mez_pack_date_ok(const char *s)
{
    int y, m, d;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !(s[i] >= '0' && s[i] <= '9'))
            return 0;
    y = atoi(s);
    m = atoi(s + 5);
    d = atoi(s + 8);
    if (m < 1 || m > 12 || d < 1)
        return 0;
    return d <= mez_days_in_month(y, m);
}

static int is_decimal(const char *s)
{
    /* ^[0-9]+(\.[0-9]+)?$ */
    const char *c = s;
    if (!(*c >= '0' && *c <= '9'))
        return 0;
    while (*c >= '0' && *c <= '9')
        c++;
    if (*c == '.') {
        c++;
        if (!(*c >= '0' && *c <= '9'))
            return 0;
        while (*c >= '0' && *c <= '9')
            c++;
    }
    return *c == '\0';
}

/* A percentage: a decimal from 0 to 100, i.e. ^([0-9]{1,2}(\.[0-9]+)?|100(\.0+)?)$ (the JSON Schemas say the
 * same). */
static int is_percent(const char *s)
{
    size_t whole = strspn(s, "0123456789");
    if (!is_decimal(s))
        return 0;
    if (whole <= 2)
        return 1;
    return whole == 3 && !strncmp(s, "100", 3) && (s[3] == '\0' || strspn(s + 4, "0") == strlen(s + 4));
}

/* Two decimal strings with the same value ("5" and "5.00", "05" and "5"). */
static int decimal_equal(const char *a, const char *b)
{
    size_t la, lb, fa, fb;
    while (*a == '0' && a[1] >= '0' && a[1] <= '9')
        a++;
    while (*b == '0' && b[1] >= '0' && b[1] <= '9')
        b++;
    la = strspn(a, "0123456789");
    lb = strspn(b, "0123456789");
    if (la != lb || strncmp(a, b, la))
        return 0;
    a += la + (a[la] == '.');
    b += lb + (b[lb] == '.');
    fa = strlen(a);
    fb = strlen(b);
    while (fa && a[fa - 1] == '0')
        fa--;
    while (fb && b[fb - 1] == '0')
        fb--;
    return fa == fb && !strncmp(a, b, fa);
}

static int is_url(const char *s)
{
    if (strncmp(s, "https://", 8) && strncmp(s, "http://", 7))
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

/* A string field, or a problem saying what it should be. Integers get a hint, since an unquoted 153 or 2025
 * is the usual cause. */
static const char *want_string(vctx_t *v, const json_t *val, const char *ptr, const char *name, const char *what)
{
    if (json_is_string(val) && json_string_length(val) > 0)
        return json_string_value(val);
    if (json_is_integer(val))
        err(v, "pack.invalid_type", ptr, "%s must be %s; write it quoted: \"%" APR_INT64_T_FMT "\"", name, what,
            (apr_int64_t)json_integer_value(val));
    else
        err(v, "pack.invalid_type", ptr, "%s must be %s, not %s", name, what,
            json_is_string(val) ? "an empty string" : mez_json_kind(val));
    return NULL;
}

static void check_value(vctx_t *v, const field_t *f, const json_t *val, const char *ptr)
{
    const char *s;
    switch (f->type) {
    case T_STRING:
        want_string(v, val, ptr, f->name, "a string");
        break;
    case T_DATE:
        if ((s = want_string(v, val, ptr, f->name, "a date \"YYYY-MM-DD\"")) && !mez_pack_date_ok(s))
            err(v, "pack.invalid_date", ptr, "%s '%s' is not a date YYYY-MM-DD", f->name, s);
        break;
    case T_DECIMAL:
        if (json_is_integer(val)) {
            err(v, "pack.invalid_decimal", ptr, "%s must be a decimal string; write it quoted: \"%" APR_INT64_T_FMT
                "\"", f->name, (apr_int64_t)json_integer_value(val));
        }
        else if ((s = want_string(v, val, ptr, f->name, "a decimal string")) && !is_decimal(s)) {
            err(v, "pack.invalid_decimal", ptr, "%s '%s' is not a decimal (digits, optionally '.' and digits; "
                "percent for rates, major units for amounts)", f->name, s);
        }
        break;
    case T_PERCENT:
        if (json_is_integer(val)) {
            err(v, "pack.invalid_decimal", ptr, "%s must be a decimal string (percent); write it quoted: \"%"
                APR_INT64_T_FMT "\"", f->name, (apr_int64_t)json_integer_value(val));
        }
        else if ((s = want_string(v, val, ptr, f->name, "a decimal string (percent)"))) {
            if (!is_decimal(s))
                err(v, "pack.invalid_decimal", ptr, "%s '%s' is not a decimal (digits, optionally '.' and digits; "
                    "rates are percent: \"4.5\" is 4.5 %%)", f->name, s);
            else if (!is_percent(s))
                err(v, "pack.invalid_value", ptr, "%s '%s' is not a percentage from 0 to 100 (rates are percent: "
                    "\"4.5\" is 4.5 %%)", f->name, s);
            /* The treasury keeps a rate as a fraction to a millionth (mass_payment.c): a finer percentage would
             * make every payment under the row a refusal, so it is one here, where the author can fix it. */
            else if (strchr(s, '.') && strlen(strchr(s, '.') + 1) > 4)
                err(v, "pack.invalid_value", ptr, "%s '%s' has more than 4 decimals: rates are kept to 0.0001 %%",
                    f->name, s);
        }
        break;
    case T_BOOL:
        if (!json_is_boolean(val))
            err(v, "pack.invalid_type", ptr, "%s must be true or false, not %s", f->name, mez_json_kind(val));
        break;
    case T_TRUE:
        if (!json_is_true(val))
            err(v, json_is_false(val) ? "pack.invalid_value" : "pack.invalid_type", ptr,
                "%s is either true or left out, not %s", f->name, json_is_false(val) ? "false" : mez_json_kind(val));
        break;
    case T_UINT:
    case T_POSINT:
    case T_DAY_OF_MONTH: {
        /* RFC 8785 writes a number as its nearest double, so above 2^53 - 1 two integers can share one
         * canonical form, hence one pack digest: the largest exactly representable integer is the cap. */
        json_int_t lo = f->type == T_UINT ? 0 : 1, hi = f->type == T_DAY_OF_MONTH ? 31 : MEZ_JSON_MAX_EXACT_INT;
        if (!json_is_integer(val))
            err(v, "pack.invalid_type", ptr, "%s must be an integer, not %s", f->name, mez_json_kind(val));
        else if (json_integer_value(val) > MEZ_JSON_MAX_EXACT_INT)
            err(v, "pack.invalid_value", ptr, "%s must be at most %" APR_INT64_T_FMT " (2^53 - 1): a larger "
                "integer has no exact canonical JSON form, so the pack digest would not pin it", f->name,
                (apr_int64_t)MEZ_JSON_MAX_EXACT_INT);
        else if (json_integer_value(val) < lo || json_integer_value(val) > hi)
            err(v, "pack.invalid_value", ptr, "%s must be between %" APR_INT64_T_FMT " and %" APR_INT64_T_FMT,
                f->name, (apr_int64_t)lo, (apr_int64_t)hi);
        break;
    }
    case T_ROW_ID:
        if ((s = want_string(v, val, ptr, f->name, "an id")) && !is_row_id(s))
            err(v, "pack.invalid_id", ptr, "%s '%s' must be lower-case letters, digits, '-', '_' or '.'", f->name, s);
        break;
    case T_PACK_ID:
        if ((s = want_string(v, val, ptr, f->name, "an id")) && !is_pack_id(s))
            err(v, "pack.invalid_id", ptr, "%s '%s' must be lower-case letters, digits and '-'", f->name, s);
        break;
    case T_LICENCE_ID:
        if ((s = want_string(v, val, ptr, f->name, "an id")) && !is_licence_id(s))
            err(v, "pack.invalid_id", ptr, "%s '%s' must be <regulator>:<slug>, e.g. pk-secp:private-limited-company",
                f->name, s);
        break;
    case T_SLUG:
        if ((s = want_string(v, val, ptr, f->name, "a name")) && !mez_pack_slug_ok(s))
            err(v, "pack.invalid_value", ptr, "%s '%s' must be lower_case_with_underscores", f->name, s);
        break;
    case T_JURISDICTION:
        if ((s = want_string(v, val, ptr, f->name, "a jurisdiction id")) && !is_jurisdiction(s))
            err(v, "pack.invalid_value", ptr, "%s '%s' is not a jurisdiction id (country first, lower case, "
                "'-' separated: pk, pk-sifc, ae-adgm)", f->name, s);
        break;
    case T_DOMAIN:
        if ((s = want_string(v, val, ptr, f->name, "a compliance domain")) && !mez_pack_domain_known(s))
            err(v, "pack.unknown_domain", ptr, "'%s' is not a compliance domain (aml, kyc, sanctions, tax, "
                "securities, corporate, custody, data_privacy, licensing, banking, payments, clearing, settlement, "
                "digital_assets, employment, immigration, ip, consumer_protection, arbitration, trade)", s);
        break;
    case T_URL:
        if ((s = want_string(v, val, ptr, f->name, "a URL")) && !is_url(s))
            err(v, "pack.invalid_value", ptr, "%s '%s' is not an http(s) URL", f->name, s);
        break;
    case T_PATH:
        /* strlen would stop at a \u0000: the file read would not be the path the manifest names. */
        if ((s = want_string(v, val, ptr, f->name, "a relative path"))
            && (strlen(s) != json_string_length(val) || !mez_pack_path_ok(s)))
            err(v, "pack.invalid_path", ptr, "%s '%s' must be relative to the pack, without '..'", f->name, s);
        break;
    case T_CURRENCY:
        if ((s = want_string(v, val, ptr, f->name, "an ISO 4217 code"))
            && (strlen(s) != 3 || !matches(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 3)))
            err(v, "pack.invalid_currency", ptr, "%s '%s' is not an ISO 4217 code (three capitals, e.g. PKR)",
                f->name, s);
        break;
    case T_SOURCE:
        if ((s = want_string(v, val, ptr, f->name, "a source id")) && !apr_hash_get(v->sources, s, APR_HASH_KEY_STRING))
            err(v, "pack.unknown_source", ptr, "source '%s' is not an id in this pack's sources", s);
        break;
    case T_ENUM:
        if ((s = want_string(v, val, ptr, f->name, "a string"))) {
            const char *const *c = f->arg;
            const char *list = "";
            for (; *c; c++) {
                if (!strcmp(*c, s))
                    return;
                list = apr_pstrcat(v->p, list, *list ? ", " : "", *c, NULL);
            }
            err(v, "pack.invalid_value", ptr, "%s '%s' must be one of: %s", f->name, s, list);
        }
        break;
    case T_STRLIST: {
        size_t i;
        const json_t *item;
        if (!json_is_array(val)) {
            err(v, "pack.invalid_type", ptr, "%s must be a list of strings, not %s", f->name, mez_json_kind(val));
            break;
        }
        if ((f->flags & F_NONEMPTY) && json_array_size(val) == 0)
            err(v, "pack.missing_field", ptr, "%s must not be empty", f->name);
        json_array_foreach(val, i, item)
            want_string(v, item, mez_pointer_index(v->p, ptr, i), f->name, "a list of strings");
        break;
    }
    case T_LIST: {
        field_t item = *(const field_t *)f->arg;   /* items are named by their list in messages */
        apr_hash_t *seen = apr_hash_make(v->p);
        size_t i;
        const json_t *it;
        if (!json_is_array(val)) {
            err(v, "pack.invalid_type", ptr, "%s must be a list, not %s", f->name, mez_json_kind(val));
            break;
        }
        if ((f->flags & F_NONEMPTY) && json_array_size(val) == 0)
            err(v, "pack.missing_field", ptr, "%s must not be empty (leave it out instead)", f->name);
        json_array_foreach(val, i, it) {
            const char *ip = mez_pointer_index(v->p, ptr, i);
            item.name = f->name;
            check_value(v, &item, it, ip);
            if (json_is_string(it)) {
                const char *other = apr_hash_get(seen, json_string_value(it), APR_HASH_KEY_STRING);
                if (other)
                    err(v, "pack.invalid_value", ip, "%s lists '%s' twice (also at %s)", f->name,
                        json_string_value(it), other);
                else
                    apr_hash_set(seen, json_string_value(it), APR_HASH_KEY_STRING, ip);
            }
        }
        break;
    }
    case T_OBJECT:
        check_object(v, val, ptr, f->arg);
        break;
    case T_ROWS: {
        const table_t *t = f->arg;
        apr_hash_t *local = apr_hash_make(v->p);
        size_t i;
        const json_t *row;
        if (!json_is_array(val)) {
            err(v, "pack.invalid_type", ptr, "%s must be a list of %ss, not %s", f->name, t->what, mez_json_kind(val));
            break;
        }
        if ((f->flags & F_NONEMPTY) && json_array_size(val) == 0)
            err(v, "pack.missing_field", ptr, "%s must hold at least one %s", f->name, t->what);
        json_array_foreach(val, i, row) {
            const char *rp = mez_pointer_index(v->p, ptr, i);
            const json_t *id = json_object_get(row, "id");
            check_object(v, row, rp, t);
            if (t->ids != IDS_NONE && json_is_string(id)) {
                apr_hash_t *scope = t->ids == IDS_PACK ? v->ids : local;
                const char *other = apr_hash_get(scope, json_string_value(id), APR_HASH_KEY_STRING);
                const char *idp = mez_pointer_join(v->p, rp, "id");
                if (other)
                    err(v, "pack.duplicate_id", idp, "id '%s' is already used at %s (line %d)", json_string_value(id),
                        other, line_of(v, other));
                else
                    apr_hash_set(scope, json_string_value(id), APR_HASH_KEY_STRING, rp);
            }
        }
        break;
    }
    }
}

/* Edit distance, to suggest the key an author probably meant ("ratess" -> "rates"). */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), prev[65], cur[65];
    if (la > 64 || lb > 64)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]), del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, sizeof(size_t) * (lb + 1));
    }
    return prev[lb];
}

/* "a threshold", "an obligation". */
static const char *a_an(apr_pool_t *p, const char *what)
{
    return apr_pstrcat(p, strchr("aeiou", what[0]) ? "an " : "a ", what, NULL);
}

static void check_object(vctx_t *v, const json_t *obj, const char *ptr, const table_t *t)
{
    const char *key;
    const json_t *val;
    if (!json_is_object(obj)) {
        err(v, "pack.invalid_type", ptr, "%s must be a mapping, not %s", a_an(v->p, t->what), mez_json_kind(obj));
        return;
    }
    json_object_foreach((json_t *)obj, key, val) {
        const field_t *f, *best = NULL;
        size_t bestd = 3;
        for (f = t->fields; f->name; f++) {
            size_t d;
            if (!strcmp(f->name, key))
                break;
            if ((d = distance(key, f->name)) < bestd) {
                bestd = d;
                best = f;
            }
        }
        if (!f->name)
            err(v, "pack.unknown_key", mez_pointer_join(v->p, ptr, key), "unknown key '%s' in %s%s%s%s", key,
                a_an(v->p, t->what), best ? " (did you mean '" : "", best ? best->name : "", best ? "'?)" : "");
    }
    for (const field_t *f = t->fields; f->name; f++) {
        const char *fp = mez_pointer_join(v->p, ptr, f->name);
        val = json_object_get(obj, f->name);
        if (val)
            check_value(v, f, val, fp);
        else if (f->flags & F_REQ)
            err(v, strcmp(f->name, "source") ? "pack.missing_field" : "pack.missing_source", fp,
                "%s needs '%s'%s", a_an(v->p, t->what), f->name,
                strcmp(f->name, "source") ? "" : ": every row names its legal source (an id from sources)");
    }
    if (t->after)
        t->after(v, obj, ptr);
}

/* ------------------------------------------------------------------ checks across fields */

static const char *str_member(const json_t *obj, const char *name)
{
    const json_t *s = json_object_get(obj, name);
    return json_is_string(s) ? json_string_value(s) : NULL;
}

static void after_dated(vctx_t *v, const json_t *row, const char *ptr)
{
    const char *from = str_member(row, "valid_from"), *to = str_member(row, "valid_to");
    if (from && to && mez_pack_date_ok(from) && mez_pack_date_ok(to) && strcmp(from, to) > 0)
        err(v, "pack.invalid_period", mez_pointer_join(v->p, ptr, "valid_to"),
            "valid_to %s is before valid_from %s", to, from);
}

static void after_source(vctx_t *v, const json_t *row, const char *ptr)
{
    const char *id = str_member(row, "id");
    if (id)
        apr_hash_set(v->sources, id, APR_HASH_KEY_STRING, ptr);
}

static void after_regulator(vctx_t *v, const json_t *row, const char *ptr)
{
    const char *id = str_member(row, "id");
    if (id)
        apr_hash_set(v->regulators, id, APR_HASH_KEY_STRING, ptr);
}

static void after_amount(vctx_t *v, const json_t *obj, const char *ptr)
{
    int major = json_object_get(obj, "amount") != NULL, minor = json_object_get(obj, "amount_minor") != NULL;
    if (major == minor)
        err(v, major ? "pack.invalid_value" : "pack.missing_field", ptr,
            "an amount has exactly one of 'amount' (decimal string, major units) or 'amount_minor' (integer)");
}

static void after_rates(vctx_t *v, const json_t *obj, const char *ptr)
{
    if (!json_object_get(obj, "filer") && !json_object_get(obj, "non_filer"))
        err(v, "pack.missing_field", ptr, "rates needs 'filer', 'non_filer' or both");
}

/* The forms of a deadline, as the evaluator reads them (mez_deadline_from_json): one key says which, and it comes
 * with `from` (the event the time runs from) or, for the monthly form, `of` (which month). */
static void after_deadline(vctx_t *v, const json_t *obj, const char *ptr)
{
    mez_deadline_t dl;
    if (mez_deadline_from_json(obj, &dl) != 0)
        err(v, "pack.invalid_value", ptr, "a deadline is exactly one of {days, from}, {business_days, from}, "
            "{without_delay: true, from}, {as_soon_as_practicable: true, from} or {day_of_month, of}");
}

static const char *limit_applies(const json_t *limit)
{
    return str_member(limit, "applies");
}

/* base_amount on a band row: the fixed tax on the part of the amount up to the band's lower limit, so the row
 * computes base_amount + rate % of the amount exceeding threshold.amount. It needs that lower limit, in the same
 * currency, and one rate (a base amount computed for filers is not the non-filers' one). */
static void check_base_amount(vctx_t *v, const json_t *row, const char *ptr, const char *rate1, const char *rate2)
{
    const json_t *base = json_object_get(row, "base_amount"), *thr = json_object_get(row, "threshold");
    const char *applies, *bc, *tc;
    if (!json_is_object(base))
        return;
    if (!thr) {
        err(v, "pack.missing_field", mez_pointer_join(v->p, ptr, "threshold"),
            "a row with base_amount needs threshold: the band's lower limit (applies: above or at_or_above)");
        return;
    }
    if (!json_is_object(thr))
        return;
    applies = limit_applies(thr);
    if (applies && strcmp(applies, "above") && strcmp(applies, "at_or_above"))
        err(v, "pack.invalid_value", mez_pointer_join(v->p, mez_pointer_join(v->p, ptr, "threshold"), "applies"),
            "a row with base_amount is a band above its threshold: applies must be above or at_or_above, not %s",
            applies);
    bc = str_member(base, "currency");
    tc = str_member(thr, "currency");
    if (bc && tc && strcmp(bc, tc))
        err(v, "pack.invalid_value", mez_pointer_join(v->p, mez_pointer_join(v->p, ptr, "base_amount"), "currency"),
            "base_amount is in %s but the threshold is in %s", bc, tc);
    if (rate1 && rate2 && is_decimal(rate1) && is_decimal(rate2) && !decimal_equal(rate1, rate2))
        err(v, "pack.invalid_value", mez_pointer_join(v->p, ptr, "base_amount"),
            "base_amount is the fixed part for one rate, but filer (%s) and non_filer (%s) differ: give each status "
            "its own row (rates: {filer: ...} and rates: {non_filer: ...}) with its own base_amount", rate1, rate2);
}

static void after_withholding_rate(vctx_t *v, const json_t *row, const char *ptr)
{
    const json_t *rates = json_object_get(row, "rates"), *thr = json_object_get(row, "threshold");
    const char *aggregate = str_member(thr, "aggregate"), *applies = str_member(thr, "applies");
    const char *ap = mez_pointer_join(v->p, mez_pointer_join(v->p, ptr, "threshold"), "aggregate");
    after_dated(v, row, ptr);
    check_base_amount(v, row, ptr, str_member(rates, "filer"), str_member(rates, "non_filer"));
    if (!aggregate)
        return;
    /* "Except where the payment is less than Rs 30,000 in aggregate": the aggregate excepts payments below a
     * lower limit; an upper limit on a sum that only grows through the year would stop applying mid-year. */
    if (applies && strcmp(applies, "above") && strcmp(applies, "at_or_above"))
        err(v, "pack.invalid_value", ap, "an aggregate limit is one the year's payments reach from below: applies "
            "must be above or at_or_above, not %s", applies);
    /* A band's limits are already on a figure for the whole year (basis), and its base_amount taxes the part below
     * the limit, which an aggregate of earlier payments is not part of. */
    if (json_object_get(row, "base_amount"))
        err(v, "pack.invalid_value", ap, "a band of a progressive table (base_amount) is not judged on an aggregate of "
            "payments: its limits are on the figure its basis names");
}

/* The rows that name one aggregate add up one figure: the payments to a payee under one provision of the law (the
 * goods of s. 153(1)(a), rice and toll manufacturing among them), in one currency. So they share their section and
 * their threshold's currency, and a payment type adds to one aggregate (else which figure a payment grows would be
 * the payee class's or the date's to say). A band of a progressive table (a row of its section, payment type and
 * payee class has base_amount) is not judged on an aggregate either. */
static void check_aggregates(vctx_t *v, const json_t *root)
{
    const json_t *rows = json_object_get(root, "withholding_rates"), *row;
    apr_hash_t *first = apr_hash_make(v->p), *of_type = apr_hash_make(v->p), *banded = apr_hash_make(v->p);
    size_t i;
    json_array_foreach(rows, i, row) {
        const char *sec = str_member(row, "section"), *pt = str_member(row, "payment_type");
        const char *cls = str_member(row, "payee_class");
        if (sec && pt && cls && json_object_get(row, "base_amount"))
            apr_hash_set(banded, apr_pstrcat(v->p, sec, "\x1f", pt, "\x1f", cls, NULL), APR_HASH_KEY_STRING, "");
    }
    json_array_foreach(rows, i, row) {
        const json_t *thr = json_object_get(row, "threshold"), *other;
        const char *name = str_member(thr, "aggregate"), *sec = str_member(row, "section");
        const char *pt = str_member(row, "payment_type"), *cls = str_member(row, "payee_class");
        const char *cur = str_member(thr, "currency"), *seen;
        const char *ap = mez_pointer_join(v->p, mez_pointer_join(v->p, mez_pointer_index(v->p, "/withholding_rates", i),
                                                                  "threshold"), "aggregate");
        size_t j;
        if (!name || !sec || !pt)
            continue;
        if (cls && !json_object_get(row, "base_amount")
            && apr_hash_get(banded, apr_pstrcat(v->p, sec, "\x1f", pt, "\x1f", cls, NULL), APR_HASH_KEY_STRING))
            err(v, "pack.invalid_value", ap, "this row is a band of the progressive table of s. %s (%s, %s): a band is "
                "not judged on an aggregate of payments", sec, pt, cls);
        if ((seen = apr_hash_get(of_type, pt, APR_HASH_KEY_STRING)) && strcmp(seen, name))
            err(v, "pack.invalid_value", ap, "payment type %s already adds to the aggregate %s: a payment adds to one "
                "aggregate, not to %s as well", pt, seen, name);
        else if (!seen)
            apr_hash_set(of_type, pt, APR_HASH_KEY_STRING, name);
        if (!(other = apr_hash_get(first, name, APR_HASH_KEY_STRING))) {
            apr_hash_set(first, name, APR_HASH_KEY_STRING, row);
            continue;
        }
        for (j = 0; json_array_get(rows, j) != other; j++)
            ;
        if (strcmp(sec, str_member(other, "section") ? str_member(other, "section") : ""))
            err(v, "pack.invalid_value", ap, "the aggregate %s adds up payments under s. %s (/withholding_rates/%"
                APR_SIZE_T_FMT "); this row is of s. %s: one aggregate is the payments under one provision", name,
                str_member(other, "section"), j, sec);
        else if (cur && str_member(json_object_get(other, "threshold"), "currency")
                 && strcmp(cur, str_member(json_object_get(other, "threshold"), "currency")))
            err(v, "pack.invalid_value", ap, "the aggregate %s is in %s (/withholding_rates/%" APR_SIZE_T_FMT
                "); this row's threshold is in %s", name, str_member(json_object_get(other, "threshold"), "currency"),
                j, cur);
    }
}

static void after_tax_rate(vctx_t *v, const json_t *row, const char *ptr)
{
    int rate = json_object_get(row, "rate") != NULL, exempt = json_object_get(row, "exempt") != NULL;
    after_dated(v, row, ptr);
    if (rate == exempt)
        err(v, rate ? "pack.invalid_value" : "pack.missing_field", mez_pointer_join(v->p, ptr, "rate"),
            "a tax rate has exactly one of 'rate' (percent, decimal string) or 'exempt: true' (the law exempts "
            "it: not the same as a 0 %% rate)");
    if (rate && !exempt && !json_object_get(row, "basis"))
        err(v, "pack.missing_field", mez_pointer_join(v->p, ptr, "basis"),
            "a tax rate with 'rate' needs 'basis': what the rate is applied to");
    if (exempt && !rate && json_object_get(row, "basis"))
        err(v, "pack.invalid_value", mez_pointer_join(v->p, ptr, "basis"),
            "an exemption has no rate, so no basis: leave basis out");
    if (exempt && !rate && json_object_get(row, "base_amount"))
        err(v, "pack.invalid_value", mez_pointer_join(v->p, ptr, "base_amount"),
            "an exemption computes no tax, so no base_amount: leave it out");
    else
        check_base_amount(v, row, ptr, NULL, NULL);
}

static void after_threshold(vctx_t *v, const json_t *row, const char *ptr)
{
    int percent = json_object_get(row, "percent") != NULL, combine = json_object_get(row, "combine") != NULL;
    after_dated(v, row, ptr);
    if (percent && !combine)
        err(v, "pack.missing_field", mez_pointer_join(v->p, ptr, "combine"),
            "a threshold with both amount and percent needs combine: lower_of or higher_of");
    else if (combine && !percent)
        err(v, "pack.missing_field", mez_pointer_join(v->p, ptr, "percent"),
            "combine says how amount and percent make one limit; this threshold has no percent");
    /* A percentage of an entity's figure (5 % of total revenue) limits another of its figures, never a payment:
     * without measure the evaluator would test the limit against the action's amount. */
    if (percent && !json_object_get(row, "measure"))
        err(v, "pack.missing_field", mez_pointer_join(v->p, ptr, "measure"),
            "a limit with a percent of a figure is measured on a figure of the entity: name it in measure "
            "(non_qualifying_revenue, revenue)");
}

static void after_requirement(vctx_t *v, const json_t *row, const char *ptr)
{
    after_dated(v, row, ptr);
    if (json_object_get(row, "count") && json_object_get(row, "amount"))
        err(v, "pack.invalid_value", mez_pointer_join(v->p, ptr, "amount"),
            "a requirement sets one figure: 'count' or 'amount', not both (write two requirements)");
}

/* The decimal `amount` of a money object in the given currency, or 0 (with an error at ptr) when it has none. */
static int scale_money(vctx_t *v, const json_t *m, const char *ptr, const char *currency, mez_tensor_decimal_t *out)
{
    const char *amount = str_member(m, "amount"), *cur = str_member(m, "currency");
    if (!json_is_object(m))
        return 0;   /* the field check has said what is wrong */
    if (!amount || mez_tensor_decimal_parse(amount, out) != 0) {
        err(v, "pack.invalid_value", ptr, "a scaled fee is computed: its sums are decimal 'amount's, not 'amount_minor'");
        return 0;
    }
    if (currency && cur && strcmp(cur, currency)) {
        err(v, "pack.invalid_value", mez_pointer_join(v->p, ptr, "currency"),
            "every sum of a scaled fee is in the fee's currency (%s), not %s", currency, cur);
        return 0;
    }
    return 1;
}

/* A fee that grows with the applicant's capital: the base amount covers `included`, every further `per` (a part
 * counting as a whole) costs its band's amount, bands ascend by `up_to` and the last is open, and `max` caps the
 * whole fee. Each sum is a decimal in the fee's own currency, so the evaluator can compute it exactly. */
static void after_fee(vctx_t *v, const json_t *row, const char *ptr)
{
    const json_t *scale = json_object_get(row, "scale"), *bands, *band;
    const char *sp = mez_pointer_join(v->p, ptr, "scale"), *currency = str_member(json_object_get(row, "amount"),
                                                                                 "currency");
    mez_tensor_decimal_t base, included, per, max, last, d;
    size_t i, n;
    after_dated(v, row, ptr);
    if (!json_is_object(scale))
        return;
    if (!scale_money(v, json_object_get(row, "amount"), mez_pointer_join(v->p, ptr, "amount"), NULL, &base)
        || !scale_money(v, json_object_get(scale, "included"), mez_pointer_join(v->p, sp, "included"), currency,
                        &included)
        || !scale_money(v, json_object_get(scale, "per"), mez_pointer_join(v->p, sp, "per"), currency, &per))
        return;
    if (per.coef == 0)
        err(v, "pack.invalid_value", mez_pointer_join(v->p, sp, "per/amount"), "per is a sum above zero");
    last = included;
    bands = json_object_get(scale, "bands");
    n = json_is_array(bands) ? json_array_size(bands) : 0;
    json_array_foreach(bands, i, band) {
        const char *bp = mez_pointer_index(v->p, mez_pointer_join(v->p, sp, "bands"), i);
        const json_t *up_to = json_object_get(band, "up_to");
        if (!scale_money(v, json_object_get(band, "amount"), mez_pointer_join(v->p, bp, "amount"), currency, &d))
            continue;
        if (!up_to) {
            if (i + 1 != n)
                err(v, "pack.missing_field", mez_pointer_join(v->p, bp, "up_to"),
                    "only the last band is open (no up_to): the bands ascend by up_to");
            continue;
        }
        if (!scale_money(v, up_to, mez_pointer_join(v->p, bp, "up_to"), currency, &d))
            continue;
        if (i + 1 == n)
            err(v, "pack.invalid_value", mez_pointer_join(v->p, bp, "up_to"),
                "the last band is open (no up_to): it prices every unit beyond the bands before it");
        else if (mez_tensor_decimal_cmp(&d, &last) <= 0)
            err(v, "pack.invalid_value", mez_pointer_join(v->p, bp, "up_to/amount"),
                "the bands ascend: up_to %s is not above %s", str_member(up_to, "amount"),
                i ? "the band before it" : "the capital the base amount covers (included)");
        last = d;
    }
    if (json_object_get(scale, "max")
        && scale_money(v, json_object_get(scale, "max"), mez_pointer_join(v->p, sp, "max"), currency, &max)
        && mez_tensor_decimal_cmp(&max, &base) < 0)
        err(v, "pack.invalid_value", mez_pointer_join(v->p, sp, "max/amount"),
            "max (the cap on the whole fee) is below the fee's base amount");
}

static void after_licence_type(vctx_t *v, const json_t *row, const char *ptr)
{
    const char *id = str_member(row, "id"), *reg = str_member(row, "regulator");
    after_dated(v, row, ptr);
    if (!reg)
        return;
    if (!apr_hash_get(v->regulators, reg, APR_HASH_KEY_STRING))
        err(v, "pack.unknown_regulator", mez_pointer_join(v->p, ptr, "regulator"),
            "regulator '%s' is not an id in this pack's regulators", reg);
    if (id && strchr(id, ':') && (strncmp(id, reg, strlen(reg)) || id[strlen(reg)] != ':'))
        err(v, "pack.invalid_id", mez_pointer_join(v->p, ptr, "id"),
            "licence type id '%s' must start with its regulator '%s:'", id, reg);
}

/* Checks between sections, once every row is known: a regulator's parent_authority is another regulator of the
 * pack and the chain of parents ends; a tax rate's conditions and a threshold's obligation_id are obligations of
 * the pack. */
static void after_pack(vctx_t *v, const json_t *root, const char *ptr)
{
    const json_t *regs = json_object_get(root, "regulators"), *rows = json_object_get(root, "tax_rates");
    const json_t *obls = json_object_get(root, "obligations"), *row, *c;
    apr_hash_t *parents = apr_hash_make(v->p), *obligations = apr_hash_make(v->p);
    size_t i, j, n = json_is_array(regs) ? json_array_size(regs) : 0;
    (void)ptr;

    check_aggregates(v, root);
    json_array_foreach(regs, i, row) {
        const char *id = str_member(row, "id"), *parent = str_member(row, "parent_authority");
        if (id && parent)
            apr_hash_set(parents, id, APR_HASH_KEY_STRING, parent);
    }
    json_array_foreach(regs, i, row) {
        const char *id = str_member(row, "id"), *parent = str_member(row, "parent_authority"), *at = parent;
        const char *pp = mez_pointer_join(v->p, mez_pointer_index(v->p, "/regulators", i), "parent_authority");
        size_t steps = 0;
        if (!id || !parent)
            continue;
        if (!apr_hash_get(v->regulators, parent, APR_HASH_KEY_STRING)) {
            err(v, "pack.unknown_regulator", pp, "parent_authority '%s' is not an id in this pack's regulators "
                "(add the parent authority as a regulator row with its source)", parent);
            continue;
        }
        if (!strcmp(parent, id)) {
            err(v, "pack.invalid_value", pp, "regulator '%s' cannot be its own parent_authority", id);
            continue;
        }
        while (at && strcmp(at, id) && steps++ <= n)
            at = apr_hash_get(parents, at, APR_HASH_KEY_STRING);
        if (at)
            err(v, "pack.invalid_value", pp, "parent_authority of '%s' leads back to '%s': the chain of parent "
                "authorities must end", id, id);
    }

    json_array_foreach(obls, i, row) {
        const char *id = str_member(row, "id");
        if (id)
            apr_hash_set(obligations, id, APR_HASH_KEY_STRING, "");
    }
    json_array_foreach(rows, i, row) {
        const json_t *conds = json_object_get(row, "conditions");
        json_array_foreach(conds, j, c) {
            if (json_is_string(c) && !apr_hash_get(obligations, json_string_value(c), APR_HASH_KEY_STRING))
                err(v, "pack.unknown_obligation",
                    mez_pointer_index(v->p, mez_pointer_join(v->p, mez_pointer_index(v->p, "/tax_rates", i),
                                                             "conditions"), j),
                    "condition '%s' is not an id in this pack's obligations", json_string_value(c));
        }
    }
    json_array_foreach(json_object_get(root, "thresholds"), i, row) {
        const char *id = str_member(row, "obligation_id");
        if (id && !apr_hash_get(obligations, id, APR_HASH_KEY_STRING))
            err(v, "pack.unknown_obligation",
                mez_pointer_join(v->p, mez_pointer_index(v->p, "/thresholds", i), "obligation_id"),
                "obligation_id '%s' is not an id in this pack's obligations", id);
    }
}

static void after_lawpack(vctx_t *v, const json_t *obj, const char *ptr)
{
    apr_hash_t *seen = apr_hash_make(v->p);
    const json_t *docs = json_object_get(obj, "documents"), *d;
    size_t i;
    json_array_foreach(docs, i, d) {
        const char *path = str_member(d, "path");
        const char *dp = mez_pointer_join(v->p, mez_pointer_index(v->p, "/documents", i), "path");
        if (!path)
            continue;
        if (!strcmp(path, MEZ_PACK_LAW_MANIFEST))
            err(v, "pack.invalid_path", dp, "a document cannot be the manifest itself");
        else if (apr_hash_get(seen, path, APR_HASH_KEY_STRING))
            err(v, "pack.duplicate_path", dp, "the document %s is listed twice", path);
        apr_hash_set(seen, path, APR_HASH_KEY_STRING, dp);
    }
}

/* ------------------------------------------------------------------ the formats */

static const char *const source_kinds[] = { "statute", "finance_act", "sro", "circular", "rate_card", "gazette",
                                            "list", "secondary", NULL };
static const char *const payee_classes[] = { "company", "individual", "aop", "any", NULL };
/* Which side of a limit a rule applies on; the law says whether the limit itself is included, so no default. */
static const char *const applies_values[] = { "above", "at_or_above", "below", "at_or_below", NULL };
static const char *const taxes[] = { "cit", "vat", NULL };
static const char *const transaction_types[] = { "occasional_transaction", "wire_transfer", "cash", "cash_carriage",
                                                 "any", NULL };
static const char *const directions[] = { "outbound", "inbound", "either", NULL };
static const char *const combines[] = { "lower_of", "higher_of", NULL };
static const char *const fee_types[] = { "application", "registration", "annual_supervision", "renewal", NULL };
static const char *const filings[] = { "online", "paper", NULL };
/* What a scaled fee grows with: the capital the applicant states (the subject's `capital`). */
static const char *const scale_bases[] = { "capital", NULL };

/* Items of T_LIST fields. */
static const field_t slug_item = { "item", 0, T_SLUG, NULL };
static const field_t id_item = { "item", 0, T_ROW_ID, NULL };

static const field_t source_fields[] = {
    { "id", F_REQ, T_ROW_ID, NULL },
    { "title", F_REQ, T_STRING, NULL },
    { "publisher", 0, T_STRING, NULL },
    { "url", 0, T_URL, NULL },
    { "date", 0, T_DATE, NULL },
    { "kind", F_REQ, T_ENUM, source_kinds },
    { NULL, 0, 0, NULL }
};
static const table_t source_table = { "source", source_fields, IDS_LOCAL, after_source };

/* A sum of money: a fee, a capital requirement, a band's base amount. */
#define MONEY_FIELDS \
    { "amount", 0, T_DECIMAL, NULL }, \
    { "amount_minor", 0, T_UINT, NULL }, \
    { "currency", F_REQ, T_CURRENCY, NULL }

static const field_t money_fields[] = {
    MONEY_FIELDS,
    { NULL, 0, 0, NULL }
};
static const table_t money_table = { "amount", money_fields, IDS_NONE, after_amount };

/* A limit: a sum of money and the side of it the rule applies on. */
static const field_t limit_fields[] = {
    MONEY_FIELDS,
    { "applies", F_REQ, T_ENUM, applies_values },
    { NULL, 0, 0, NULL }
};
static const table_t limit_table = { "amount", limit_fields, IDS_NONE, after_amount };

/* A withholding rate's limit may be on the aggregate paid to the payee in the tax year (aggregate: the name of that
 * figure, which the rows of one provision share) rather than on the payment alone. */
static const field_t wht_limit_fields[] = {
    MONEY_FIELDS,
    { "applies", F_REQ, T_ENUM, applies_values },
    { "aggregate", 0, T_SLUG, NULL },
    { NULL, 0, 0, NULL }
};
static const table_t wht_limit_table = { "threshold", wht_limit_fields, IDS_NONE, after_amount };

/* A tax rate's limit also says what it is measured on (taxable_income, revenue, ...). */
static const field_t tax_limit_fields[] = {
    MONEY_FIELDS,
    { "applies", F_REQ, T_ENUM, applies_values },
    { "measure", F_REQ, T_SLUG, NULL },
    { NULL, 0, 0, NULL }
};
static const table_t tax_limit_table = { "threshold", tax_limit_fields, IDS_NONE, after_amount };

static const field_t percent_fields[] = {
    { "rate", F_REQ, T_PERCENT, NULL },
    { "of", F_REQ, T_SLUG, NULL },
    { NULL, 0, 0, NULL }
};
static const table_t percent_table = { "percent", percent_fields, IDS_NONE, NULL };

static const field_t law_fields[] = {
    { "lawpack", F_REQ, T_PACK_ID, NULL },
    { "eid", F_REQ, T_STRING, NULL },
    { NULL, 0, 0, NULL }
};
static const table_t law_table = { "law reference", law_fields, IDS_NONE, NULL };

static const field_t rates_fields[] = {
    { "filer", 0, T_PERCENT, NULL },
    { "non_filer", 0, T_PERCENT, NULL },
    { NULL, 0, 0, NULL }
};
static const table_t rates_table = { "rates mapping", rates_fields, IDS_NONE, after_rates };

static const field_t deadline_fields[] = {
    { "days", 0, T_POSINT, NULL },
    { "business_days", 0, T_POSINT, NULL },
    { "without_delay", 0, T_TRUE, NULL },
    { "as_soon_as_practicable", 0, T_TRUE, NULL },
    { "from", 0, T_SLUG, NULL },
    { "day_of_month", 0, T_DAY_OF_MONTH, NULL },
    { "of", 0, T_SLUG, NULL },
    { NULL, 0, 0, NULL }
};
static const table_t deadline_table = { "deadline", deadline_fields, IDS_NONE, after_deadline };

static const field_t retention_fields[] = {
    { "years", F_REQ, T_POSINT, NULL },
    { "from", F_REQ, T_SLUG, NULL },
    { NULL, 0, 0, NULL }
};
static const table_t retention_table = { "retention", retention_fields, IDS_NONE, NULL };

/* Every row that states a rule carries these, so they are spelled once. */
#define ROW_TAIL \
    { "law", 0, T_OBJECT, &law_table }, \
    { "valid_from", F_REQ, T_DATE, NULL }, \
    { "valid_to", 0, T_DATE, NULL }, \
    { "source", F_REQ, T_SOURCE, NULL }, \
    { "source_detail", 0, T_STRING, NULL }, \
    { "conflicts", 0, T_STRING, NULL }, \
    { NULL, 0, 0, NULL }

static const field_t rate_fields[] = {
    { "id", F_REQ, T_ROW_ID, NULL },
    { "section", F_REQ, T_STRING, NULL },
    { "payment_type", F_REQ, T_SLUG, NULL },
    { "payee_class", F_REQ, T_ENUM, payee_classes },
    { "rates", F_REQ, T_OBJECT, &rates_table },
    { "threshold", 0, T_OBJECT, &wht_limit_table },
    { "base_amount", 0, T_OBJECT, &money_table },
    { "basis", 0, T_SLUG, NULL },
    { "final_tax", 0, T_BOOL, NULL },
    { "description", 0, T_STRING, NULL },
    ROW_TAIL
};
static const table_t rate_table = { "withholding rate", rate_fields, IDS_PACK, after_withholding_rate };

static const field_t tax_rate_fields[] = {
    { "id", F_REQ, T_ROW_ID, NULL },
    { "tax", F_REQ, T_ENUM, taxes },
    { "article", F_REQ, T_STRING, NULL },
    { "taxpayer_class", F_REQ, T_SLUG, NULL },
    { "income_class", F_REQ, T_SLUG, NULL },
    { "rate", 0, T_PERCENT, NULL },
    { "exempt", 0, T_TRUE, NULL },
    { "threshold", 0, T_OBJECT, &tax_limit_table },
    { "base_amount", 0, T_OBJECT, &money_table },
    { "basis", 0, T_SLUG, NULL },
    { "excludes", F_NONEMPTY, T_LIST, &slug_item },
    { "conditions", F_NONEMPTY, T_LIST, &id_item },
    { "description", 0, T_STRING, NULL },
    ROW_TAIL
};
static const table_t tax_rate_table = { "tax rate", tax_rate_fields, IDS_PACK, after_tax_rate };

static const field_t threshold_fields[] = {
    { "id", F_REQ, T_ROW_ID, NULL },
    { "obligation", F_REQ, T_SLUG, NULL },
    { "obligation_id", 0, T_ROW_ID, NULL },
    { "amount", F_REQ, T_OBJECT, &limit_table },
    { "measure", 0, T_SLUG, NULL },
    { "percent", 0, T_OBJECT, &percent_table },
    { "combine", 0, T_ENUM, combines },
    { "transaction_type", 0, T_ENUM, transaction_types },
    { "applies_to", F_NONEMPTY, T_LIST, &slug_item },
    { "counterparty", 0, T_SLUG, NULL },
    { "direction", 0, T_ENUM, directions },
    { "description", 0, T_STRING, NULL },
    ROW_TAIL
};
static const table_t threshold_table = { "threshold", threshold_fields, IDS_PACK, after_threshold };

static const field_t obligation_fields[] = {
    { "id", F_REQ, T_ROW_ID, NULL },
    { "description", F_REQ, T_STRING, NULL },
    { "deadline", 0, T_OBJECT, &deadline_table },
    { "retention", 0, T_OBJECT, &retention_table },
    { "channel", 0, T_STRING, NULL },
    { "regulator", 0, T_ROW_ID, NULL },
    ROW_TAIL
};
static const table_t obligation_table = { "obligation", obligation_fields, IDS_PACK, after_dated };

static const field_t entry_fields[] = {
    { "id", F_REQ, T_ROW_ID, NULL },
    { "name", F_REQ, T_STRING, NULL },
    { "aliases", 0, T_STRLIST, NULL },
    { "listed_on", 0, T_DATE, NULL },
    { "source", 0, T_SOURCE, NULL },
    { "source_detail", 0, T_STRING, NULL },
    { NULL, 0, 0, NULL }
};
static const table_t entry_table = { "list entry", entry_fields, IDS_PACK, NULL };

static const field_t list_fields[] = {
    { "id", F_REQ, T_ROW_ID, NULL },
    { "title", F_REQ, T_STRING, NULL },
    { "list_date", F_REQ, T_DATE, NULL },
    { "source", F_REQ, T_SOURCE, NULL },
    { "source_detail", 0, T_STRING, NULL },
    { "conflicts", 0, T_STRING, NULL },
    { "entries", F_REQ, T_ROWS, &entry_table },
    { NULL, 0, 0, NULL }
};
static const table_t list_table = { "list", list_fields, IDS_PACK, NULL };

static const field_t activity_fields[] = {
    { "id", F_REQ, T_ROW_ID, NULL },
    { "name", F_REQ, T_STRING, NULL },
    { "description", 0, T_STRING, NULL },
    ROW_TAIL
};
static const table_t activity_table = { "qualifying activity", activity_fields, IDS_PACK, after_dated };

static const field_t regulator_fields[] = {
    { "id", F_REQ, T_ROW_ID, NULL },
    { "name", F_REQ, T_STRING, NULL },
    { "jurisdiction_id", F_REQ, T_JURISDICTION, NULL },
    { "url", 0, T_URL, NULL },
    { "parent_authority", 0, T_ROW_ID, NULL },
    { "source", F_REQ, T_SOURCE, NULL },
    { "source_detail", 0, T_STRING, NULL },
    { NULL, 0, 0, NULL }
};
static const table_t regulator_table = { "regulator", regulator_fields, IDS_PACK, after_regulator };

static const field_t requirement_fields[] = {
    { "id", F_REQ, T_ROW_ID, NULL },
    { "description", F_REQ, T_STRING, NULL },
    { "count", 0, T_POSINT, NULL },
    { "amount", 0, T_OBJECT, &money_table },
    { "law", 0, T_OBJECT, &law_table },
    { "valid_from", 0, T_DATE, NULL },
    { "valid_to", 0, T_DATE, NULL },
    { "source", F_REQ, T_SOURCE, NULL },
    { "source_detail", 0, T_STRING, NULL },
    { "conflicts", 0, T_STRING, NULL },
    { NULL, 0, 0, NULL }
};
static const table_t requirement_table = { "requirement", requirement_fields, IDS_LOCAL, after_requirement };

/* A fee's growth with the applicant's capital (after_fee checks the sums). */
static const field_t fee_band_fields[] = {
    { "up_to", 0, T_OBJECT, &money_table },
    { "amount", F_REQ, T_OBJECT, &money_table },
    { NULL, 0, 0, NULL }
};
static const table_t fee_band_table = { "band", fee_band_fields, IDS_NONE, NULL };

static const field_t fee_scale_fields[] = {
    { "basis", F_REQ, T_ENUM, scale_bases },
    { "included", F_REQ, T_OBJECT, &money_table },
    { "per", F_REQ, T_OBJECT, &money_table },
    { "bands", F_REQ | F_NONEMPTY, T_ROWS, &fee_band_table },
    { "max", 0, T_OBJECT, &money_table },
    { NULL, 0, 0, NULL }
};
static const table_t fee_scale_table = { "scale", fee_scale_fields, IDS_NONE, NULL };

static const field_t fee_fields[] = {
    { "id", F_REQ, T_ROW_ID, NULL },
    { "fee_type", 0, T_ENUM, fee_types },
    { "filing", 0, T_ENUM, filings },
    { "amount", F_REQ, T_OBJECT, &money_table },
    { "scale", 0, T_OBJECT, &fee_scale_table },
    { "description", 0, T_STRING, NULL },
    { "valid_from", 0, T_DATE, NULL },
    { "valid_to", 0, T_DATE, NULL },
    { "source", F_REQ, T_SOURCE, NULL },
    { "source_detail", 0, T_STRING, NULL },
    { "conflicts", 0, T_STRING, NULL },
    { NULL, 0, 0, NULL }
};
static const table_t fee_table = { "fee", fee_fields, IDS_LOCAL, after_fee };

static const field_t renewal_fields[] = {
    { "lead_days", F_REQ, T_UINT, NULL },
    { NULL, 0, 0, NULL }
};
static const table_t renewal_table = { "renewal", renewal_fields, IDS_NONE, NULL };

static const field_t licence_type_fields[] = {
    { "id", F_REQ, T_LICENCE_ID, NULL },
    { "name", F_REQ, T_STRING, NULL },
    { "regulator", F_REQ, T_ROW_ID, NULL },
    { "category", 0, T_STRING, NULL },
    { "description", 0, T_STRING, NULL },
    { "permitted_activities", 0, T_STRLIST, NULL },
    { "requirements", 0, T_ROWS, &requirement_table },
    { "fees", 0, T_ROWS, &fee_table },
    { "validity_years", 0, T_POSINT, NULL },
    { "renewal", 0, T_OBJECT, &renewal_table },
    ROW_TAIL
};
static const table_t licence_type_table = { "licence type", licence_type_fields, IDS_PACK, after_licence_type };

static const field_t document_fields[] = {
    { "path", F_REQ, T_PATH, NULL },
    { "frbr_work", F_REQ, T_STRING, NULL },
    { NULL, 0, 0, NULL }
};
static const table_t document_table = { "document", document_fields, IDS_NONE, NULL };

/* The common header; sources come first so that rows can be checked against them. */
#define HEADER \
    { "sources", F_REQ | F_NONEMPTY, T_ROWS, &source_table }, \
    { "format", F_REQ, T_STRING, NULL }, \
    { "id", F_REQ, T_PACK_ID, NULL }, \
    { "jurisdiction_id", F_REQ, T_JURISDICTION, NULL }, \
    { "domain", F_REQ, T_DOMAIN, NULL }, \
    { "title", F_REQ, T_STRING, NULL }, \
    { "as_of_date", F_REQ, T_DATE, NULL }

static const field_t lawpack_fields[] = {
    HEADER,
    { "documents", F_REQ | F_NONEMPTY, T_ROWS, &document_table },
    { NULL, 0, 0, NULL }
};
static const table_t lawpack_table = { "lawpack", lawpack_fields, IDS_NONE, after_lawpack };

/* Regulators before the rows that name them. */
static const field_t regpack_fields[] = {
    HEADER,
    { "regulators", 0, T_ROWS, &regulator_table },
    { "withholding_rates", 0, T_ROWS, &rate_table },
    { "tax_rates", 0, T_ROWS, &tax_rate_table },
    { "thresholds", 0, T_ROWS, &threshold_table },
    { "obligations", 0, T_ROWS, &obligation_table },
    { "lists", 0, T_ROWS, &list_table },
    { "qualifying_activities", 0, T_ROWS, &activity_table },
    { NULL, 0, 0, NULL }
};
static const table_t regpack_table = { "regpack", regpack_fields, IDS_NONE, after_pack };

static const field_t licensepack_fields[] = {
    HEADER,
    { "regulators", 0, T_ROWS, &regulator_table },
    { "licence_types", 0, T_ROWS, &licence_type_table },
    { NULL, 0, 0, NULL }
};
static const table_t licensepack_table = { "licensepack", licensepack_fields, IDS_NONE, after_pack };

/* ------------------------------------------------------------------ NUL characters */

/* How the walk below reached a value; made into a pointer only for a problem. */
typedef struct path_t {
    const struct path_t *up;
    const char *key;            /* a member's key, or NULL for an item (then index) */
    size_t index;
} path_t;

static const char *path_pointer(apr_pool_t *p, const path_t *at)
{
    if (!at)
        return "";
    return at->key ? mez_pointer_join(p, path_pointer(p, at->up), at->key)
                   : mez_pointer_index(p, path_pointer(p, at->up), at->index);
}

static const char *path_field(apr_pool_t *p, const path_t *at)
{
    if (!at)
        return "the document";
    if (at->key)
        return apr_psprintf(p, "'%s'", at->key);
    return apr_psprintf(p, "item %" APR_SIZE_T_FMT " of %s", at->index, path_field(p, at->up));
}

/* A JSON string (a pack read from CAS bytes or a bundle) may hold \u0000, and every check here reads strings as C
 * strings, which stop at it: `"id": "pk-proscribed\u0000/../evil"` was checked, and built, as pk-proscribed while
 * the digest covered the whole string. The YAML loader refuses a NUL in any scalar; this walk refuses one in any
 * string of the model, however it was read. Returns whether it found one. */
static int refuse_nul(vctx_t *v, const json_t *val, const path_t *at)
{
    int found = 0;
    if (json_is_string(val)) {
        if (strlen(json_string_value(val)) == json_string_length(val))
            return 0;
        err(v, "pack.nul_not_allowed", path_pointer(v->p, at), "%s holds a NUL character (\\u0000): no pack "
            "string may, since its checks would read only the part before it", path_field(v->p, at));
        return 1;
    }
    if (json_is_object(val)) {
        const char *key;
        json_t *child;
        json_object_foreach((json_t *)val, key, child) {
            path_t here = { at, key, 0 };
            found |= refuse_nul(v, child, &here);
        }
    }
    else if (json_is_array(val)) {
        size_t i;
        json_t *child;
        json_array_foreach(val, i, child) {
            path_t here = { at, NULL, i };
            found |= refuse_nul(v, child, &here);
        }
    }
    return found;
}

/* ------------------------------------------------------------------ entry point */

mez_status_t mez_pack_validate(apr_pool_t *p, const mez_yaml_doc_t *doc, const mez_pack_options_t *opts,
                               mez_pack_kind_t *kind, mez_problem_t *pb)
{
    vctx_t v = { 0 };
    const json_t *root = doc->root, *format = json_object_get(root, "format");
    const table_t *t;

    v.p = p;
    v.doc = doc;
    mez_problem_list_init(&v.problems, opts ? opts->problems : NULL, opts ? opts->max_problems : 0);
    v.sources = apr_hash_make(p);
    v.ids = apr_hash_make(p);
    v.regulators = apr_hash_make(p);
    *kind = 0;

    /* Nothing else is checked on strings that are not what they seem. */
    if (refuse_nul(&v, root, NULL))
        return mez_problem_list_result(&v.problems, pb);
    if (!json_is_object(root)) {
        err(&v, "pack.invalid_type", "", "a pack is a mapping, not %s", mez_json_kind(root));
    }
    else if (!json_is_string(format)) {
        err(&v, "pack.missing_field", "/format", "a pack starts with format: %s, %s or %s", MEZ_PACK_FORMAT_LAW,
            MEZ_PACK_FORMAT_REG, MEZ_PACK_FORMAT_LICENSE);
    }
    else {
        const char *f = json_string_value(format);
        if (!strcmp(f, MEZ_PACK_FORMAT_LAW)) {
            *kind = MEZ_PACK_LAW;
            t = &lawpack_table;
        }
        else if (!strcmp(f, MEZ_PACK_FORMAT_REG)) {
            *kind = MEZ_PACK_REG;
            t = &regpack_table;
        }
        else if (!strcmp(f, MEZ_PACK_FORMAT_LICENSE)) {
            *kind = MEZ_PACK_LICENSE;
            t = &licensepack_table;
        }
        else {
            t = NULL;
            err(&v, "pack.unknown_format", "/format", "format '%s' is not %s, %s or %s", f, MEZ_PACK_FORMAT_LAW,
                MEZ_PACK_FORMAT_REG, MEZ_PACK_FORMAT_LICENSE);
        }
        if (t)
            check_object(&v, root, "", t);
    }
    return mez_problem_list_result(&v.problems, pb);
}
