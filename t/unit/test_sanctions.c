/* test_sanctions.c: CUnit suite for the sanctions importers: the UN consolidated list in ../shared imported into a
 * regpack that validates, names split the way screening needs them, malformed and foreign files refused with the
 * line at fault, and the imported pack screened through the tensor (a listed alias written differently is denied,
 * a near miss is not). The import and index-build times of the full list are printed. */
#include <stdio.h>
#include <string.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_time.h>
#include "mez/json.h"
#include "mez/pack.h"
#include "mez/sanctions.h"
#include "mez/tensor.h"
#include "unit.h"

#define UN_LIST "data/sanctions/un-consolidated.xml"

static json_t *import_un(const char *path, const char *jid, int low, mez_sanctions_report_t *rep)
{
    mez_sanctions_un_options_t opts = { 0 };
    mez_problem_t pb = { 0 };
    json_t *model = NULL;
    opts.jurisdiction_id = jid;
    opts.include_low_quality = low;
    if (mez_sanctions_import_un(unit_pool(), path, &opts, &model, rep, &pb) != MEZ_OK) {
        fprintf(stderr, "import failed: %s: %s (at %s)\n", pb.code, pb.detail, pb.pointer ? pb.pointer : "");
        CU_FAIL_FATAL("import");
    }
    return model;
}

static const json_t *entries_of(const json_t *model)
{
    return json_object_get(json_array_get(json_object_get(model, "lists"), 0), "entries");
}

static const json_t *find_entry(const json_t *model, const char *id)
{
    size_t i;
    const json_t *e;
    json_array_foreach(entries_of(model), i, e)
        if (!strcmp(json_string_value(json_object_get(e, "id")), id))
            return e;
    return NULL;
}

static int has_alias(const json_t *entry, const char *alias)
{
    size_t i;
    const json_t *a;
    json_array_foreach(json_object_get(entry, "aliases"), i, a)
        if (!strcmp(json_string_value(a), alias))
            return 1;
    return 0;
}

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static const char *write_tmp(const char *name, const char *text)
{
    const char *dir = unit_tmpdir(), *path;
    apr_file_t *f;
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    path = apr_pstrcat(unit_pool(), dir, "/", name, NULL);
    CU_ASSERT_EQUAL_FATAL(apr_file_open(&f, path, APR_FOPEN_CREATE | APR_FOPEN_WRITE | APR_FOPEN_TRUNCATE,
                                        APR_FPROT_OS_DEFAULT, unit_pool()), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(apr_file_write_full(f, text, strlen(text), NULL), APR_SUCCESS);
    apr_file_close(f);
    return path;
}

/* A small list in the UN's layout, one record per line so problems point at a known line. */
#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
             "<CONSOLIDATED_LIST dateGenerated=\"2026-01-05T10:00:00Z\">\n"
#define IND(body) "<INDIVIDUAL>" body "</INDIVIDUAL>\n"
#define ENT(body) "<ENTITY>" body "</ENTITY>\n"

/* ------------------------------------------------------------------ the real list */

static void test_import_the_un_list(void)
{
    mez_sanctions_report_t rep;
    apr_time_t t0 = apr_time_now();
    json_t *model = import_un(unit_shared(UN_LIST), "pk", 0, &rep);
    apr_time_t t1 = apr_time_now();
    const json_t *list = json_array_get(json_object_get(model, "lists"), 0), *src, *e;
    mez_yaml_doc_t doc = { "imported", model, apr_hash_make(unit_pool()) };
    mez_pack_kind_t kind;
    mez_problem_t pb = { 0 };
    int unknown_note = 0;
    size_t i;

    /* SOURCE.md: 730 INDIVIDUAL and 273 ENTITY records, dateGenerated 2026-02-27T00:00:09.554Z. */
    CU_ASSERT_EQUAL(rep.individuals, 730);
    CU_ASSERT_EQUAL(rep.entities, 273);
    CU_ASSERT_EQUAL(json_array_size(entries_of(model)), 1003);
    CU_ASSERT_STRING_EQUAL(rep.list_date, "2026-02-27");
    CU_ASSERT_STRING_EQUAL(rep.date_generated, "2026-02-27T00:00:09.554Z");
    CU_ASSERT(rep.aliases > 2000);
    CU_ASSERT(rep.original_script > 300);
    CU_ASSERT(rep.low_quality_skipped > 500);
    CU_ASSERT_EQUAL(rep.delisted_skipped, 0);

    /* The header the pack format asks for, versioned by the list's own date. */
    CU_ASSERT_STRING_EQUAL(str(model, "format"), "mez-regpack/1");
    CU_ASSERT_STRING_EQUAL(str(model, "id"), "un-consolidated-2026-02-27");
    CU_ASSERT_STRING_EQUAL(str(model, "jurisdiction_id"), "pk");
    CU_ASSERT_STRING_EQUAL(str(model, "domain"), "sanctions");
    CU_ASSERT_STRING_EQUAL(str(model, "as_of_date"), "2026-02-27");
    src = json_array_get(json_object_get(model, "sources"), 0);
    CU_ASSERT_STRING_EQUAL(str(src, "id"), "un-sc-consolidated");
    CU_ASSERT_STRING_EQUAL(str(src, "publisher"), "United Nations Security Council");
    CU_ASSERT_STRING_EQUAL(str(src, "kind"), "list");
    CU_ASSERT_STRING_EQUAL(str(src, "date"), "2026-02-27");
    CU_ASSERT_STRING_EQUAL(str(list, "list_date"), "2026-02-27");
    CU_ASSERT_STRING_EQUAL(str(list, "source"), "un-sc-consolidated");

    /* The pack validator accepts it (the import checked too; this is the public entry point). */
    CU_ASSERT_EQUAL(mez_pack_validate(unit_pool(), &doc, NULL, &kind, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(kind, MEZ_PACK_REG);

    /* QDe.157, an entity whose alias NOTE (not in the old schema) gives its name in Arabic script. */
    e = find_entry(model, "qde-157");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_STRING_EQUAL(str(e, "name"), "AL-KAWTHAR MONEY EXCHANGE");
    CU_ASSERT_STRING_EQUAL(str(e, "listed_on"), "2018-03-06");
    CU_ASSERT_STRING_EQUAL(str(e, "source_detail"), "Al-Qaida QDe.157");
    CU_ASSERT(has_alias(e, "Al Kawthar Co."));
    CU_ASSERT(has_alias(e, "Al Kawthar Company"));
    CU_ASSERT(has_alias(e, "Al-Kawthar Hawala"));
    CU_ASSERT(has_alias(e, "شركة الكوثر"));

    /* IQi.004: the name in original script is an alias, next to the Good ones. */
    e = find_entry(model, "iqi-004");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_STRING_EQUAL(str(e, "name"), "ABID HAMID MAHMUD AL-TIKRITI");
    CU_ASSERT(has_alias(e, "عابد حامد محمود التكريتي"));
    CU_ASSERT(has_alias(e, "Abid Hamid Bid Hamid Mahmud"));
    CU_ASSERT(has_alias(e, "Col Abdel Hamid Mahmoud"));

    /* A listing date written with a zone ("2015-04-07-04:00") keeps its date. */
    json_array_foreach(entries_of(model), i, e) {
        const char *d = str(e, "listed_on");
        if (d) {
            CU_ASSERT_EQUAL(strlen(d), 10);
        }
    }

    /* "Qasim Soleimani; Qasem Sulaimani; ..." is one ALIAS_NAME holding several names: each is an alias. */
    e = find_entry(model, "iri-039");
    if (e && json_object_get(e, "aliases")) {
        CU_ASSERT(has_alias(e, "Qasem Sulaimani"));
    }

    /* IQi.001's only alias is of Low quality ("Abu Ali"): left out unless asked for. */
    e = find_entry(model, "iqi-001");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT(has_alias(e, "صدام حسين التكريتي"));
    CU_ASSERT(!has_alias(e, "Abu Ali"));

    for (int k = 0; k < rep.unknown->nelts; k++) {
        const mez_sanctions_unknown_t *u = &APR_ARRAY_IDX(rep.unknown, k, mez_sanctions_unknown_t);
        if (!strcmp(u->path, "ENTITY_ALIAS/NOTE")) {
            unknown_note = 1;
            CU_ASSERT(u->count > 0);
            CU_ASSERT(u->first_line > 0);
        }
    }
    CU_ASSERT(unknown_note);

    {
        mez_sanctions_report_t low;
        json_t *all = import_un(unit_shared(UN_LIST), "pk", 1, &low);
        CU_ASSERT(has_alias(find_entry(all, "iqi-001"), "Abu Ali"));
        CU_ASSERT_EQUAL(low.low_quality_skipped, 0);
        CU_ASSERT(low.aliases > rep.aliases);
    }
    printf("\n    sanctions: UN list imported in %.1f ms (%d individuals, %d entities, %d aliases) ",
           (double)(t1 - t0) / 1000.0, rep.individuals, rep.entities, rep.aliases);
}

/* ------------------------------------------------------------------ names, dates, drift */

static void test_names_split_and_drift(void)
{
    const char *path = write_tmp("un.xml", HEAD
        "<INDIVIDUALS>\n"
        IND("<DATAID>1</DATAID><FIRST_NAME>JOHN</FIRST_NAME><SECOND_NAME>DOE</SECOND_NAME><FOURTH_NAME>na</FOURTH_NAME>"
            "<UN_LIST_TYPE>Test</UN_LIST_TYPE><REFERENCE_NUMBER> TSi.001 </REFERENCE_NUMBER>"
            "<LISTED_ON>2015-04-07-04:00</LISTED_ON><NAME_ORIGINAL_SCRIPT>Джон Доу</NAME_ORIGINAL_SCRIPT>"
            "<INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Jon Doe; Johnny  Doe</ALIAS_NAME></INDIVIDUAL_ALIAS>"
            "<INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>J. Doe (جون دو)</ALIAS_NAME></INDIVIDUAL_ALIAS>"
            "<INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Doe Jr (third)</ALIAS_NAME></INDIVIDUAL_ALIAS>"
            "<INDIVIDUAL_ALIAS><QUALITY>a.k.a.</QUALITY><ALIAS_NAME>JOHN DOE</ALIAS_NAME></INDIVIDUAL_ALIAS>"
            "<INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>Abu John</ALIAS_NAME></INDIVIDUAL_ALIAS>"
            "<INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Jay Dee</ALIAS_NAME>"
            "<NOTE>original script: Джей Ди</NOTE></INDIVIDUAL_ALIAS>"
            "<INDIVIDUAL_ALIAS><QUALITY/><ALIAS_NAME/></INDIVIDUAL_ALIAS>"
            "<SHOE_SIZE>44</SHOE_SIZE>")
        IND("<FIRST_NAME>OLD</FIRST_NAME><SECOND_NAME>NAME</SECOND_NAME><REFERENCE_NUMBER>TSi.002</REFERENCE_NUMBER>"
            "<LISTED_ON>2001-01-01</LISTED_ON><DELISTED_ON>2020-01-01</DELISTED_ON>")
        "</INDIVIDUALS>\n<ENTITIES>\n"
        ENT("<FIRST_NAME>ACME (original script: АКМЕ)</FIRST_NAME><UN_LIST_TYPE>Test</UN_LIST_TYPE>"
            "<REFERENCE_NUMBER>TSe.001</REFERENCE_NUMBER><LISTED_ON>2010-02-03</LISTED_ON>"
            "<ENTITY_ALIAS><QUALITY>a.k.a.</QUALITY><ALIAS_NAME>Acme Trading</ALIAS_NAME>"
            "<NOTE>in Arabic script: أكمي</NOTE></ENTITY_ALIAS>")
        "<TOMBSTONE/>\n"
        "</ENTITIES>\n<ANNEX/>\n</CONSOLIDATED_LIST>\n");
    mez_sanctions_report_t rep;
    json_t *model = import_un(path, "pk-sifc", 0, &rep);
    const json_t *e;
    int n_unknown = 0;

    CU_ASSERT_EQUAL(rep.individuals, 1);
    CU_ASSERT_EQUAL(rep.entities, 1);
    CU_ASSERT_EQUAL(rep.delisted_skipped, 1);
    CU_ASSERT_EQUAL(rep.low_quality_skipped, 1);
    CU_ASSERT_STRING_EQUAL(str(model, "id"), "un-consolidated-2026-01-05");
    CU_ASSERT_STRING_EQUAL(str(model, "jurisdiction_id"), "pk-sifc");

    e = find_entry(model, "tsi-001");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_STRING_EQUAL(str(e, "name"), "JOHN DOE");               /* "na" is no name */
    CU_ASSERT_STRING_EQUAL(str(e, "listed_on"), "2015-04-07");        /* the zone cut off */
    CU_ASSERT_STRING_EQUAL(str(e, "source_detail"), "Test TSi.001");  /* trimmed */
    CU_ASSERT(has_alias(e, "Джон Доу"));
    CU_ASSERT(has_alias(e, "Jon Doe"));
    CU_ASSERT(has_alias(e, "Johnny Doe"));
    CU_ASSERT(!has_alias(e, "Jon Doe; Johnny Doe"));
    CU_ASSERT(has_alias(e, "J. Doe (جون دو)"));
    CU_ASSERT(has_alias(e, "J. Doe"));
    CU_ASSERT(has_alias(e, "جون دو"));
    CU_ASSERT(has_alias(e, "Doe Jr (third)"));
    CU_ASSERT(has_alias(e, "Doe Jr"));
    CU_ASSERT(!has_alias(e, "third"));          /* a remark in the same script is no name */
    CU_ASSERT(!has_alias(e, "JOHN DOE"));       /* normalises like the name */
    CU_ASSERT(!has_alias(e, "Abu John"));       /* Low quality */
    CU_ASSERT(has_alias(e, "Jay Dee"));
    CU_ASSERT(has_alias(e, "Джей Ди"));         /* from the alias note */
    CU_ASSERT_PTR_NULL(find_entry(model, "tsi-002"));

    e = find_entry(model, "tse-001");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_STRING_EQUAL(str(e, "name"), "ACME (original script: АКМЕ)");
    CU_ASSERT(has_alias(e, "ACME"));
    CU_ASSERT(has_alias(e, "АКМЕ"));
    CU_ASSERT(has_alias(e, "Acme Trading"));
    CU_ASSERT(has_alias(e, "أكمي"));

    /* Elements the schema does not define are recorded with where they first were, and the import goes on. */
    for (int i = 0; i < rep.unknown->nelts; i++) {
        const mez_sanctions_unknown_t *u = &APR_ARRAY_IDX(rep.unknown, i, mez_sanctions_unknown_t);
        if (!strcmp(u->path, "INDIVIDUAL/SHOE_SIZE")) {
            CU_ASSERT_EQUAL(u->first_line, 4);
        }
        else if (!strcmp(u->path, "ENTITY_ALIAS/NOTE")) {
            CU_ASSERT_EQUAL(u->first_line, 8);
        }
        else if (!strcmp(u->path, "ENTITIES/TOMBSTONE")) {
            CU_ASSERT_EQUAL(u->count, 1);
            CU_ASSERT_EQUAL(u->first_line, 9);
        }
        else if (!strcmp(u->path, "CONSOLIDATED_LIST/ANNEX")) {
            CU_ASSERT_EQUAL(u->count, 1);
            CU_ASSERT_EQUAL(u->first_line, 11);
        }
        else {
            fprintf(stderr, "\nreported: %s\n", u->path);
            CU_FAIL("an element reported that the schema defines");
        }
        n_unknown++;
    }
    CU_ASSERT_EQUAL(n_unknown, 4);
}

/* ------------------------------------------------------------------ refusals */

static void expect_problem(const char *path, const char *jid, mez_status_t want_rv, const char *code,
                           const char *detail_part)
{
    mez_sanctions_un_options_t opts = { 0 };
    mez_problem_t pb = { 0 };
    json_t *model = (json_t *)1;
    opts.jurisdiction_id = jid;
    CU_ASSERT_EQUAL(mez_sanctions_import_un(unit_pool(), path, &opts, &model, NULL, &pb), want_rv);
    CU_ASSERT_PTR_NULL(model);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb.code);
    if (strcmp(pb.code, code) || (detail_part && !strstr(pb.detail, detail_part)))
        fprintf(stderr, "\nwanted %s (%s), got %s: %s\n", code, detail_part ? detail_part : "", pb.code, pb.detail);
    CU_ASSERT_STRING_EQUAL(pb.code, code);
    if (detail_part)
        CU_ASSERT_PTR_NOT_NULL(strstr(pb.detail, detail_part));
}

static void test_refusals(void)
{
    const char *ok_record = IND("<FIRST_NAME>A</FIRST_NAME><SECOND_NAME>B</SECOND_NAME>"
                                "<REFERENCE_NUMBER>TSi.001</REFERENCE_NUMBER>");
    const char *p;

    /* Not well-formed: the line where the parser gave up. */
    p = write_tmp("broken.xml", apr_pstrcat(unit_pool(), HEAD, "<INDIVIDUALS>\n", ok_record,
                                            "<INDIVIDUAL><FIRST_NAME>X</SECOND_NAME></INDIVIDUAL>\n",
                                            "</INDIVIDUALS>\n</CONSOLIDATED_LIST>\n", NULL));
    expect_problem(p, "pk", MEZ_EINVAL, "sanctions.invalid_xml", "broken.xml:5:");
    p = write_tmp("truncated.xml", apr_pstrcat(unit_pool(), HEAD, "<INDIVIDUALS>\n", ok_record, NULL));
    expect_problem(p, "pk", MEZ_EINVAL, "sanctions.invalid_xml", "truncated.xml:");
    /* A DOCTYPE could declare entities; the list never has one. */
    p = write_tmp("doctype.xml", "<?xml version=\"1.0\"?>\n<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY x \"y\">]>\n"
                                 "<CONSOLIDATED_LIST dateGenerated=\"2026-01-05T10:00:00Z\"/>\n");
    expect_problem(p, "pk", MEZ_EINVAL, "sanctions.invalid_xml", "DOCTYPE");
    p = write_tmp("other.xml", "<?xml version=\"1.0\"?>\n<sdnList/>\n");
    expect_problem(p, "pk", MEZ_EINVAL, "sanctions.not_un_list", "sdnList");
    p = write_tmp("empty.xml", "");
    expect_problem(p, "pk", MEZ_EINVAL, "sanctions.invalid_xml", NULL);
    p = write_tmp("nodate.xml", "<CONSOLIDATED_LIST><INDIVIDUALS/></CONSOLIDATED_LIST>\n");
    expect_problem(p, "pk", MEZ_EINVAL, "sanctions.missing_date", NULL);
    p = write_tmp("baddate.xml", "<CONSOLIDATED_LIST dateGenerated=\"yesterday\"/>\n");
    expect_problem(p, "pk", MEZ_EINVAL, "sanctions.missing_date", "yesterday");
    /* Records the list could not be screened or cited with. */
    p = write_tmp("noref.xml", apr_pstrcat(unit_pool(), HEAD, "<INDIVIDUALS>\n", ok_record,
                                           IND("<FIRST_NAME>NO</FIRST_NAME><SECOND_NAME>REF</SECOND_NAME>"),
                                           "</INDIVIDUALS>\n</CONSOLIDATED_LIST>\n", NULL));
    expect_problem(p, "pk", MEZ_EINVAL, "sanctions.invalid_record", "noref.xml:5:");
    p = write_tmp("noname.xml", apr_pstrcat(unit_pool(), HEAD, "<INDIVIDUALS>\n",
                                            IND("<FIRST_NAME> - </FIRST_NAME>"
                                                "<REFERENCE_NUMBER>TSi.009</REFERENCE_NUMBER>"),
                                            "</INDIVIDUALS>\n</CONSOLIDATED_LIST>\n", NULL));
    expect_problem(p, "pk", MEZ_EINVAL, "sanctions.invalid_record", "TSi.009");
    p = write_tmp("dup.xml", apr_pstrcat(unit_pool(), HEAD, "<INDIVIDUALS>\n", ok_record,
                                         IND("<FIRST_NAME>C</FIRST_NAME><REFERENCE_NUMBER>TSi-001</REFERENCE_NUMBER>"),
                                         "</INDIVIDUALS>\n</CONSOLIDATED_LIST>\n", NULL));
    expect_problem(p, "pk", MEZ_EINVAL, "sanctions.duplicate_reference", "line 4");
    /* The options and the file. */
    /* A list that names no one fails screening open: refused, as is one missing a section (records wrapped in an
     * element the reader does not know are not read). */
    p = write_tmp("none.xml", apr_pstrcat(unit_pool(), HEAD, "<INDIVIDUALS/><ENTITIES/>\n</CONSOLIDATED_LIST>\n",
                                          NULL));
    expect_problem(p, "pk", MEZ_EINVAL, "sanctions.empty_list", "names no one");
    p = write_tmp("wrapped.xml", apr_pstrcat(unit_pool(), HEAD, "<LIST><INDIVIDUALS>\n", ok_record,
                                             "</INDIVIDUALS><ENTITIES/></LIST>\n</CONSOLIDATED_LIST>\n", NULL));
    expect_problem(p, "pk", MEZ_EINVAL, "sanctions.not_un_list", "<INDIVIDUALS>");
    p = write_tmp("halves.xml", apr_pstrcat(unit_pool(), HEAD, "<INDIVIDUALS>\n", ok_record,
                                            "</INDIVIDUALS>\n</CONSOLIDATED_LIST>\n", NULL));
    expect_problem(p, "pk", MEZ_EINVAL, "sanctions.not_un_list", "no <ENTITIES>");
    p = write_tmp("ok.xml", apr_pstrcat(unit_pool(), HEAD, "<INDIVIDUALS>\n", ok_record,
                                        "</INDIVIDUALS>\n<ENTITIES/>\n</CONSOLIDATED_LIST>\n", NULL));
    expect_problem(p, NULL, MEZ_EINVAL, "sanctions.invalid_options", NULL);
    expect_problem(p, "PK", MEZ_EINVAL, "pack.invalid_value", "jurisdiction_id");
    expect_problem(apr_pstrcat(unit_pool(), p, ".missing", NULL), "pk", MEZ_EIO, "io.open", NULL);
}

/* ------------------------------------------------------------------ screening through the tensor */

static json_t *payment(const char *payee)
{
    json_t *doc = json_pack("{s:{s:s, s:s, s:s, s:s, s:{s:s, s:s}}, s:{s:s, s:s}, s:{s:s, s:s}}",
                            "action", "type", "payment", "date", "2026-03-02", "jurisdiction", "pk-sifc",
                            "payment_type", "services", "amount", "amount", "250000", "currency", "PKR",
                            "subject", "id", "did:example:payer", "name", "Karachi Traders (Pvt) Ltd",
                            "counterparty", "id", "did:example:payee", "name", payee);
    return mez_json_pool_own(unit_pool(), doc);
}

static const json_t *screen(const mez_tensor_index_t *ix, const char *payee, mez_state_t *decision)
{
    json_t *result = NULL;
    mez_problem_t pb = { 0 };
    if (mez_tensor_evaluate(unit_pool(), ix, payment(payee), NULL, &result, decision, &pb) != MEZ_OK) {
        fprintf(stderr, "evaluate: %s: %s\n", pb.code, pb.detail);
        CU_FAIL_FATAL("evaluate");
    }
    return json_object_get(json_object_get(result, "domains"), "sanctions");
}

/* The sanctions_match reason of a hit, or NULL. */
static const json_t *match_reason(const json_t *sanctions)
{
    size_t i;
    const json_t *r;
    json_array_foreach(json_object_get(sanctions, "reasons"), i, r)
        if (!strcmp(str(r, "code"), "sanctions_match"))
            return r;
    return NULL;
}

static void test_screening_the_imported_list(void)
{
    mez_sanctions_report_t rep;
    json_t *model = import_un(unit_shared(UN_LIST), "pk", 0, &rep);
    const json_t *packs[1] = { model }, *s, *r, *entry, *match;
    mez_tensor_index_t *ix = NULL;
    mez_problem_t pb = { 0 };
    mez_state_t decision;
    apr_time_t t0, t1;

    t0 = apr_time_now();
    CU_ASSERT_EQUAL_FATAL(mez_tensor_index_build(unit_pool(), packs, 1, &ix, &pb), MEZ_OK);
    t1 = apr_time_now();
    printf("\n    sanctions: index of %zu listed names built in %.1f ms ", mez_tensor_index_size(ix),
           (double)(t1 - t0) / 1000.0);

    /* An alias of QDe.157 ("Al-Kawthar Hawala") in other case, with diacritics and other punctuation. */
    s = screen(ix, "AL KAWTHAR-HAWÁLA", &decision);
    CU_ASSERT_STRING_EQUAL(str(s, "state"), "non_compliant");
    CU_ASSERT_EQUAL(decision, MEZ_STATE_NON_COMPLIANT);
    r = match_reason(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    entry = json_object_get(r, "entry");
    match = json_object_get(r, "match");
    CU_ASSERT_STRING_EQUAL(str(entry, "id"), "qde-157");
    CU_ASSERT_STRING_EQUAL(str(entry, "name"), "AL-KAWTHAR MONEY EXCHANGE");
    CU_ASSERT_STRING_EQUAL(str(r, "party"), "counterparty");
    CU_ASSERT_STRING_EQUAL(str(r, "rule"), "un-consolidated-2026-02-27/qde-157");
    CU_ASSERT_STRING_EQUAL(str(r, "source_detail"), "Al-Qaida QDe.157");
    CU_ASSERT_STRING_EQUAL(str(match, "on"), "alias");
    CU_ASSERT_STRING_EQUAL(str(match, "listed_name"), "Al-Kawthar Hawala");
    CU_ASSERT_STRING_EQUAL(str(match, "how"), "exact");
    CU_ASSERT_STRING_EQUAL(str(json_object_get(r, "source"), "id"), "un-sc-consolidated");

    /* The same entity by its Arabic-script name, written with vowel marks the list leaves out. */
    s = screen(ix, "شَرِكة الكَوثر", &decision);
    CU_ASSERT_STRING_EQUAL(str(s, "state"), "non_compliant");
    r = match_reason(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(str(json_object_get(r, "entry"), "id"), "qde-157");

    /* An individual by the name in original script, written with harakat. */
    s = screen(ix, "صَدّام حُسين التكريتي", &decision);
    r = match_reason(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(str(json_object_get(r, "entry"), "id"), "iqi-001");

    /* A near miss (one letter more) and an unrelated name are screened clear, against this list. */
    s = screen(ix, "Al-Kawthar Hawalla", &decision);
    CU_ASSERT_STRING_EQUAL(str(s, "state"), "compliant");
    CU_ASSERT_PTR_NULL(match_reason(s));
    s = screen(ix, "Indus Consulting (Pvt) Ltd", &decision);
    CU_ASSERT_STRING_EQUAL(str(s, "state"), "compliant");
    CU_ASSERT_PTR_NULL(match_reason(s));
    /* The Low-quality alias "Abu Ali" (IQi.001) blocks nobody by default. */
    s = screen(ix, "Abu Ali Traders", &decision);
    CU_ASSERT_PTR_NULL(match_reason(s));
}

/* Whether screening name hits the entry id (among all its hits). */
static int hits(const mez_tensor_index_t *ix, const char *name, const char *id)
{
    mez_state_t decision;
    const json_t *s = screen(ix, name, &decision), *r;
    size_t i;
    json_array_foreach(json_object_get(s, "reasons"), i, r)
        if (!strcmp(str(r, "code"), "sanctions_match") && !strcmp(str(json_object_get(r, "entry"), "id"), id))
            return 1;
    return 0;
}

/* Remarks the list writes into aliases (a birth, a sub-unit label) are not part of the name: cut, so the
 * alias is the name and matches it. */
static void test_remarks_cut_from_aliases(void)
{
    mez_sanctions_report_t rep;
    json_t *model = import_un(unit_shared(UN_LIST), "pk", 0, &rep);
    const json_t *packs[1] = { model }, *e, *a;
    mez_tensor_index_t *ix = NULL;
    mez_problem_t pb = { 0 };
    size_t i, j;

    CU_ASSERT_TRUE(has_alias(find_entry(model, "lyi-019"), "Safia Farkash Mohammed Al-Hadad"));
    CU_ASSERT_TRUE(has_alias(find_entry(model, "tai-101"), "Mohammad Ishaq Akhund"));
    CU_ASSERT_TRUE(has_alias(find_entry(model, "tai-093"), "Khirullah Said Wali Khairkhwa"));
    CU_ASSERT_TRUE(has_alias(find_entry(model, "qde-137"), "Ansar al-Mujahideen Network"));
    CU_ASSERT_TRUE(has_alias(find_entry(model, "qde-137"), "Levantine Mujahideen on the Battlefields of Jihad"));
    /* No alias anywhere keeps such a remark; names with " - " that are names stay whole. */
    CU_ASSERT_TRUE(has_alias(find_entry(model, "qde-161"), "ISLAMIC STATE IN IRAQ AND THE LEVANT - KHORASAN"));
    json_array_foreach(entries_of(model), i, e)
        json_array_foreach(json_object_get(e, "aliases"), j, a) {
            CU_ASSERT_PTR_NULL(strstr(json_string_value(a), "sub-unit name"));
            CU_ASSERT_PTR_NULL(strstr(json_string_value(a), ", born"));
            CU_ASSERT_PTR_NULL(strstr(json_string_value(a), " born in"));
        }
    CU_ASSERT_EQUAL_FATAL(mez_tensor_index_build(unit_pool(), packs, 1, &ix, &pb), MEZ_OK);
    CU_ASSERT_TRUE(hits(ix, "Mohammad Ishaq Akhund", "tai-101"));
    CU_ASSERT_TRUE(hits(ix, "Safia Farkash Mohammed Al-Hadad", "lyi-019"));
    CU_ASSERT_TRUE(hits(ix, "Khirullah Said Wali Khairkhwa", "tai-093"));
    CU_ASSERT_TRUE(hits(ix, "Ansar al-Mujahideen Network", "qde-137"));
}

/* A name that hits two real entries (IQi.002 by its name, IQi.001 by all the tokens of "SADDAM HUSSEIN
 * AL-TIKRITI") gives the screened name once, on the first hit; and a name past MEZ_TENSOR_NAME_MAX characters is
 * refused, not screened. */
static void test_hits_and_long_names(void)
{
    mez_sanctions_report_t rep;
    json_t *model = import_un(unit_shared(UN_LIST), "pk", 0, &rep);
    const json_t *packs[1] = { model }, *s, *r;
    mez_tensor_index_t *ix = NULL;
    mez_problem_t pb = { 0 };
    mez_state_t decision;
    json_t *result = NULL;
    size_t i, n = 0;
    char *longname;

    CU_ASSERT_EQUAL_FATAL(mez_tensor_index_build(unit_pool(), packs, 1, &ix, &pb), MEZ_OK);
    s = screen(ix, "QUSAY SADDAM HUSSEIN AL-TIKRITI", &decision);
    json_array_foreach(json_object_get(s, "reasons"), i, r) {
        if (strcmp(str(r, "code"), "sanctions_match"))
            continue;
        if (n++ == 0) {
            CU_ASSERT_STRING_EQUAL(str(r, "screened_name"), "QUSAY SADDAM HUSSEIN AL-TIKRITI");
            CU_ASSERT_STRING_EQUAL(str(json_object_get(r, "match"), "normalised"), "qusay saddam hussein al tikriti");
        } else {
            CU_ASSERT_PTR_NULL(json_object_get(r, "screened_name"));
            CU_ASSERT_PTR_NULL(json_object_get(json_object_get(r, "match"), "normalised"));
            CU_ASSERT_PTR_NOT_NULL(str(json_object_get(r, "match"), "listed_normalised"));
        }
    }
    CU_ASSERT_EQUAL(n, 2);
    /* 512 characters (two-byte ones) are screened; 513 are refused. */
    longname = apr_palloc(unit_pool(), 2 * 513 + 1);
    for (i = 0; i < 513; i++)
        memcpy(longname + 2 * i, "\xc3\xa9", 2);
    longname[2 * 512] = '\0';
    CU_ASSERT_EQUAL(mez_tensor_name_too_long(longname), 0);
    CU_ASSERT_STRING_EQUAL(str(screen(ix, longname, &decision), "state"), "compliant");
    longname[2 * 512] = '\xc3';
    longname[2 * 513] = '\0';
    CU_ASSERT_EQUAL(mez_tensor_name_too_long(longname), 1);
    CU_ASSERT_EQUAL(mez_tensor_evaluate(unit_pool(), ix, payment(longname), NULL, &result, &decision, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pb.code);
    CU_ASSERT_STRING_EQUAL(pb.code, "tensor.name_too_long");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/counterparty/name");
}

/* Ways of writing a listed name that a reader sees as that name: each must still hit the real entry. */
static void test_evasions_on_the_real_list(void)
{
    mez_sanctions_report_t rep;
    json_t *model = import_un(unit_shared(UN_LIST), "pk", 0, &rep);
    const json_t *packs[1] = { model };
    mez_tensor_index_t *ix = NULL;
    mez_problem_t pb = { 0 };

    CU_ASSERT_EQUAL_FATAL(mez_tensor_index_build(unit_pool(), packs, 1, &ix, &pb), MEZ_OK);
    CU_ASSERT_TRUE(hits(ix, "AYRAT NASIMOVICH VAKHITOV", "qdi-397"));
    /* Default-ignorable code points inside a word: Arabic letter mark, Mongolian vowel separator, variation
     * selector 16, soft hyphen, zero-width space, a bidi isolate, a tag character. */
    CU_ASSERT_TRUE(hits(ix, "AYRAT NASI\xd8\x9cMOVICH VAKHITOV", "qdi-397"));
    CU_ASSERT_TRUE(hits(ix, "AYRAT NASIM\xe1\xa0\x8eOVICH VAKHITOV", "qdi-397"));
    CU_ASSERT_TRUE(hits(ix, "AYRAT NASIMO\xef\xb8\x8fVICH VAKHITOV", "qdi-397"));
    CU_ASSERT_TRUE(hits(ix, "LASHKAR-E-TAY\xc2\xadYIBA", "qde-118"));
    CU_ASSERT_TRUE(hits(ix, "LASHKAR-E-TAY\xe2\x80\x8bYIBA", "qde-118"));
    CU_ASSERT_TRUE(hits(ix, "LASHKAR-E-\xe2\x81\xa6TAYYIBA\xe2\x81\xa9", "qde-118"));
    CU_ASSERT_TRUE(hits(ix, "LASHKAR-E-TAYY\xf3\xa0\x81\x81IBA", "qde-118"));
    /* Homoglyphs: a Cyrillic O (U+041E), Cyrillic small a/e/o/s (U+0430, 0435, 043E, 0441), Greek capital
     * Alpha and Nu, Greek small omicron and nu, a mathematical bold K. */
    CU_ASSERT_TRUE(hits(ix, "AYRAT NASIMOVICH VAKHIT\xd0\x9eV", "qdi-397"));
    CU_ASSERT_TRUE(hits(ix, "\xd0\xb0yrat nasim\xd0\xbevi\xd1\x81h vakhitov", "qdi-397"));
    CU_ASSERT_TRUE(hits(ix, "\xce\x91YRAT \xce\x9d" "ASIMOVICH VAKHITOV", "qdi-397"));
    CU_ASSERT_TRUE(hits(ix, "ayrat nasim\xce\xbfvich vakhito\xce\xbd", "qdi-397"));
    CU_ASSERT_TRUE(hits(ix, "AYRAT NASIMOVICH VA\xf0\x9d\x90\x8aHITOV", "qdi-397"));
    CU_ASSERT_TRUE(hits(ix, "L\xd0\xb0shk\xd0\xb0r-\xd0\xb5-T\xd0\xb0yyib\xd0\xb0", "qde-118"));
    /* Apostrophes written or left out: IQi.070 is listed as "NIDAL AL-RABI'I". */
    CU_ASSERT_TRUE(hits(ix, "Nidal al-Rabii", "iqi-070"));
    CU_ASSERT_TRUE(hits(ix, "Nidal al-Rabi\xca\xbci", "iqi-070"));
    CU_ASSERT_TRUE(hits(ix, "NIDAL AL-RABI\xe2\x80\x99I", "iqi-070"));
    CU_ASSERT_TRUE(hits(ix, "Nidal al-Rabi`i", "iqi-070"));
    /* A possessive still reads as the word it is on. */
    CU_ASSERT_TRUE(hits(ix, "Islamic State's Khorasan Province", "qde-161"));
    /* The entry's own Cyrillic-script alias still matches itself, in any case. */
    CU_ASSERT_TRUE(hits(ix, "Айрат Насимович Вахитов", "qdi-397"));
    CU_ASSERT_TRUE(hits(ix, "АЙРАТ НАСИМОВИЧ ВАХИТОВ", "qdi-397"));
    CU_ASSERT_TRUE(hits(ix, "салман булгарский", "qdi-397"));
    /* And a clean name with Cyrillic letters stays clean. */
    CU_ASSERT_FALSE(hits(ix, "Индус Консалтинг", "qdi-397"));
    /* Composed and decomposed letters meet: QDi.368 is listed as "Шамиль Магомедович Измайлов" with a composed
     * й (U+0439); the same name with и + combining breve (U+0306), and in capitals. IRi.017 "MOHAMMAD HEJAZI"
     * written with a composed h with dot below (U+1E25) and with h + U+0323. */
    CU_ASSERT_TRUE(hits(ix, "Шамиль Магомедович Изма\xd0\xb8\xcc\x86лов", "qdi-368"));
    CU_ASSERT_TRUE(hits(ix, "ШАМИЛЬ МАГОМЕДОВИЧ ИЗМАЙЛОВ", "qdi-368"));
    CU_ASSERT_TRUE(hits(ix, "Mo\xe1\xb8\xa5" "ammad Hejazi", "iri-017"));
    CU_ASSERT_TRUE(hits(ix, "Moh\xcc\xa3" "ammad Hejazi", "iri-017"));
    /* TAi.057's original-script name is listed with an Arabic presentation form (U+FE81, alef with madda,
     * isolated): typed with the ordinary letter (U+0622) it still hits. TAi.107 is listed with Arabic heh in
     * "الله"; written the Urdu way, with heh goal (U+06C1), it still hits. */
    CU_ASSERT_TRUE(hits(ix, "\xd8\xb3\xdb\x8c\xd8\xaf \xd9\x85\xd8\xad\xd9\x85\xd8\xaf "
                            "\xd8\xb9\xd8\xb8\xdb\x8c\xd9\x85 \xd8\xa2\xd8\xba\xd8\xa7", "tai-057"));
    CU_ASSERT_TRUE(hits(ix, "\xd8\xa7\xd9\x85\xdb\x8c\xd9\x86 \xd8\xa7\xd9\x84\xd9\x84\xdb\x81 "
                            "\xd8\xa7\xd9\x85\xdb\x8c\xd9\x86 \xd9\x82\xd8\xaf\xd9\x88\xd8\xb3", "tai-107"));
}

void unit_register_sanctions(void)
{
    CU_pSuite s = unit_suite("sanctions");
    CU_add_test(s, "un: the consolidated list imports and validates", test_import_the_un_list);
    CU_add_test(s, "un: names split, dates, delisting, schema drift", test_names_split_and_drift);
    CU_add_test(s, "un: malformed and foreign files refused", test_refusals);
    CU_add_test(s, "un: the imported list screened through the tensor", test_screening_the_imported_list);
    CU_add_test(s, "un: names written to evade screening still hit real entries", test_evasions_on_the_real_list);
    CU_add_test(s, "un: the screened name once per party; names too long refused", test_hits_and_long_names);
    CU_add_test(s, "un: birth and sub-unit remarks cut from aliases", test_remarks_cut_from_aliases);
}
