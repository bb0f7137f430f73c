/* bench/tensor_bench.c: one-core benchmark of the compliance tensor (issue 3): (a) evaluations per second of a
 * realistic action mix against the real pk-sifc regpacks, (b) a batch of 50,000 distinct entities evaluated
 * with canonical output, as an API answers, and (c) the cost of one evaluation as synthetic regpacks grow from
 * 10 to 30,000 rows, which should stay flat because the index is keyed by what an action touches. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* clock_gettime's thread CPU clock, getrusage */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <unistd.h>

#include <apr_allocator.h>
#include <apr_general.h>
#include <apr_hash.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <jansson.h>

#include "mez/digest.h"
#include "mez/json.h"
#include "mez/pack.h"
#include "mez/tensor.h"
#include "mez/yaml.h"

/* The zone the real packs are evaluated for; its national packs (jurisdiction pk) bind it. */
#define ZONE_JURISDICTION "pk-sifc"
/* Synthetic packs get a jurisdiction of their own, from ISO 3166's user-assigned range, so nobody takes a
 * synthetic row for Pakistani law. */
#define SYNTH_JURISDICTION "zz"
#define SYNTH_ZONE "zz-bench"

/* How many distinct action documents a timed row cycles through: enough that the evaluator does not run one
 * document out of a warm cache, few enough to generate in a blink. */
#define SET_SIZE 4096

/* ------------------------------------------------------------------ small helpers */

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "mez-tensor-bench: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(2);
}

static void die_problem(const char *what, const mez_problem_t *pb)
{
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s (%s%s%s)", pb->detail ? pb->detail : "?", pb->code ? pb->code : "?",
             pb->pointer ? " at " : "", pb->pointer ? pb->pointer : "");
    die(what, buf);
}

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* The resident set now (getrusage only keeps the peak), from /proc; 0 where there is none. */
static long rss_now_kb(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* The memory an index takes, as the growth of the resident set while it is built in a pool with an allocator
 * of its own: that allocator starts with no free blocks, so every block the index uses is new memory (a shared
 * allocator would hand it blocks other pools gave back, and the count would miss them). Debian's APR maps its
 * blocks with mmap, so they show in RSS as they are touched; an APR that mallocs them could reuse freed heap
 * and undercount. Returns the index; *bytes gets the growth. */
static mez_tensor_index_t *index_build_measured(apr_pool_t *parent, json_t *const *models,
                                                const char *const *digests, size_t n, double *ms, long long *bytes)
{
    mez_problem_t pb = { 0 };
    apr_allocator_t *al;
    apr_pool_t *ixp;
    mez_tensor_index_t *ix;
    long rss0;
    double t0;
    if (apr_allocator_create(&al) != APR_SUCCESS || apr_pool_create_ex(&ixp, parent, NULL, al) != APR_SUCCESS)
        die("cannot create the index pool", NULL);
    apr_allocator_owner_set(al, ixp);
    rss0 = rss_now_kb();
    t0 = clock_s(CLOCK_MONOTONIC);
    if (mez_tensor_index_build_with_digests(ixp, (const json_t *const *)models, digests, n, &ix, &pb) != MEZ_OK)
        die_problem("cannot build the index", &pb);
    *ms = (clock_s(CLOCK_MONOTONIC) - t0) * 1e3;
    *bytes = (long long)(rss_now_kb() - rss0) * 1024;
    return ix;
}

/* The largest RSS growth over any one timed loop: evaluation must give back what it takes, so this stays ~0. */
static long loop_growth_kb = 0;

/* splitmix64: a fixed seed makes every run evaluate the very same actions, so figures compare across runs and
 * machines; rand() would tie them to the C library. */
typedef struct rng_t {
    uint64_t s;
} rng_t;

static uint64_t rng_next(rng_t *r)
{
    uint64_t z = (r->s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static unsigned rng_below(rng_t *r, unsigned n)
{
    return (unsigned)(rng_next(r) % n);
}

/* The day `offset` days after 1 July 2025 as YYYY-MM-DD: every action falls in tax year 2026 (1 July 2025 to
 * 30 June 2026), the year the pk-wht-ty2026 rates are in force. */
static const char *ty2026_date(apr_pool_t *p, unsigned offset)
{
    static const unsigned month_days[12] = { 31, 31, 30, 31, 30, 31, 31, 28, 31, 30, 31, 30 }; /* Jul .. Jun */
    int year = 2025, month = 7;
    offset %= 365;
    for (int i = 0; offset >= month_days[i]; i++) {
        offset -= month_days[i];
        if (++month > 12) {
            month = 1;
            year++;
        }
    }
    return apr_psprintf(p, "%04d-%02d-%02u", year, month, offset + 1);
}

/* ------------------------------------------------------------------ names */

/* Forty words per slot, three slots: 64,000 distinct names per entity class, enough for the batch to give
 * every entity its own name. Words were chosen not to complete any name on the proscribed list, so only the
 * payees deliberately named after an entry are hits (the outcome lines check it). */
#define VOCAB 40
static const char *const GIVEN[VOCAB] = {
    "Muhammad", "Ahmed", "Ali", "Hassan", "Usman", "Bilal", "Imran", "Kamran", "Faisal", "Tariq",
    "Asad", "Zeeshan", "Farhan", "Salman", "Adnan", "Naveed", "Shahid", "Waqas", "Junaid", "Omer",
    "Ayesha", "Fatima", "Sana", "Hina", "Mehwish", "Saima", "Rabia", "Nadia", "Amna", "Zainab",
    "Sadia", "Iqra", "Maryam", "Huma", "Kiran", "Saba", "Noreen", "Uzma", "Shazia", "Farah",
};
static const char *const FATHER[VOCAB] = {
    "Aslam", "Akram", "Anwar", "Arshad", "Ashraf", "Azhar", "Basharat", "Ejaz", "Fayyaz", "Ghulam",
    "Habib", "Ijaz", "Ilyas", "Irfan", "Ishaq", "Jameel", "Javaid", "Khalid", "Latif", "Mahmood",
    "Manzoor", "Maqsood", "Mushtaq", "Nadeem", "Nasir", "Pervaiz", "Qadeer", "Rafaqat", "Rashid", "Riaz",
    "Saeed", "Sajjad", "Sarfraz", "Shafiq", "Shaukat", "Sohail", "Tahir", "Waheed", "Zafar", "Zulfiqar",
};
static const char *const FAMILY[VOCAB] = {
    "Khan", "Qureshi", "Malik", "Chaudhry", "Butt", "Sheikh", "Siddiqui", "Javed", "Raza", "Abbasi",
    "Mirza", "Hashmi", "Baig", "Awan", "Gillani", "Bhatti", "Cheema", "Niazi", "Jamil", "Rana",
    "Memon", "Soomro", "Shah", "Kazmi", "Ansari", "Durrani", "Yousafzai", "Afridi", "Khattak", "Marwat",
    "Lashari", "Jatoi", "Paracha", "Sethi", "Saigol", "Dawood", "Hussain", "Iqbal", "Rafiq", "Warraich",
};
static const char *const BRAND[VOCAB] = {
    "Indus", "Crescent", "Margalla", "Ravi", "Chenab", "Jhelum", "Karakoram", "Khyber", "Mehran", "Thar",
    "Sapphire", "Falcon", "Orient", "Summit", "Premier", "Unity", "Horizon", "Zenith", "Apex", "Emerald",
    "Sitara", "Kohinoor", "Shalimar", "Nishat", "Gulberg", "Clifton", "Hilal", "Paragon", "Fortune", "Prime",
    "Sunrise", "Greenfield", "Metro", "Starlight", "Royal", "Galaxy", "Pioneer", "Evergreen", "Sadiq", "Faran",
};
static const char *const SECTOR[VOCAB] = {
    "Textiles", "Traders", "Engineering", "Logistics", "Pharma", "Foods", "Steel", "Cement", "Software", "Solar",
    "Agro", "Leather", "Sports", "Surgical", "Rice", "Cotton", "Motors", "Builders", "Chemicals", "Packaging",
    "Fabrics", "Garments", "Poultry", "Dairy", "Marble", "Furniture", "Electric", "Power", "Telecom", "Shipping",
    "Travels", "Consultants", "Securities", "Developers", "Petroleum", "Minerals", "Plastics", "Paper", "Glass",
    "Tiles",
};
static const char *const PLACE[VOCAB] = {
    "Lahore", "Karachi", "Islamabad", "Rawalpindi", "Faisalabad", "Sialkot", "Multan", "Peshawar", "Quetta",
    "Gujranwala", "Hyderabad", "Sukkur", "Bahawalpur", "Sargodha", "Abbottabad", "Mardan", "Gwadar", "Gujrat",
    "Jhang", "Kasur", "Okara", "Sahiwal", "Mirpur", "Muzaffarabad", "Larkana", "Nawabshah", "Chiniot", "Attock",
    "Kohat", "Swat", "Hunza", "Skardu", "Chitral", "Thatta", "Badin", "Turbat", "Khuzdar", "Zhob", "Vehari",
    "Daska",
};
static const char *const COMPANY_FORM[4] = { "(Pvt) Ltd", "Limited", "(SMC-Pvt) Ltd", "Pvt. Ltd." };
#define NAME_CODES (VOCAB * VOCAB * VOCAB)

typedef enum { CLS_COMPANY, CLS_INDIVIDUAL, CLS_AOP } cls_t;
static const char *const CLASS_NAME[3] = { "company", "individual", "aop" };

/* The name of entity `code` (< NAME_CODES) of a class; distinct codes give distinct names within a class. */
static const char *entity_name(apr_pool_t *p, cls_t cls, unsigned code)
{
    unsigned a = code % VOCAB, b = code / VOCAB % VOCAB, c = code / (VOCAB * VOCAB) % VOCAB;
    switch (cls) {
    case CLS_INDIVIDUAL:
        return apr_pstrcat(p, GIVEN[a], " ", FATHER[b], " ", FAMILY[c], NULL);
    case CLS_AOP:
        return apr_pstrcat(p, FAMILY[a], " & ", FAMILY[b], " ", SECTOR[c], NULL);
    case CLS_COMPANY:
        break;
    }
    return apr_pstrcat(p, BRAND[a], " ", SECTOR[b], " ", PLACE[c], " ", COMPANY_FORM[(a + b + c) % 4], NULL);
}

/* An id in the shape of an NTN (companies, AOPs) or a CNIC (individuals); `n` keeps them distinct. */
static const char *entity_id(apr_pool_t *p, cls_t cls, unsigned long n)
{
    if (cls == CLS_INDIVIDUAL)
        return apr_psprintf(p, "cnic:%05lu-%07lu-%lu", 35201 + n % 90, n, n % 9 + 1);
    return apr_psprintf(p, "ntn:%07lu-%lu", n, n % 9);
}

/* ------------------------------------------------------------------ what the generator draws from */

/* A withholding row as the generator needs it: what payment it prices, for whom, from when, and where its
 * threshold lies (amounts are drawn around it). */
typedef struct crow_t {
    const char *id, *payment_type, *payee_class;
    uint64_t threshold;         /* major units; 0 when the row has none */
    int32_t from, to;           /* yyyymmdd; to 0 when open */
} crow_t;

typedef struct catalogue_t {
    const char *jurisdiction;   /* the action's jurisdiction */
    apr_array_header_t *rows;   /* crow_t */
    apr_hash_t *by_type;        /* payment_type -> apr_array_header_t of const crow_t * */
    apr_array_header_t *listed; /* const char *: every listed name and alias, to name the 1 % after */
} catalogue_t;

static int in_force(int32_t from, int32_t to, int32_t day)
{
    return (from == 0 || from <= day) && (to == 0 || day < to);
}

static uint64_t major_units(const char *s)
{
    /* Only the integer part: thresholds are whole rupees in every pack, and the generator only needs to know
     * roughly where to draw amounts. */
    uint64_t v = 0;
    for (; s && *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (uint64_t)(*s - '0');
    return v;
}

static int32_t day_of(const json_t *v)
{
    int32_t d = 0;
    if (json_is_string(v) && mez_tensor_date_parse(json_string_value(v), &d))
        die("a pack date does not parse", json_string_value(v));
    return d;
}

/* Reads the generator's view of the packs from the same JSON models the index is built from, so actions name
 * real payment types, real row ids and real listed names. */
static void catalogue_build(apr_pool_t *p, catalogue_t *c, const char *jurisdiction, json_t *const *models, size_t n)
{
    c->jurisdiction = jurisdiction;
    c->rows = apr_array_make(p, 64, sizeof(crow_t));
    c->by_type = apr_hash_make(p);
    c->listed = apr_array_make(p, 256, sizeof(const char *));
    for (size_t m = 0; m < n; m++) {
        const json_t *row, *list, *entry, *alias;
        size_t i, j, k;
        json_array_foreach(json_object_get(models[m], "withholding_rates"), i, row) {
            crow_t *r = &APR_ARRAY_PUSH(c->rows, crow_t);
            r->id = json_string_value(json_object_get(row, "id"));
            r->payment_type = json_string_value(json_object_get(row, "payment_type"));
            r->payee_class = json_string_value(json_object_get(row, "payee_class"));
            r->threshold = major_units(json_string_value(json_object_get(json_object_get(row, "threshold"), "amount")));
            r->from = day_of(json_object_get(row, "valid_from"));
            r->to = day_of(json_object_get(row, "valid_to"));
            if (!r->id || !r->payment_type || !r->payee_class)
                die("a withholding row lacks id, payment_type or payee_class", NULL);
        }
        json_array_foreach(json_object_get(models[m], "lists"), i, list) {
            json_array_foreach(json_object_get(list, "entries"), j, entry) {
                APR_ARRAY_PUSH(c->listed, const char *) = json_string_value(json_object_get(entry, "name"));
                json_array_foreach(json_object_get(entry, "aliases"), k, alias)
                    APR_ARRAY_PUSH(c->listed, const char *) = json_string_value(alias);
            }
        }
    }
    /* Indexed after the array stops growing: pointers into it are stable only then. */
    for (int i = 0; i < c->rows->nelts; i++) {
        const crow_t *r = &APR_ARRAY_IDX(c->rows, i, crow_t);
        apr_array_header_t *a = apr_hash_get(c->by_type, r->payment_type, APR_HASH_KEY_STRING);
        if (!a) {
            a = apr_array_make(p, 4, sizeof(const crow_t *));
            apr_hash_set(c->by_type, r->payment_type, APR_HASH_KEY_STRING, a);
        }
        APR_ARRAY_PUSH(a, const crow_t *) = r;
    }
    if (c->rows->nelts == 0 || c->listed->nelts == 0)
        die("the packs hold no withholding rows or no list entries to draw actions from", NULL);
}

/* ------------------------------------------------------------------ action documents */

typedef enum {
    KIND_MIX,                   /* the realistic mix: each action draws one of the kinds below */
    KIND_PAY_FILER,             /* payment to a payee on the Active Taxpayers List */
    KIND_PAY_NON_FILER,         /* payment to a payee not on it */
    KIND_PAY_PROSCRIBED,        /* payment to a payee named after a listed entry (name or alias) */
    KIND_FORMATION              /* entity formation */
} kind_t;

static void set_str(json_t *o, const char *k, const char *v)
{
    json_object_set_new(o, k, json_string(v));
}

static json_t *party(const char *id, const char *name, const char *cls, const char *filer)
{
    json_t *o = json_object();
    set_str(o, "id", id);
    set_str(o, "name", name);
    if (cls)
        set_str(o, "entity_class", cls);
    if (filer)
        set_str(o, "filer_status", filer);
    return o;
}

static json_t *attested(apr_pool_t *p, rng_t *r, const char *issuer, int expired)
{
    json_t *ev = json_object(), *list = json_array(), *a = json_object();
    set_str(a, "id", apr_psprintf(p, "urn:uuid:%08x-%04x-4%03x-8%03x-%012" APR_UINT64_T_HEX_FMT,
                                  (unsigned)rng_next(r), rng_below(r, 0x10000), rng_below(r, 0x1000),
                                  rng_below(r, 0x1000), (apr_uint64_t)(rng_next(r) & UINT64_C(0xFFFFFFFFFFFF))));
    set_str(a, "issuer", issuer);
    set_str(a, "issued_at", "2025-03-01T09:00:00Z");
    /* One in ten has lapsed before tax year 2026 started, so the expiry rule is exercised, not just parsed. */
    set_str(a, "expires_at", expired ? "2025-06-30T00:00:00Z" : "2027-03-01T09:00:00Z");
    json_array_append_new(list, a);
    json_object_set_new(ev, "attestations", list);
    return ev;
}

/* Amounts around what decides an evaluation: the row's own threshold (or, without one, the AML thresholds of
 * Rs 0.5 m and Rs 2 m), just under, exactly at and just over it, and a log-spread of everything else. Decimal
 * strings, as the action format requires; one in ten carries paisa. */
static const char *draw_amount(apr_pool_t *p, rng_t *r, uint64_t threshold)
{
    static const unsigned per_mille[] = { 500, 999, 1000, 1001, 1500, 4000 };
    static const uint64_t aml_pivots[] = { 500000, 2000000 };
    uint64_t v;
    if (rng_below(r, 100) < 60) {
        uint64_t pivot = threshold ? threshold : aml_pivots[rng_below(r, 2)];
        v = pivot * per_mille[rng_below(r, sizeof(per_mille) / sizeof(per_mille[0]))] / 1000;
    }
    else {
        v = 1000;
        for (unsigned e = rng_below(r, 6); e; e--)
            v *= 10;
        v *= 1 + rng_below(r, 9);
    }
    if (v == 0)
        v = 1;
    /* apr_psprintf knows no %llu: APR's own 64-bit format. */
    return rng_below(r, 10) == 0 ? apr_psprintf(p, "%" APR_UINT64_T_FMT ".50", (apr_uint64_t)v)
                                 : apr_psprintf(p, "%" APR_UINT64_T_FMT, (apr_uint64_t)v);
}

static cls_t draw_class(rng_t *r)
{
    unsigned u = rng_below(r, 100);
    return u < 50 ? CLS_COMPANY : u < 85 ? CLS_INDIVIDUAL : CLS_AOP;
}

/* One action document. entity < 0 draws the payee (or the new entity) at random; otherwise it is entity
 * number `entity`, with its own name and id, for the batch. */
static json_t *make_action(apr_pool_t *p, const catalogue_t *c, rng_t *r, kind_t kind, long entity)
{
    json_t *doc = json_object(), *action = json_object(), *evidence = json_object(), *amount;
    unsigned offset = rng_below(r, 365), code;
    const char *date = ty2026_date(p, offset);
    unsigned long serial = entity >= 0 ? (unsigned long)entity : (unsigned long)rng_below(r, 10000000);
    int32_t day;
    cls_t cls;

    /* 7919 is prime to NAME_CODES, so entity numbers below NAME_CODES map to distinct names. */
    code = entity >= 0 ? (unsigned)(((unsigned long)entity * 7919 + 1) % NAME_CODES) : rng_below(r, NAME_CODES);
    if (mez_tensor_date_parse(date, &day))
        die("generated a bad date", date);
    if (kind == KIND_MIX) {
        unsigned u = rng_below(r, 100);
        if (u < 15)
            kind = KIND_FORMATION;
        else if (rng_below(r, 100) == 0)
            kind = KIND_PAY_PROSCRIBED;     /* 1 % of payees */
        else
            kind = u < 15 + 51 ? KIND_PAY_FILER : KIND_PAY_NON_FILER; /* 60 / 40 among payees */
    }
    set_str(action, "date", date);
    set_str(action, "jurisdiction", c->jurisdiction);
    set_str(action, "reference", apr_psprintf(p, "bench-%lu", serial));
    json_object_set_new(doc, "action", action);

    if (kind == KIND_FORMATION) {
        cls = rng_below(r, 5) ? CLS_COMPANY : CLS_AOP;
        set_str(action, "type", "entity_formation");
        /* A new entity has no filer status yet: it registers for an NTN after incorporation. */
        json_object_set_new(doc, "subject", party(entity_id(p, cls, serial), entity_name(p, cls, code),
                                                  CLASS_NAME[cls], NULL));
        if (rng_below(r, 2))
            json_object_set_new(evidence, "corporate", attested(p, r, "did:web:secp.gov.pk", 0));
    }
    else {
        const crow_t *row = NULL;
        const apr_array_header_t *same;
        const char *name, *filer = kind == KIND_PAY_NON_FILER ? "non_filer" : "filer";
        int applicable = 0;
        /* A row in force on the date; the real packs are all tax year 2026, synthetic ones also carry the year
         * before, which the evaluator must skip. */
        for (int tries = 0; tries < 1000 && !row; tries++) {
            const crow_t *cand = &APR_ARRAY_IDX(c->rows, rng_below(r, (unsigned)c->rows->nelts), crow_t);
            if (in_force(cand->from, cand->to, day))
                row = cand;
        }
        if (!row)
            die("no withholding row is in force in tax year 2026", NULL);
        cls = !strcmp(row->payee_class, "company") ? CLS_COMPANY
              : !strcmp(row->payee_class, "individual") ? CLS_INDIVIDUAL
              : !strcmp(row->payee_class, "aop") ? CLS_AOP : draw_class(r);
        set_str(action, "type", "payment");
        set_str(action, "payment_type", row->payment_type);
        /* A caller names the row only where the law leaves a choice (sub-categories of one payment type, salary
         * bands): exactly when more than one row of the type applies to this payee on this date. */
        same = apr_hash_get(c->by_type, row->payment_type, APR_HASH_KEY_STRING);
        for (int i = 0; same && i < same->nelts; i++) {
            const crow_t *o = APR_ARRAY_IDX(same, i, const crow_t *);
            applicable += in_force(o->from, o->to, day)
                          && (!strcmp(o->payee_class, "any") || !strcmp(o->payee_class, CLASS_NAME[cls]));
        }
        if (applicable > 1)
            set_str(action, "withholding_rule", row->id);
        amount = json_object();
        set_str(amount, "amount", draw_amount(p, r, row->threshold));
        set_str(amount, "currency", "PKR");
        json_object_set_new(action, "amount", amount);
        /* The payer is the withholding agent: a company on the Active Taxpayers List. */
        json_object_set_new(doc, "subject",
                            party(entity_id(p, CLS_COMPANY, 9000000 + serial % 1000),
                                  entity_name(p, CLS_COMPANY, (unsigned)(serial * 31 % NAME_CODES)), "company",
                                  "filer"));
        name = entity_name(p, cls, code);
        if (kind == KIND_PAY_PROSCRIBED) {
            /* The listed name or alias as written, half the time inside a longer trading name, which the
             * all-tokens rule must still catch. */
            name = APR_ARRAY_IDX(c->listed, rng_below(r, (unsigned)c->listed->nelts), const char *);
            if (rng_below(r, 2))
                name = apr_pstrcat(p, name, " ", SECTOR[rng_below(r, VOCAB)], " (Pvt) Ltd", NULL);
        }
        json_object_set_new(doc, "counterparty", party(entity_id(p, cls, serial), name, CLASS_NAME[cls], filer));
        if (rng_below(r, 10) < 3) {
            json_t *aml = json_object();
            set_str(aml, "state", "compliant");
            json_object_set_new(evidence, "aml", aml);
        }
    }
    if (rng_below(r, 2))
        json_object_set_new(evidence, "kyc", attested(p, r, "did:web:nadra.gov.pk", rng_below(r, 10) == 0));
    if (json_object_size(evidence))
        json_object_set_new(doc, "evidence", evidence);
    else
        json_decref(evidence);
    return doc;
}

typedef struct actions_t {
    json_t **docs;
    size_t n;
} actions_t;

static void actions_make(apr_pool_t *p, const catalogue_t *c, kind_t kind, uint64_t seed, size_t n, actions_t *out)
{
    rng_t r = { seed };
    out->n = n;
    out->docs = apr_palloc(p, n * sizeof(*out->docs));
    for (size_t i = 0; i < n; i++)
        out->docs[i] = mez_json_pool_own(p, make_action(p, c, &r, kind, -1));
}

/* ------------------------------------------------------------------ timed loops */

typedef struct timing_t {
    unsigned long ops;
    double cpu_s, wall_s;
} timing_t;

static double per_s(const timing_t *t) { return t->cpu_s > 0 ? (double)t->ops / t->cpu_s : 0; }
static double us_op(const timing_t *t) { return t->ops ? t->cpu_s * 1e6 / (double)t->ops : 0; }

static int evaluate_one(apr_pool_t *sub, const mez_tensor_index_t *ix, const json_t *doc, mez_tensor_detail_t detail,
                        int canonical, size_t *out_len, mez_state_t *decision)
{
    mez_problem_t pb = { 0 };
    json_t *result;
    const char *bytes;
    size_t len = 0;
    if (mez_tensor_evaluate_detail(sub, ix, doc, NULL, detail, &result, decision, &pb) != MEZ_OK)
        die_problem("an evaluation failed", &pb);
    if (canonical && mez_json_canonicalize(sub, result, &bytes, &len, &pb) != MEZ_OK)
        die_problem("a result does not canonicalise", &pb);
    if (out_len)
        *out_len = len;
    return 0;
}

/* Evaluates the set's documents in turn for `seconds` of wall time, adding to *t. The subpool is cleared before
 * every evaluation, as a request's pool is, so memory stays flat and the clear is part of the cost. The zone's
 * default domains per action type apply (mez tensor eval's behaviour). */
static void run_eval(apr_pool_t *parent, const mez_tensor_index_t *ix, const actions_t *set,
                     mez_tensor_detail_t detail, int canonical, double seconds, timing_t *t)
{
    apr_pool_t *sub;
    double w0, c0, deadline;
    size_t i = 0;
    unsigned long ops = 0;
    long rss0;

    apr_pool_create(&sub, parent);
    /* Warm the caches, the allocator's free lists and jansson's hash seeds before timing. */
    for (int k = 0; k < 64; k++) {
        apr_pool_clear(sub);
        evaluate_one(sub, ix, set->docs[i], detail, canonical, NULL, NULL);
        i = (i + 1) % set->n;
    }
    rss0 = rss_now_kb();
    w0 = clock_s(CLOCK_MONOTONIC);
    c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    deadline = w0 + seconds;
    do {
        /* The clock is read every 16 evaluations: its cost disappears next to tens of microseconds each. */
        for (int k = 0; k < 16; k++) {
            apr_pool_clear(sub);
            evaluate_one(sub, ix, set->docs[i], detail, canonical, NULL, NULL);
            i = (i + 1) % set->n;
        }
        ops += 16;
    } while (clock_s(CLOCK_MONOTONIC) < deadline);
    t->cpu_s += clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    t->wall_s += clock_s(CLOCK_MONOTONIC) - w0;
    t->ops += ops;
    if (rss_now_kb() - rss0 > loop_growth_kb)
        loop_growth_kb = rss_now_kb() - rss0;
    apr_pool_destroy(sub);
}

/* ------------------------------------------------------------------ what the mix actually exercised */

typedef struct census_t {
    unsigned long n, decision[MEZ_STATE_COUNT], sanctions_hits, payments, bytes, bytes_compact;
    apr_hash_t *tax_codes;      /* first tax reason code -> unsigned long *, payments only */
    /* A chain over every result's canonical bytes, in set order: one line that a refactoring of the evaluator
     * must leave unchanged (same seed, same packs, same bytes). */
    mez_digest_t results;
} census_t;

static void census_take(apr_pool_t *p, const mez_tensor_index_t *ix, const actions_t *set, census_t *cs)
{
    apr_pool_t *sub;
    memset(cs, 0, sizeof(*cs));
    cs->tax_codes = apr_hash_make(p);
    apr_pool_create(&sub, p);
    for (size_t i = 0; i < set->n; i++) {
        mez_problem_t pb = { 0 };
        json_t *res, *domains;
        mez_state_t d;
        const char *bytes, *type;
        size_t len;
        apr_pool_clear(sub);
        if (mez_tensor_evaluate(sub, ix, set->docs[i], NULL, &res, &d, &pb) != MEZ_OK)
            die_problem("an evaluation failed", &pb);
        if (mez_json_canonicalize(sub, res, &bytes, &len, &pb) != MEZ_OK)
            die_problem("a result does not canonicalise", &pb);
        {
            /* The compact form of the same result: its size, and its bytes in the digest chain below. */
            const char *cbytes;
            size_t clen;
            json_t *cres;
            unsigned char link[2 * MEZ_DIGEST_LEN];
            if (mez_tensor_evaluate_detail(sub, ix, set->docs[i], NULL, MEZ_TENSOR_DETAIL_COMPACT, &cres, NULL, &pb)
                    != MEZ_OK
                || mez_json_canonicalize(sub, cres, &cbytes, &clen, &pb) != MEZ_OK)
                die_problem("a compact evaluation failed", &pb);
            cs->bytes_compact += clen;
            memcpy(link, cs->results.bytes, MEZ_DIGEST_LEN);
            mez_digest_sha256(cbytes, clen, (mez_digest_t *)(link + MEZ_DIGEST_LEN));
            mez_digest_sha256(link, sizeof(link), &cs->results);
        }
        cs->n++;
        cs->decision[d]++;
        cs->bytes += len;
        {
            unsigned char link[2 * MEZ_DIGEST_LEN];
            memcpy(link, cs->results.bytes, MEZ_DIGEST_LEN);
            mez_digest_sha256(bytes, len, (mez_digest_t *)(link + MEZ_DIGEST_LEN));
            mez_digest_sha256(link, sizeof(link), &cs->results);
        }
        domains = json_object_get(res, "domains");
        if (strstr(bytes, "\"code\":\"sanctions_match\""))
            cs->sanctions_hits++;
        type = json_string_value(json_object_get(res, "action_type"));
        if (type && !strcmp(type, "payment")) {
            const char *code = json_string_value(json_object_get(
                json_array_get(json_object_get(json_object_get(domains, "tax"), "reasons"), 0), "code"));
            unsigned long *count;
            code = code ? code : "(none)";
            if (!(count = apr_hash_get(cs->tax_codes, code, APR_HASH_KEY_STRING))) {
                count = apr_pcalloc(p, sizeof(*count));
                apr_hash_set(cs->tax_codes, apr_pstrdup(p, code), APR_HASH_KEY_STRING, count);
            }
            (*count)++;
            cs->payments++;
        }
    }
    apr_pool_destroy(sub);
}

typedef struct code_count_t {
    const char *code;
    unsigned long n;
} code_count_t;

static int code_count_cmp(const void *x, const void *y)
{
    const code_count_t *a = x, *b = y;
    if (a->n != b->n)
        return a->n > b->n ? -1 : 1;
    return strcmp(a->code, b->code);
}

static void census_print(apr_pool_t *p, const census_t *cs, const char *first, const char *indent)
{
    apr_array_header_t *codes = apr_array_make(p, 8, sizeof(code_count_t));
    double n = cs->n ? (double)cs->n : 1, pay = cs->payments ? (double)cs->payments : 1;
    for (apr_hash_index_t *hi = apr_hash_first(p, cs->tax_codes); hi; hi = apr_hash_next(hi)) {
        code_count_t *cc = &APR_ARRAY_PUSH(codes, code_count_t);
        cc->code = apr_hash_this_key(hi);
        cc->n = *(unsigned long *)apr_hash_this_val(hi);
    }
    qsort(codes->elts, (size_t)codes->nelts, sizeof(code_count_t), code_count_cmp);
    printf("%sdecision compliant %.1f %%, pending %.1f %%, non_compliant %.1f %%; sanctions hits %.2f %%; "
           "result %.1f KB (compact %.1f KB)\n", first,
           100.0 * (double)cs->decision[MEZ_STATE_COMPLIANT] / n, 100.0 * (double)cs->decision[MEZ_STATE_PENDING] / n,
           100.0 * (double)cs->decision[MEZ_STATE_NON_COMPLIANT] / n, 100.0 * (double)cs->sanctions_hits / n,
           (double)cs->bytes / n / 1024, (double)cs->bytes_compact / n / 1024);
    printf("%stax (first reason, payments):", indent);
    for (int i = 0; i < codes->nelts; i++) {
        const code_count_t *cc = &APR_ARRAY_IDX(codes, i, code_count_t);
        printf("%s %s %.1f %%", i ? "," : "", cc->code, 100.0 * (double)cc->n / pay);
    }
    printf("\n%sresults digest %s\n", indent, mez_digest_format(p, &cs->results));
}

/* ------------------------------------------------------------------ (a) and (b): the real pk-sifc packs */

static const char *const PK_REGPACKS[] = { "pk-wht-ty2026.yaml", "pk-aml-cft.yaml", "pk-proscribed.yaml" };
#define PK_NPACKS (sizeof(PK_REGPACKS) / sizeof(PK_REGPACKS[0]))

typedef struct real_t {
    json_t *models[PK_NPACKS];
    const char *ids[PK_NPACKS];
    const char *digests[PK_NPACKS];
    size_t wht_rows, entries, names;
    mez_tensor_index_t *ix;
    double load_ms, build_ms;
    long long ix_bytes;
    catalogue_t cat;
} real_t;

static void real_load(apr_pool_t *p, const char *packs_dir, real_t *rp)
{
    mez_problem_t pb = { 0 };
    mez_pack_options_t opts = { 0 };
    double t0 = clock_s(CLOCK_MONOTONIC), t1;
    for (size_t i = 0; i < PK_NPACKS; i++) {
        const char *path = apr_pstrcat(p, packs_dir, "/pk/regpacks/", PK_REGPACKS[i], NULL);
        mez_pack_t *pack;
        const json_t *list;
        size_t k;
        if (mez_pack_load(p, path, &opts, &pack, &pb) != MEZ_OK)
            die_problem(apr_psprintf(p, "cannot load %s (give the packs directory with --packs)", path), &pb);
        rp->models[i] = pack->model;
        rp->ids[i] = pack->id;
        rp->digests[i] = mez_pack_digest_string(p, pack);
        rp->wht_rows += json_array_size(json_object_get(pack->model, "withholding_rates"));
        json_array_foreach(json_object_get(pack->model, "lists"), k, list)
            rp->entries += json_array_size(json_object_get(list, "entries"));
    }
    t1 = clock_s(CLOCK_MONOTONIC);
    rp->load_ms = (t1 - t0) * 1e3;
    /* Built once, as mod_mez does at start-up; every evaluation below only reads it. */
    rp->ix = index_build_measured(p, rp->models, rp->digests, PK_NPACKS, &rp->build_ms, &rp->ix_bytes);
    catalogue_build(p, &rp->cat, ZONE_JURISDICTION, rp->models, PK_NPACKS);
    rp->names = (size_t)rp->cat.listed->nelts;
}

typedef struct row_t {
    const char *label;
    kind_t kind;
    mez_tensor_detail_t detail;
    int canonical;
    uint64_t seed;
    actions_t *set;             /* rows of the same kind and seed share their documents */
    timing_t t;
} row_t;

static void part_a(apr_pool_t *p, const real_t *rp, double seconds)
{
    enum { ROUNDS = 4 };
    actions_t mix, filer, non_filer, proscribed, formation;
    row_t rows[] = {
        { "evaluate, realistic mix", KIND_MIX, MEZ_TENSOR_DETAIL_FULL, 0, 1, &mix, { 0 } },
        { "evaluate + canonical output, mix", KIND_MIX, MEZ_TENSOR_DETAIL_FULL, 1, 1, &mix, { 0 } },
        { "  payment, filer payee", KIND_PAY_FILER, MEZ_TENSOR_DETAIL_FULL, 0, 2, &filer, { 0 } },
        { "  payment, non-filer payee", KIND_PAY_NON_FILER, MEZ_TENSOR_DETAIL_FULL, 0, 3, &non_filer, { 0 } },
        { "  payment, payee named after a listed entry", KIND_PAY_PROSCRIBED, MEZ_TENSOR_DETAIL_FULL, 0, 4,
          &proscribed, { 0 } },
        { "  entity formation", KIND_FORMATION, MEZ_TENSOR_DETAIL_FULL, 0, 5, &formation, { 0 } },
        /* What POST /v1/compliance/evaluate does by default. */
        { "  evaluate, mix", KIND_MIX, MEZ_TENSOR_DETAIL_COMPACT, 0, 1, &mix, { 0 } },
        { "  evaluate + canonical output, mix", KIND_MIX, MEZ_TENSOR_DETAIL_COMPACT, 1, 1, &mix, { 0 } },
    };
    const size_t nrows = sizeof(rows) / sizeof(rows[0]);
    apr_pool_t *setp;
    census_t cs;

    apr_pool_create(&setp, p);
    memset(&mix, 0, sizeof(mix));
    memset(&filer, 0, sizeof(filer));
    memset(&non_filer, 0, sizeof(non_filer));
    memset(&proscribed, 0, sizeof(proscribed));
    memset(&formation, 0, sizeof(formation));
    for (size_t i = 0; i < nrows; i++)
        if (!rows[i].set->docs)
            actions_make(setp, &rp->cat, rows[i].kind, rows[i].seed, SET_SIZE, rows[i].set);
    census_take(setp, rp->ix, &mix, &cs);
    /* All rows in interleaved rounds: whichever row ran first on a fresh heap would otherwise be ~10 % faster
     * than the rest, which is the allocator's history, not the evaluator. */
    for (int round = 0; round < ROUNDS; round++)
        for (size_t i = 0; i < nrows; i++)
            run_eval(p, rp->ix, rows[i].set, rows[i].detail, rows[i].canonical, seconds / ROUNDS, &rows[i].t);
    apr_pool_destroy(setp);

    printf("\n(a) evaluations in process, one thread, %d distinct actions per row, %.1f s per row in %d interleaved\n"
           "    rounds; mix: 85 %% payments (payee class, payment type and row drawn from the pack; 60 %% filer,\n"
           "    40 %% non-filer payees; amounts at, just under and just over thresholds; 1 %% of payees named after\n"
           "    a listed entry), 15 %% entity formations; evidence on about half; dates across tax year 2026\n",
           SET_SIZE, seconds, ROUNDS);
    census_print(p, &cs, "    outcomes: ", "              ");
    printf("\n%-46s %10s %10s\n", "operation", "ops/s", "us/op");
    for (size_t i = 0; i < nrows; i++) {
        if (i == 2)
            printf("%s\n", "by kind (evaluate only):");
        if (i == 6)
            printf("%s\n", "compact form (reasons cite rules by pack digest, no notes: the HTTP API's default):");
        printf("%-46s %10.0f %10.2f\n", rows[i].label, per_s(&rows[i].t), us_op(&rows[i].t));
    }
    printf("%-46s %10.2f us (%.0f %% of an evaluation)\n", "canonical output of a result",
           us_op(&rows[1].t) - us_op(&rows[0].t), 100 * (us_op(&rows[1].t) - us_op(&rows[0].t)) / us_op(&rows[0].t));
    printf("%-46s %10.2f us (%.0f %% of an evaluation)\n", "canonical output of a compact result",
           us_op(&rows[7].t) - us_op(&rows[6].t), 100 * (us_op(&rows[7].t) - us_op(&rows[6].t)) / us_op(&rows[6].t));
}

/* The batch input: one canonical JSON action per entity in one buffer, as a JSONL upload would arrive. It is
 * made before the clock starts; reading it back (parsing) is timed, as an API has to. */
typedef struct batch_in_t {
    char *buf;
    size_t len, cap;
    size_t *off, *size;
    size_t n;
} batch_in_t;

static void batch_make(apr_pool_t *p, const catalogue_t *c, size_t n, batch_in_t *in)
{
    apr_pool_t *sub;
    rng_t r = { 42 };
    memset(in, 0, sizeof(*in));
    in->n = n;
    in->off = apr_palloc(p, n * sizeof(size_t));
    in->size = apr_palloc(p, n * sizeof(size_t));
    in->cap = n * 700 + 1;
    if (!(in->buf = malloc(in->cap)))
        die("out of memory for the batch input", NULL);
    apr_pool_create(&sub, p);
    for (size_t i = 0; i < n; i++) {
        mez_problem_t pb = { 0 };
        const char *bytes;
        size_t len;
        json_t *doc;
        apr_pool_clear(sub);
        doc = mez_json_pool_own(sub, make_action(sub, c, &r, KIND_MIX, (long)i));
        if (mez_json_canonicalize(sub, doc, &bytes, &len, &pb) != MEZ_OK)
            die_problem("a batch action does not canonicalise", &pb);
        if (in->len + len + 1 > in->cap) {
            in->cap = (in->len + len + 1) * 2;
            if (!(in->buf = realloc(in->buf, in->cap)))
                die("out of memory for the batch input", NULL);
        }
        memcpy(in->buf + in->len, bytes, len);
        in->off[i] = in->len;
        in->size[i] = len;
        in->len += len;
        in->buf[in->len++] = '\n';
    }
    apr_pool_destroy(sub);
}

static void part_b(apr_pool_t *p, const real_t *rp, size_t n)
{
    batch_in_t in;
    apr_pool_t *sub, *keep;
    double w0, c0, wall, cpu, parse_wall, evaluation, gen0 = clock_s(CLOCK_MONOTONIC), gen;
    double t_parse = 0, t_eval = 0, t_canon = 0;
    unsigned long long bytes = 0;
    unsigned long decision[MEZ_STATE_COUNT] = { 0 };
    size_t stride, samples;
    long rss0;
    const char **first;
    size_t *first_len;

    batch_make(p, &rp->cat, n, &in);
    gen = clock_s(CLOCK_MONOTONIC) - gen0;
    apr_pool_create(&sub, p);
    rss0 = rss_now_kb();
    w0 = clock_s(CLOCK_MONOTONIC);
    c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    for (size_t i = 0; i < n; i++) {
        mez_problem_t pb = { 0 };
        json_t *doc, *res;
        const char *out;
        size_t len;
        mez_state_t d;
        double a, b, c, e;
        apr_pool_clear(sub);
        /* Phases are timed apiece so the total can be explained; four clock reads are well under 1 % here. */
        a = clock_s(CLOCK_MONOTONIC);
        if (mez_json_parse(sub, in.buf + in.off[i], in.size[i], &doc, &pb) != MEZ_OK)
            die_problem("a batch line does not parse", &pb);
        b = clock_s(CLOCK_MONOTONIC);
        if (mez_tensor_evaluate(sub, rp->ix, doc, NULL, &res, &d, &pb) != MEZ_OK)
            die_problem("a batch evaluation failed", &pb);
        c = clock_s(CLOCK_MONOTONIC);
        if (mez_json_canonicalize(sub, res, &out, &len, &pb) != MEZ_OK)
            die_problem("a batch result does not canonicalise", &pb);
        e = clock_s(CLOCK_MONOTONIC);
        t_parse += b - a;
        t_eval += c - b;
        t_canon += e - c;
        bytes += len;
        decision[d]++;
    }
    cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    wall = clock_s(CLOCK_MONOTONIC) - w0;
    if (rss_now_kb() - rss0 > loop_growth_kb)
        loop_growth_kb = rss_now_kb() - rss0;

    /* The goal is about evaluating (with canonical output), and an in-memory batch need not start from JSON
     * text; so the input is parsed and freed again alone, and that pass's time comes off the end-to-end one.
     * (The phase clocks above cannot split the pool clear between the input and the result.) */
    w0 = clock_s(CLOCK_MONOTONIC);
    for (size_t i = 0; i < n; i++) {
        mez_problem_t pb = { 0 };
        json_t *doc;
        apr_pool_clear(sub);
        if (mez_json_parse(sub, in.buf + in.off[i], in.size[i], &doc, &pb) != MEZ_OK)
            die_problem("a batch line does not parse", &pb);
    }
    apr_pool_clear(sub);
    parse_wall = clock_s(CLOCK_MONOTONIC) - w0;
    evaluation = wall - parse_wall;

    /* Determinism, as the issue requires: a sample re-evaluated in the opposite order, each in a cleared pool,
     * must give the same bytes. */
    stride = n > 1000 ? n / 1000 : 1;
    samples = (n + stride - 1) / stride;
    apr_pool_create(&keep, p);
    first = apr_pcalloc(keep, samples * sizeof(*first));
    first_len = apr_pcalloc(keep, samples * sizeof(*first_len));
    for (int pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k < samples; k++) {
            size_t j = pass ? samples - 1 - k : k, i = j * stride;
            mez_problem_t pb = { 0 };
            json_t *doc, *res;
            const char *out;
            size_t len;
            apr_pool_clear(sub);
            if (mez_json_parse(sub, in.buf + in.off[i], in.size[i], &doc, &pb) != MEZ_OK
                || mez_tensor_evaluate(sub, rp->ix, doc, NULL, &res, NULL, &pb) != MEZ_OK
                || mez_json_canonicalize(sub, res, &out, &len, &pb) != MEZ_OK)
                die_problem("a sampled re-evaluation failed", &pb);
            if (!pass) {
                first[j] = apr_pmemdup(keep, out, len);
                first_len[j] = len;
            }
            else if (first_len[j] != len || memcmp(first[j], out, len))
                die("evaluation is not deterministic: a re-evaluated result differs, entity",
                    apr_psprintf(p, "%" APR_SIZE_T_FMT, i));
        }
    }
    apr_pool_destroy(keep);
    apr_pool_destroy(sub);

    printf("\n(b) batch: %zu distinct entities (own name, id, class and filer status each), the same mix, against\n"
           "    the full pk-sifc regpacks on one core; per entity: parse its JSON action, evaluate, canonical output\n",
           n);
    printf("%-46s %8.3f s   %.2f us/entity, %.0f entities/s, CPU %.1f %% of wall\n",
           "end to end (JSON in, canonical JSON out)", wall, wall * 1e6 / (double)n, (double)n / wall,
           wall > 0 ? 100 * cpu / wall : 0);
    printf("%-46s %8.3f s   %.2f us/entity\n", "  parsing (and freeing) the input alone", parse_wall,
           parse_wall * 1e6 / (double)n);
    printf("%-46s %8.3f s   goal < 2 s: %s\n", "evaluation + canonical output (difference)", evaluation,
           evaluation < 2.0 ? "PASS" : "BELOW GOAL");
    printf("%-46s parse %.2f, evaluate %.2f, canonical output %.2f, freeing (pool clear) %.2f\n",
           "phases clocked per entity, us", t_parse * 1e6 / (double)n, t_eval * 1e6 / (double)n,
           t_canon * 1e6 / (double)n, (wall - t_parse - t_eval - t_canon) * 1e6 / (double)n);
    printf("%-46s %8.1f MB in, %.1f MB canonical out (%.1f KB per result)\n", "volume", (double)in.len / 1e6,
           (double)bytes / 1e6, (double)bytes / (double)n / 1024);
    printf("%-46s compliant %lu, pending %lu, non_compliant %lu\n", "decisions", decision[MEZ_STATE_COMPLIANT],
           decision[MEZ_STATE_PENDING], decision[MEZ_STATE_NON_COMPLIANT]);
    printf("%-46s %zu sampled results byte-identical when re-evaluated in reverse order\n", "determinism", samples);
    printf("%-46s %.2f s (not timed above)\n", "generating the batch input", gen);
    free(in.buf);
}

/* ------------------------------------------------------------------ (c): synthetic regpacks */

/* Unique, pronounceable tokens for synthetic list names: entry i spelt in base 100 with consonant-vowel
 * syllables. Each name's longest token is its own, as in real lists, where names are distinctive. */
static const char *syllables(apr_pool_t *p, unsigned long v, unsigned count, const char *tail)
{
    static const char consonants[] = "bdfghjklmnprstvwyzqc";
    static const char vowels[] = "aeiou";
    char buf[32];
    size_t k = 0;
    for (unsigned i = 0; i < count; i++) {
        unsigned s = (unsigned)(v % 100);
        v /= 100;
        buf[k++] = consonants[s / 5];
        buf[k++] = vowels[s % 5];
    }
    buf[k] = '\0';
    buf[0] = (char)(buf[0] - 'a' + 'A');
    return apr_pstrcat(p, buf, tail, NULL);
}

static json_t *synth_header(const char *id, const char *domain, const char *title)
{
    json_t *pack = json_object(), *sources = json_array(), *src = json_object();
    set_str(pack, "format", MEZ_PACK_FORMAT_REG);
    set_str(pack, "id", id);
    set_str(pack, "jurisdiction_id", SYNTH_JURISDICTION);
    set_str(pack, "domain", domain);
    set_str(pack, "title", title);
    set_str(pack, "as_of_date", "2025-07-01");
    set_str(src, "id", "synthetic-act");
    set_str(src, "title", "Synthetic benchmark data (bench/tensor_bench.c): not law");
    set_str(src, "url", "https://example.org/mez/bench/synthetic");
    set_str(src, "date", "2025-06-30");
    set_str(src, "kind", "statute");
    json_array_append_new(sources, src);
    json_object_set_new(pack, "sources", sources);
    return pack;
}

/* A tax regpack of `rows` withholding rows in groups of six per payment type: company, individual and AOP
 * payees, each for tax year 2025 (now expired) and tax year 2026. More rows means more payment types, as real
 * rate cards grow, while the rows one payment can match stay six. Company and AOP rows have a threshold
 * (above, and at or above) and individual rows none, so even the 10-row pack, with its one payment type,
 * exercises the same paths in the same proportions as the 30,000-row one. */
static json_t *synth_wht_pack(apr_pool_t *p, size_t rows)
{
    json_t *pack = synth_header(apr_psprintf(p, "synth-wht-%lu", (unsigned long)rows), "tax",
                                "Synthetic withholding rates");
    json_t *table = json_array();
    for (size_t i = 0; i < rows; i++) {
        size_t type = i / 6, g = i % 6, year = g / 3;
        json_t *row = json_object(), *rates = json_object();
        unsigned filer = 1 + (unsigned)((type * 7 + g) % 15);
        set_str(row, "id", apr_psprintf(p, "t%lu-%s-ty%lu", (unsigned long)type, CLASS_NAME[g % 3],
                                        (unsigned long)(2025 + year)));
        set_str(row, "section", apr_psprintf(p, "S%lu(%lu)", (unsigned long)(100 + type % 400),
                                             (unsigned long)(type / 400 + 1)));
        set_str(row, "payment_type", apr_psprintf(p, "payment_type_%lu", (unsigned long)type));
        set_str(row, "payee_class", CLASS_NAME[g % 3]);
        set_str(rates, "filer", apr_psprintf(p, "%u%s", filer, year ? ".5" : ""));
        set_str(rates, "non_filer", apr_psprintf(p, "%u", 2 * filer + 1));
        json_object_set_new(row, "rates", rates);
        if (g % 3 != CLS_INDIVIDUAL) {
            json_t *thr = json_object();
            set_str(thr, "amount", apr_psprintf(p, "%lu", (unsigned long)(25000 * (1 + type % 40))));
            set_str(thr, "currency", "PKR");
            set_str(thr, "applies", g % 3 == CLS_COMPANY ? "above" : "at_or_above");
            json_object_set_new(row, "threshold", thr);
        }
        set_str(row, "basis", "gross_amount");
        set_str(row, "valid_from", year ? "2025-07-01" : "2024-07-01");
        set_str(row, "valid_to", year ? "2026-07-01" : "2025-07-01");
        set_str(row, "source", "synthetic-act");
        set_str(row, "source_detail", apr_psprintf(p, "synthetic row %lu", (unsigned long)i));
        json_array_append_new(table, row);
    }
    json_object_set_new(pack, "withholding_rates", table);
    return pack;
}

/* A sanctions regpack with one list of `entries` organisations, each with one alias. */
static json_t *synth_list_pack(apr_pool_t *p, size_t entries)
{
    static const char *const org[] = { "Lashkar", "Jaish", "Tehreek", "Jamaat", "Tanzeem", "Sipah", "Harkat",
                                       "Majlis" };
    json_t *pack = synth_header(apr_psprintf(p, "synth-list-%lu", (unsigned long)entries), "sanctions",
                                "Synthetic list");
    json_t *lists = json_array(), *list = json_object(), *table = json_array();
    set_str(list, "id", "synthetic-list");
    set_str(list, "title", "Synthetic proscribed organisations");
    set_str(list, "list_date", "2025-06-30");
    set_str(list, "source", "synthetic-act");
    for (size_t i = 0; i < entries; i++) {
        json_t *e = json_object(), *aliases = json_array();
        /* Eight-letter first token (longest, unique), a common organisation word, a six-letter second token. */
        const char *a = syllables(p, i, 4, ""), *b = syllables(p, (i * 7919 + 17) % 1000000, 3, "");
        set_str(e, "id", apr_psprintf(p, "synthetic-%lu", (unsigned long)i));
        set_str(e, "name", apr_pstrcat(p, a, " ", org[i % 8], " ", b, NULL));
        json_array_append_new(aliases, json_string(apr_pstrcat(p, org[i % 8], "-e-", a, NULL)));
        json_object_set_new(e, "aliases", aliases);
        set_str(e, "listed_on", apr_psprintf(p, "20%02lu-%02lu-15", (unsigned long)(10 + i % 15),
                                             (unsigned long)(1 + i % 12)));
        set_str(e, "source_detail", apr_psprintf(p, "synthetic entry %lu", (unsigned long)i));
        json_array_append_new(table, e);
    }
    json_object_set_new(list, "entries", table);
    json_array_append_new(lists, list);
    json_object_set_new(pack, "lists", lists);
    return pack;
}

/* Runs the synthetic model through the pack area's YAML loader and validator (JSON is YAML's flow style), so the
 * index is built from a pack mez would accept from a file, not from whatever this program happened to write. */
static json_t *synth_validated(apr_pool_t *p, json_t *model, const char *name)
{
    mez_problem_t pb = { 0 };
    mez_yaml_doc_t *doc;
    mez_pack_kind_t kind;
    apr_pool_t *tmp;
    json_t *root;
    char *text = json_dumps(model, JSON_COMPACT);
    if (!text)
        die("cannot serialise a synthetic pack", name);
    json_decref(model);
    /* The YAML line map is only for error messages; a scratch pool drops it once the pack has passed. */
    apr_pool_create(&tmp, p);
    if (mez_yaml_parse(tmp, name, text, strlen(text), &doc, &pb) != MEZ_OK)
        die_problem("a synthetic pack does not parse as YAML", &pb);
    free(text);
    if (mez_pack_validate(tmp, doc, NULL, &kind, &pb) != MEZ_OK)
        die_problem("a synthetic pack is not a valid regpack", &pb);
    if (kind != MEZ_PACK_REG)
        die("a synthetic pack is not a regpack", name);
    root = mez_json_pool_own(p, json_incref(doc->root));
    apr_pool_destroy(tmp);
    return root;
}

typedef struct synth_t {
    size_t rows, wht, entries, types, ix_size;
    long long ix_bytes;
    apr_pool_t *pool;
    json_t *models[2];
    mez_tensor_index_t *ix;
    double make_ms, build_ms;
    catalogue_t cat;
    actions_t set;
    timing_t t;
    census_t cs;
} synth_t;

static void synth_make(apr_pool_t *parent, size_t rows, synth_t *s)
{
    double t0 = clock_s(CLOCK_MONOTONIC);
    memset(s, 0, sizeof(*s));
    apr_pool_create(&s->pool, parent);
    s->rows = rows;
    /* Three withholding rows in five, whole payment types of six; the rest list entries. */
    s->wht = rows * 3 / 5 / 6 * 6;
    s->entries = rows - s->wht;
    s->types = s->wht / 6;
    s->models[0] = synth_validated(s->pool, synth_wht_pack(s->pool, s->wht), "synth-wht");
    s->models[1] = synth_validated(s->pool, synth_list_pack(s->pool, s->entries), "synth-list");
    s->make_ms = (clock_s(CLOCK_MONOTONIC) - t0) * 1e3;
    s->ix = index_build_measured(s->pool, s->models, NULL, 2, &s->build_ms, &s->ix_bytes);
    s->ix_size = mez_tensor_index_size(s->ix);
    catalogue_build(s->pool, &s->cat, SYNTH_ZONE, s->models, 2);
    /* The same seed for every size: the same draws, so the sizes differ only in what the packs hold. */
    actions_make(s->pool, &s->cat, KIND_MIX, 7, SET_SIZE, &s->set);
    census_take(s->pool, s->ix, &s->set, &s->cs);
}

static void part_c(apr_pool_t *p, double seconds)
{
    static const size_t sizes[] = { 10, 1000, 30000 };
    enum { NSIZES = sizeof(sizes) / sizeof(sizes[0]), ROUNDS = 4 };
    synth_t s[NSIZES];
    double ratio, ratio_mid;

    for (int i = 0; i < NSIZES; i++)
        synth_make(p, sizes[i], &s[i]);
    /* Interleaved in rounds, so a drift in the machine's speed (a neighbour, frequency scaling) hits all sizes
     * alike instead of skewing the ratio. */
    for (int round = 0; round < ROUNDS; round++)
        for (int i = 0; i < NSIZES; i++)
            run_eval(p, s[i].ix, &s[i].set, MEZ_TENSOR_DETAIL_FULL, 0, seconds / ROUNDS, &s[i].t);

    printf("\n(c) cost per evaluation as the packs grow: synthetic regpacks (validated by the pack loader), the same\n"
           "    mix of %d actions drawn from each (6 withholding rows per payment type: 3 payee classes x 2 tax\n"
           "    years; list entries with one alias), %.1f s per size in %d interleaved rounds\n",
           SET_SIZE, seconds, ROUNDS);
    printf("%8s %8s %6s %8s %10s %8s %8s %9s %9s %8s\n", "rows", "wht rows", "types", "entries", "index size",
           "make ms", "index ms", "index MiB", "ops/s", "us/op");
    for (int i = 0; i < NSIZES; i++)
        printf("%8zu %8zu %6zu %8zu %10zu %8.0f %8.1f %9.2f %9.0f %8.2f\n", s[i].rows, s[i].wht, s[i].types,
               s[i].entries, s[i].ix_size, s[i].make_ms, s[i].build_ms, (double)s[i].ix_bytes / 1048576,
               per_s(&s[i].t), us_op(&s[i].t));
    for (int i = 0; i < NSIZES; i++)
        census_print(p, &s[i].cs, apr_psprintf(p, "%8lu rows: ", (unsigned long)s[i].rows), "              ");
    ratio_mid = us_op(&s[1].t) / us_op(&s[0].t);
    ratio = us_op(&s[NSIZES - 1].t) / us_op(&s[0].t);
    printf("%-46s %8.3f\n", "us/op 1,000 rows / 10 rows", ratio_mid);
    /* "Flat" read as: what is left is the cache's doing (a 3,000 times larger index no longer fits in it), not
     * work per row; scanning the rows, even at 10 ns each, would add 300 us at 30,000, ten evaluations' worth. */
    printf("%-46s %8.3f   goal flat (<= 1.25): %s\n", "us/op 30,000 rows / 10 rows", ratio,
           ratio <= 1.25 ? "PASS" : "BELOW GOAL");
    for (int i = 0; i < NSIZES; i++)
        apr_pool_destroy(s[i].pool);
}

/* ------------------------------------------------------------------ main */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mez-tensor-bench [--packs DIR] [--seconds S] [--entities N] [--only PARTS]\n"
            "Times the compliance tensor on one thread: (a) evaluations per second of a realistic action mix\n"
            "against the pk-sifc regpacks, (b) a batch of N distinct entities with canonical output, (c) the cost\n"
            "per evaluation with synthetic regpacks of 10, 1,000 and 30,000 rows.\n"
            "  --packs DIR     the repository's packs/ directory (default: packs, i.e. run from the source tree);\n"
            "                  DIR/pk/regpacks/{pk-wht-ty2026,pk-aml-cft,pk-proscribed}.yaml are loaded\n"
            "  --seconds S     time per row of (a) and per size of (c) (default 2)\n"
            "  --entities N    entities in the batch (b) (default 50000)\n"
            "  --only PARTS    some of the letters a, b, c (default abc)\n");
}

int main(int argc, char **argv)
{
    apr_pool_t *pool;
    const char *packs_dir = "packs", *only = "abc";
    double seconds = 2.0;
    long entities = 50000;
    long rss_packs = 0, rss_a = 0, rss_b = 0;
    real_t rp;

    for (int i = 1; i < argc; i++) {
        char *end;
        if (!strcmp(argv[i], "--packs") && i + 1 < argc)
            packs_dir = argv[++i];
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            seconds = strtod(argv[++i], &end);
            if (*end || !(seconds > 0 && seconds <= 600)) {
                fprintf(stderr, "mez-tensor-bench: --seconds wants a number of seconds in (0, 600]\n");
                return 2;
            }
        }
        else if (!strcmp(argv[i], "--entities") && i + 1 < argc) {
            entities = strtol(argv[++i], &end, 10);
            if (*end || entities < 1 || entities > 10000000) {
                fprintf(stderr, "mez-tensor-bench: --entities wants 1 to 10000000\n");
                return 2;
            }
        }
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            only = argv[++i];
            if (!*only || strspn(only, "abc") != strlen(only)) {
                fprintf(stderr, "mez-tensor-bench: --only wants letters among a, b, c\n");
                return 2;
            }
        }
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        else {
            usage(stderr);
            return 2;
        }
    }

    if (apr_initialize() != APR_SUCCESS || apr_pool_create(&pool, NULL) != APR_SUCCESS)
        die("cannot initialise APR", NULL);
    atexit(apr_terminate);
    /* libxml2 is initialised before anything could use it, as the pack area asks of every program. */
    mez_pack_global_init();
    /* SHA-256 fetched once, as mod_mez and the CLI do. */
    mez_digest_global_init(pool);

    memset(&rp, 0, sizeof(rp));
    /* opts NULL: each action type's default domains, as `mez tensor eval`; pk-sifc's compliance_domains, which
     * mod_mez intersects with them, include all of them, so the HTTP path evaluates the same domains. */
    printf("mez-tensor-bench: one thread, rates per CPU-second of that thread; each action type's default domains\n");
    if (strchr(only, 'a') || strchr(only, 'b')) {
        real_load(pool, packs_dir, &rp);
        rss_packs = rss_now_kb();
        printf("packs:   %s/pk/regpacks: %s (%zu withholding rows), %s, %s (%zu entries, %zu names with aliases)\n",
               packs_dir, rp.ids[0], rp.wht_rows, rp.ids[1], rp.ids[2], rp.entries, rp.names);
        printf("index:   %zu rows and listed names, built in %.2f ms, %.0f KiB (packs loaded and validated in\n"
               "         %.0f ms); actions evaluated for %s\n", mez_tensor_index_size(rp.ix), rp.build_ms,
               (double)rp.ix_bytes / 1024, rp.load_ms, ZONE_JURISDICTION);
    }
    fflush(stdout);
    if (strchr(only, 'a')) {
        part_a(pool, &rp, seconds);
        rss_a = peak_rss_kb();
    }
    fflush(stdout);
    if (strchr(only, 'b')) {
        part_b(pool, &rp, (size_t)entities);
        rss_b = peak_rss_kb();
    }
    fflush(stdout);
    if (strchr(only, 'c'))
        part_c(pool, seconds);
    printf("\nmemory\n");
    if (rss_packs)
        printf("%-46s %8.1f MiB\n", "RSS with the pk packs loaded and indexed", (double)rss_packs / 1024);
    if (rss_a)
        printf("%-46s %8.1f MiB   (+ five sets of %d action documents)\n", "peak RSS after (a)",
               (double)rss_a / 1024, SET_SIZE);
    if (rss_b)
        printf("%-46s %8.1f MiB   (+ the batch input, held whole)\n", "peak RSS after (b)", (double)rss_b / 1024);
    printf("%-46s %8.1f MiB%s\n", "peak RSS, whole run", (double)peak_rss_kb() / 1024,
           strchr(only, 'c') ? "   (reached in (c): the three synthetic pack sets alive at once)" : "");
    printf("%-46s %+8.1f MiB\n", "largest RSS growth over one timed loop", (double)loop_growth_kb / 1024);
    apr_pool_destroy(pool);
    return 0;
}
