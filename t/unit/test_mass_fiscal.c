/* test_mass_fiscal.c: CUnit suite for the sovereign Mass store's fiscal primitive: decimal money, the double-entry
 * ledger (every transaction sums to zero, no balance below zero), holds, withholding and the invariant checks,
 * through mez_mass_store_handle on a migrated SQLite database. */
#include <stdio.h>
#include <string.h>
#include <apr_strings.h>
#include "mez/bank_ids.h"
#include "mez/digest.h"
#include "mez/json.h"
#include "mez/mass.h"
#include "mez/tz.h"
#include "../../libmezcore/src/mass_fiscal_int.h"
#include "mass_unit.h"
#include "unit.h"

#define T0 1780000000L /* 2026-05-28T20:26:40Z */

static const char *ntn_json = "{\"ntn_number\":\"1234567\",\"ntn_type\":\"company\"}";

/* IBANs and BICs (mez/bank_ids.h). The valid IBANs are the SWIFT IBAN Registry's examples, but the Honduran one,
 * whose scheme is outside the registry: a made-up account number with check digits computed for it. */
static void test_bank_ids(void)
{
    apr_pool_t *p = unit_pool();
    const char *why = NULL;
    static const char *const good[] = {
        "PK36SCBL0000001123456702", "AE070331234567890123456", "KZ86125KZT5004100100",
        "SC18SSCB11010000000000001497USD", "GB29NWBK60161331926819", "DE89370400440532013000",
        "SA0380000000608010167519", "NO9386011117947", "LC55HEMM000100010012001200023015",
        "RU0304452522540817810538091310419", "HN15BCAH00000000017865314407",
        "PK36 SCBL 0000 0011 2345 6702", "gb29 nwbk 6016 1331 9268 19", "AE07 0331 2345 6789 0123 456",
    };
    static const struct { const char *iban, *says; } bad[] = {
        { "PK36SCBL0000001123456703", "check digits" },        /* one digit changed */
        { "PK36SCBL0000001123456720", "check digits" },        /* two swapped */
        { "PK63SCBL0000001123456702", "check digits" },        /* the check digits swapped */
        { "PK36SCBL000000112345670", "has 24 characters, not 23" },
        { "PK36SCBL00000011234567021", "has 24 characters, not 25" },
        { "US12345678901234", "US is not a country with an IBAN scheme" },
        { "XX36SCBL0000001123456702", "XX is not a country" },
        { "3636SCBL0000001123456702", "a country code" },
        { "PKAASCBL0000001123456702", "two check digits" },
        { "PK36", "a country code" },
        { "", "letters and digits" },
        { "PK36-SCBL-0000-0011-2345-6702", "letters and digits" },
        { "PK36 SCBL 0000 0011 2345 670 2", "groups of four" },
        { "PK36  SCBL0000001123456702", "groups of four" },
        { " PK36SCBL0000001123456702", "groups of four" },
        { "PK36SCBL0000001123456702 ", "groups of four" },
        { "PK36SCBL00000011234567\xc3\xa9", "letters and digits" },
        { "PK36SCBL0000001123456702PK36SCBL0000001123456702", "letters and digits" },
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (mez_iban_check(p, good[i], &why) != MEZ_OK)
            CU_FAIL(apr_pstrcat(p, good[i], ": ", why, NULL));
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        why = NULL;
        CU_ASSERT_EQUAL(mez_iban_check(p, bad[i].iban, &why), MEZ_EINVAL);
        if (!why || !strstr(why, bad[i].says))
        {
            fprintf(stderr, "\n%s: %s\n", bad[i].iban, why ? why : "(no reason)");
            CU_FAIL("an IBAN refused for another reason");
        }
    }
    CU_ASSERT_EQUAL(mez_iban_check(p, NULL, &why), MEZ_EINVAL);
    /* The table: the shipped zones' countries, a registry territory, a scheme outside the registry, none. */
    CU_ASSERT_EQUAL(mez_iban_country("PK")->length, 24);
    CU_ASSERT_EQUAL(mez_iban_country("AE")->length, 23);
    CU_ASSERT_EQUAL(mez_iban_country("KZ")->length, 20);
    CU_ASSERT_EQUAL(mez_iban_country("SC")->length, 31);
    CU_ASSERT_TRUE(mez_iban_country("PK")->in_registry);
    CU_ASSERT_EQUAL(mez_iban_country("RE")->length, 27);
    CU_ASSERT_FALSE(mez_iban_country("HN")->in_registry);
    CU_ASSERT_PTR_NULL(mez_iban_country("US"));
    CU_ASSERT_PTR_NULL(mez_iban_country("P"));
    CU_ASSERT_PTR_NULL(mez_iban_country(NULL));

    CU_ASSERT_EQUAL(mez_bic_check(p, "SCBLPKKX", &why), MEZ_OK);
    CU_ASSERT_EQUAL(mez_bic_check(p, "SCBLPKKXXXX", &why), MEZ_OK);
    CU_ASSERT_EQUAL(mez_bic_check(p, "deutdeff500", &why), MEZ_OK);
    CU_ASSERT_EQUAL(mez_bic_check(p, "1234PKKX", &why), MEZ_OK);   /* ISO 9362:2022 party prefixes may be digits */
    CU_ASSERT_EQUAL(mez_bic_check(p, "SCBLPK", &why), MEZ_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "8 or 11 characters"));
    CU_ASSERT_EQUAL(mez_bic_check(p, "SCBLPKKXXX", &why), MEZ_EINVAL);
    CU_ASSERT_EQUAL(mez_bic_check(p, "SCBL9KKX", &why), MEZ_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "2-letter country"));
    CU_ASSERT_EQUAL(mez_bic_check(p, "SCBLPKK-", &why), MEZ_EINVAL);
    CU_ASSERT_EQUAL(mez_bic_check(p, NULL, &why), MEZ_EINVAL);
}

static void test_decimal_parse(void)
{
    int64_t v = -1;
    CU_ASSERT_EQUAL(mez_mass_decimal_parse("1500.25", 4, 2, MEZ_MASS_AMOUNT_MAX, &v), MEZ_DECIMAL_OK);
    CU_ASSERT_EQUAL(v, 150025);
    CU_ASSERT_EQUAL(mez_mass_decimal_parse("7", 4, 3, MEZ_MASS_AMOUNT_MAX, &v), MEZ_DECIMAL_OK);
    CU_ASSERT_EQUAL(v, 7000);
    CU_ASSERT_EQUAL(mez_mass_decimal_parse("1.5000", 4, 0, MEZ_MASS_AMOUNT_MAX, &v), MEZ_DECIMAL_PRECISION);
    CU_ASSERT_EQUAL(mez_mass_decimal_parse("1.0000", 4, 0, MEZ_MASS_AMOUNT_MAX, &v), MEZ_DECIMAL_OK);
    CU_ASSERT_EQUAL(v, 1);
    CU_ASSERT_EQUAL(mez_mass_decimal_parse("1.234", 4, 2, MEZ_MASS_AMOUNT_MAX, &v), MEZ_DECIMAL_PRECISION);
    CU_ASSERT_EQUAL(mez_mass_decimal_parse("1.23456", 4, 6, MEZ_MASS_AMOUNT_MAX, &v), MEZ_DECIMAL_SYNTAX);
    CU_ASSERT_EQUAL(mez_mass_decimal_parse("-1", 4, 2, MEZ_MASS_AMOUNT_MAX, &v), MEZ_DECIMAL_SYNTAX);
    CU_ASSERT_EQUAL(mez_mass_decimal_parse("1e3", 4, 2, MEZ_MASS_AMOUNT_MAX, &v), MEZ_DECIMAL_SYNTAX);
    CU_ASSERT_EQUAL(mez_mass_decimal_parse(".5", 4, 2, MEZ_MASS_AMOUNT_MAX, &v), MEZ_DECIMAL_SYNTAX);
    CU_ASSERT_EQUAL(mez_mass_decimal_parse("5.", 4, 2, MEZ_MASS_AMOUNT_MAX, &v), MEZ_DECIMAL_SYNTAX);
    CU_ASSERT_EQUAL(mez_mass_decimal_parse("", 4, 2, MEZ_MASS_AMOUNT_MAX, &v), MEZ_DECIMAL_SYNTAX);
    CU_ASSERT_EQUAL(mez_mass_decimal_parse("10", 0, 0, MEZ_MASS_SHARES_MAX, &v), MEZ_DECIMAL_OK);
    CU_ASSERT_EQUAL(mez_mass_decimal_parse("10.0", 0, 0, MEZ_MASS_SHARES_MAX, &v), MEZ_DECIMAL_SYNTAX);
    CU_ASSERT_EQUAL(mez_mass_decimal_parse("99999999999999999999", 4, 2, MEZ_MASS_AMOUNT_MAX, &v),
                    MEZ_DECIMAL_TOO_LARGE);
    CU_ASSERT_EQUAL(mez_mass_decimal_parse("10000000000000.01", 4, 2, MEZ_MASS_AMOUNT_MAX, &v), MEZ_DECIMAL_TOO_LARGE);
    CU_ASSERT_EQUAL(mez_mass_decimal_parse("1.1234567", -1, 6, MEZ_MASS_PRICE_MAX, &v), MEZ_DECIMAL_PRECISION);
    CU_ASSERT_EQUAL(mez_mass_decimal_parse("1.1234560", -1, 6, MEZ_MASS_PRICE_MAX, &v), MEZ_DECIMAL_OK);
    CU_ASSERT_EQUAL(v, 1123456);
}

static void test_decimal_format_and_currencies(void)
{
    apr_pool_t *p = unit_pool();
    long d1 = 0, d2 = 0;
    CU_ASSERT_STRING_EQUAL(mez_mass_amount_format(p, 150025, 2), "1500.25");
    CU_ASSERT_STRING_EQUAL(mez_mass_amount_format(p, 5, 3), "0.005");
    CU_ASSERT_STRING_EQUAL(mez_mass_amount_format(p, -5, 2), "-0.05");
    CU_ASSERT_STRING_EQUAL(mez_mass_amount_format(p, 0, 2), "0.00");
    CU_ASSERT_STRING_EQUAL(mez_mass_amount_format(p, 42, 0), "42");
    CU_ASSERT_STRING_EQUAL(mez_mass_decimal_format(p, 12500000, 6), "12.5");
    CU_ASSERT_STRING_EQUAL(mez_mass_decimal_format(p, -3000000, 6), "-3");
    CU_ASSERT_STRING_EQUAL(mez_mass_decimal_format(p, 0, 6), "0");
    CU_ASSERT_EQUAL(mez_mass_currency_exponent("PKR"), 2);
    CU_ASSERT_EQUAL(mez_mass_currency_exponent("JPY"), 0);
    CU_ASSERT_EQUAL(mez_mass_currency_exponent("KWD"), 3);
    CU_ASSERT_EQUAL(mez_mass_currency_exponent("XXX"), -1);
    CU_ASSERT_TRUE(mez_mass_date_parse("2024-02-29", &d1));
    CU_ASSERT_FALSE(mez_mass_date_parse("2023-02-29", NULL));
    CU_ASSERT_FALSE(mez_mass_date_parse("2023-13-01", NULL));
    CU_ASSERT_TRUE(mez_mass_date_parse("1970-01-01", &d2));
    CU_ASSERT_EQUAL(d2, 0);
    CU_ASSERT_EQUAL(d1, 19782);
    CU_ASSERT_STRING_EQUAL(mez_mass_query_param(p, "a=1&cursor=x%3Ay&b", "cursor"), "x:y");
    CU_ASSERT_STRING_EQUAL(mez_mass_query_param(p, "a=1&cursor=x%3Ay&b", "b"), "");
    CU_ASSERT_PTR_NULL(mez_mass_query_param(p, "ab=1", "a"));
}

/* An account of entity for currency; returns its id. */
static const char *account(mez_db_t *db, const char *entity, const char *type, const char *currency)
{
    int st = 0;
    json_t *a = mass_unit_call(db, T0, "POST", "/v1/fiscal/accounts",
                               apr_psprintf(unit_pool(), "{\"entity_id\":\"%s\",\"account_type\":\"%s\",\"currency\":"
                                            "\"%s\",\"ntn\":%s}", entity, type, currency, ntn_json), NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 201);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(a, "balance"), strcmp(currency, "JPY") ? "0.00" : "0");
    return apr_pstrdup(unit_pool(), mass_unit_str(a, "account_id"));
}

static void deposit(mez_db_t *db, const char *acc, const char *amount, const char *currency)
{
    int st = 0;
    json_t *d = mass_unit_call(db, T0, "POST", apr_pstrcat(unit_pool(), "/v1/fiscal/accounts/", acc, "/deposits", NULL),
                               apr_psprintf(unit_pool(), "{\"amount\":\"%s\",\"currency\":\"%s\",\"reference\":\"wire\"}",
                                            amount, currency), NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 201);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(d, "clearing_account_id"), apr_pstrcat(unit_pool(), "sys_clearing_", currency,
                                                                              NULL));
}

static const char *pay_body(const char *from, const char *to, const char *amount, const char *extra)
{
    return apr_psprintf(unit_pool(), "{\"source_account_id\":\"%s\",\"destination\":{\"type\":\"internal_account\","
                        "\"account_id\":\"%s\"},\"amount\":\"%s\",\"currency\":\"PKR\",\"payment_type\":"
                        "\"goods_payment\"%s}", from, to, amount, extra ? extra : "");
}

static const char *balance_of(mez_db_t *db, const char *acc)
{
    int st = 0;
    json_t *a = mass_unit_call(db, T0, "GET", apr_pstrcat(unit_pool(), "/v1/fiscal/accounts/", acc, NULL), NULL, NULL,
                               &st);
    CU_ASSERT_EQUAL(st, 200);
    return apr_pstrdup(unit_pool(), mass_unit_str(a, "balance"));
}

static void assert_ledger_sound(mez_db_t *db)
{
    mez_problem_t pb = { 0 };
    int ok = 0;
    CU_ASSERT_EQUAL(mez_fiscal_check_all(unit_pool(), db, &ok, &pb), MEZ_OK);
    CU_ASSERT_TRUE(ok);
    CU_ASSERT_EQUAL(mass_unit_count(db, "SELECT COUNT(*) FROM (SELECT currency FROM mez_mass_ledger_line GROUP BY "
                                        "currency HAVING SUM(amount) <> 0) x"), 0);
    CU_ASSERT_EQUAL(mass_unit_count(db, "SELECT COUNT(*) FROM mez_mass_account WHERE balance < 0 AND "
                                        "kind <> 'external_clearing'"), 0);
}

static void test_accounts_and_deposit(void)
{
    mez_db_t *db = mass_unit_db();
    int st = 0;
    json_t *r;
    const char *a;
    mass_unit_entity(db, "ent_a", "ACTIVE");
    mass_unit_entity(db, "ent_gone", "DISSOLVED");
    a = account(db, "ent_a", "operating", "PKR");
    deposit(db, a, "1000.50", "PKR");
    CU_ASSERT_STRING_EQUAL(balance_of(db, a), "1000.50");
    CU_ASSERT_EQUAL(mass_unit_count(db, "SELECT balance FROM mez_mass_account WHERE account_id = 'sys_clearing_PKR'"),
                    -100050);
    r = mass_unit_call(db, T0, "POST", "/v1/fiscal/accounts",
                       apr_psprintf(unit_pool(), "{\"entity_id\":\"ent_none\",\"account_type\":\"operating\","
                                    "\"currency\":\"PKR\",\"ntn\":%s}", ntn_json), NULL, &st);
    CU_ASSERT_EQUAL(st, 422);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), "fiscal.entity_unknown");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "pointer"), "/entity_id");
    r = mass_unit_call(db, T0, "POST", "/v1/fiscal/accounts",
                       apr_psprintf(unit_pool(), "{\"entity_id\":\"ent_gone\",\"account_type\":\"operating\","
                                    "\"currency\":\"PKR\",\"ntn\":%s}", ntn_json), NULL, &st);
    CU_ASSERT_EQUAL(st, 409);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), "fiscal.entity_inactive");
    r = mass_unit_call(db, T0, "POST", "/v1/fiscal/accounts",
                       apr_psprintf(unit_pool(), "{\"entity_id\":\"ent_a\",\"account_type\":\"operating\","
                                    "\"currency\":\"XYZ\",\"ntn\":%s}", ntn_json), NULL, &st);
    CU_ASSERT_EQUAL(st, 422);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), "fiscal.unknown_currency");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "pointer"), "/currency");
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_mass_account"), 2); /* a and the clearing account */
    assert_ledger_sound(db);
}

static void test_payment_and_insufficient_funds(void)
{
    mez_db_t *db = mass_unit_db();
    const char *a, *b;
    int st = 0;
    long lines;
    json_t *r;
    mass_unit_entity(db, "ent_a", "ACTIVE");
    mass_unit_entity(db, "ent_b", "ACTIVE");
    a = account(db, "ent_a", "operating", "PKR");
    b = account(db, "ent_b", "operating", "PKR");
    deposit(db, a, "100", "PKR");
    r = mass_unit_call(db, T0, "POST", "/v1/fiscal/payments", pay_body(a, b, "60.25", NULL), NULL, &st);
    CU_ASSERT_EQUAL(st, 201);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "status"), "settled");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "gross_amount"), "60.25");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "net_amount"), "60.25");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "withholding_amount"), "0.00");
    CU_ASSERT_STRING_EQUAL(balance_of(db, a), "39.75");
    CU_ASSERT_STRING_EQUAL(balance_of(db, b), "60.25");
    lines = mass_unit_count(db, "mez_mass_ledger_line");
    r = mass_unit_call(db, T0, "POST", "/v1/fiscal/payments", pay_body(a, b, "39.76", NULL), NULL, &st);
    CU_ASSERT_EQUAL(st, 422);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), "fiscal.insufficient_funds");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "pointer"), "/source_account_id");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "available"), "39.75");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "requested"), "39.76");
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_mass_ledger_line"), lines);
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_mass_payment"), 1);
    CU_ASSERT_STRING_EQUAL(balance_of(db, a), "39.75");
    /* Exactly the whole balance is fine; then nothing is left. */
    r = mass_unit_call(db, T0, "POST", "/v1/fiscal/payments", pay_body(a, b, "39.75", NULL), NULL, &st);
    CU_ASSERT_EQUAL(st, 201);
    CU_ASSERT_STRING_EQUAL(balance_of(db, a), "0.00");
    /* The same Idempotency-Key and body answers the first answer and moves nothing. */
    r = mass_unit_call(db, T0, "POST", "/v1/fiscal/payments", pay_body(b, a, "1", NULL), "k1", &st);
    CU_ASSERT_EQUAL(st, 201);
    r = mass_unit_call(db, T0, "POST", "/v1/fiscal/payments", pay_body(b, a, "1", NULL), "k1", &st);
    CU_ASSERT_EQUAL(st, 201);
    CU_ASSERT_STRING_EQUAL(balance_of(db, a), "1.00");
    CU_ASSERT_STRING_EQUAL(balance_of(db, b), "99.00");
    assert_ledger_sound(db);
}

static void test_bad_payments_change_nothing(void)
{
    static const struct { const char *amount, *extra, *code, *pointer; } cases[] = {
        { "1.23456", NULL, "fiscal.invalid_amount", "/amount" },
        { "-1", NULL, "fiscal.invalid_amount", "/amount" },
        { "1e3", NULL, "fiscal.invalid_amount", "/amount" },
        { "1.234", NULL, "fiscal.amount_precision", "/amount" },
        { "0.00", NULL, "fiscal.amount_not_positive", "/amount" },
        { "10", ",\"colour\":\"red\"", "request.unknown_field", "/colour" },
        { "10", ",\"reference\":7", "request.invalid_type", "/reference" },
        { "10", ",\"metadata\":{\"withholding\":{\"amount\":\"1.00\",\"rate\":\"0.2\",\"section\":\"153\","
                "\"account_id\":\"nope\",\"tax_year\":\"2026\"}}", "fiscal.withholding_inconsistent",
          "/metadata/withholding/amount" },
    };
    mez_db_t *db = mass_unit_db();
    const char *a, *b, *usd;
    int st = 0;
    json_t *r;
    mass_unit_entity(db, "ent_a", "ACTIVE");
    a = account(db, "ent_a", "operating", "PKR");
    b = account(db, "ent_a", "reserve", "PKR");
    usd = account(db, "ent_a", "operating", "USD");
    deposit(db, a, "100", "PKR");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        r = mass_unit_call(db, T0, "POST", "/v1/fiscal/payments", pay_body(a, b, cases[i].amount, cases[i].extra),
                           NULL, &st);
        CU_ASSERT_EQUAL(st, 422);
        CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), cases[i].code);
        CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "pointer"), cases[i].pointer);
    }
    r = mass_unit_call(db, T0, "POST", "/v1/fiscal/payments", pay_body(a, usd, "1", NULL), NULL, &st);
    CU_ASSERT_EQUAL(st, 422);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), "fiscal.currency_mismatch");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "pointer"), "/destination/account_id");
    /* A frozen account neither pays nor receives. */
    r = mass_unit_call(db, T0, "POST", apr_pstrcat(unit_pool(), "/v1/fiscal/accounts/", b, "/status", NULL),
                       "{\"status\":\"frozen\",\"reason\":\"review\"}", NULL, &st);
    CU_ASSERT_EQUAL(st, 200);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "status"), "frozen");
    r = mass_unit_call(db, T0, "POST", "/v1/fiscal/payments", pay_body(a, b, "1", NULL), NULL, &st);
    CU_ASSERT_EQUAL(st, 409);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), "fiscal.account_frozen");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "pointer"), "/destination/account_id");
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_mass_payment"), 0);
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_mass_ledger_line"), 2);
    CU_ASSERT_STRING_EQUAL(balance_of(db, a), "100.00");
    assert_ledger_sound(db);
}

static void test_holds_and_expiry(void)
{
    mez_db_t *db = mass_unit_db();
    const char *a, *b, *hold, *path;
    int st = 0;
    json_t *r;
    mass_unit_entity(db, "ent_a", "ACTIVE");
    a = account(db, "ent_a", "operating", "PKR");
    b = account(db, "ent_a", "reserve", "PKR");
    deposit(db, a, "100", "PKR");
    path = apr_pstrcat(unit_pool(), "/v1/fiscal/accounts/", a, "/holds", NULL);
    r = mass_unit_call(db, T0, "POST", path, "{\"amount\":\"70\",\"reason\":\"escrow\",\"expires_at\":"
                       "\"2026-05-29T00:00:00Z\"}", NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 201);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "account_available"), "30.00");
    hold = apr_pstrdup(unit_pool(), mass_unit_str(r, "hold_id"));
    r = mass_unit_call(db, T0, "POST", "/v1/fiscal/payments", pay_body(a, b, "30.01", NULL), NULL, &st);
    CU_ASSERT_EQUAL(st, 422);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "available"), "30.00");
    r = mass_unit_call(db, T0, "POST", path, "{\"amount\":\"30.01\",\"reason\":\"more\"}", NULL, &st);
    CU_ASSERT_EQUAL(st, 422);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), "fiscal.insufficient_funds");
    /* A day later the hold has expired: the whole balance is available again. */
    r = mass_unit_call(db, T0 + 86400, "POST", "/v1/fiscal/payments", pay_body(a, b, "100", NULL), NULL, &st);
    CU_ASSERT_EQUAL(st, 201);
    CU_ASSERT_EQUAL(mass_unit_count(db, "SELECT COUNT(*) FROM mez_mass_hold WHERE status = 'expired'"), 1);
    r = mass_unit_call(db, T0 + 86400, "POST", apr_pstrcat(unit_pool(), path, "/", hold, "/release", NULL), "{}", NULL,
                       &st);
    CU_ASSERT_EQUAL(st, 409);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), "fiscal.hold_not_active");
    /* A released hold stops counting at once. */
    deposit(db, b, "0.01", "PKR");
    path = apr_pstrcat(unit_pool(), "/v1/fiscal/accounts/", b, "/holds", NULL);
    r = mass_unit_call(db, T0, "POST", path, "{\"amount\":\"100.01\",\"reason\":\"all\"}", NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 201);
    hold = apr_pstrdup(unit_pool(), mass_unit_str(r, "hold_id"));
    r = mass_unit_call(db, T0, "POST", apr_pstrcat(unit_pool(), path, "/", hold, "/release", NULL), "{}", NULL, &st);
    CU_ASSERT_EQUAL(st, 200);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "status"), "released");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "account_available"), "100.01");
    assert_ledger_sound(db);
}

/* Entity ent_a with an operating account a holding Rs 1,000 and a withholding account w, and ent_b's operating
 * account b: a payer, its payee and where the tax it withholds goes. */
static void payer_payee_withholding(mez_db_t *db, const char **a, const char **b, const char **w)
{
    mass_unit_entity(db, "ent_a", "ACTIVE");
    mass_unit_entity(db, "ent_b", "ACTIVE");
    *a = account(db, "ent_a", "operating", "PKR");
    *b = account(db, "ent_b", "operating", "PKR");
    *w = account(db, "ent_a", "withholding", "PKR");
    deposit(db, *a, "1000", "PKR");
}

static void test_withholding_and_external(void)
{
    mez_db_t *db = mass_unit_db();
    const char *a, *b, *w;
    int st = 0;
    json_t *r;
    payer_payee_withholding(db, &a, &b, &w);
    r = mass_unit_call(db, T0, "POST", "/v1/fiscal/payments",
                       pay_body(a, b, "200.00", apr_psprintf(unit_pool(), ",\"metadata\":{\"withholding\":{\"amount\":"
                                "\"9.00\",\"rate\":\"0.045\",\"statute\":\"Income Tax Ordinance 2001\",\"section\":"
                                "\"153(1)(a)\",\"account_id\":\"%s\",\"tax_year\":\"2026\"}}", w)), NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 201);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "withholding_amount"), "9.00");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "net_amount"), "191.00");
    CU_ASSERT_PTR_NOT_NULL(json_object_get(r, "withholding_details"));
    CU_ASSERT_STRING_EQUAL(balance_of(db, b), "191.00");
    CU_ASSERT_STRING_EQUAL(balance_of(db, w), "9.00");
    CU_ASSERT_STRING_EQUAL(balance_of(db, a), "800.00");
    CU_ASSERT_EQUAL(mass_unit_count(db, "SELECT COUNT(*) FROM mez_mass_ledger_line WHERE txn_id = (SELECT txn_id FROM "
                                        "mez_mass_ledger_txn WHERE kind = 'payment')"), 3);
    r = mass_unit_call(db, T0, "GET", "/v1/fiscal/ent_a/tax-events", NULL, NULL, &st);
    CU_ASSERT_EQUAL(st, 200);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "total_count")), 1);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(json_array_get(json_object_get(r, "events"), 0), "amount"), "9.00");
    /* The tax report: ent_b had 9.00 withheld from the 200.00 it received, ent_a withheld it; the digest is that of
     * the canonical report without it. */
    for (int i = 0; i < 2; i++) {
        const json_t *sum;
        json_t *copy;
        mez_digest_t d;
        r = mass_unit_call(db, T0, "POST", "/v1/fiscal/reporting/generate",
                           apr_psprintf(unit_pool(), "{\"entity_id\":\"%s\",\"tax_year\":\"2026\",\"output_format\":"
                                        "\"structured_json\"}", i ? "ent_a" : "ent_b"), NULL, &st);
        CU_ASSERT_EQUAL_FATAL(st, 200);
        sum = json_object_get(r, "summary");
        CU_ASSERT_STRING_EQUAL(mass_unit_str(sum, "total_income"), i ? "0.00" : "200.00");
        CU_ASSERT_STRING_EQUAL(mass_unit_str(sum, "total_withholding_deducted"), i ? "0.00" : "9.00");
        CU_ASSERT_STRING_EQUAL(mass_unit_str(sum, "total_withholding_collected"), i ? "9.00" : "0.00");
        CU_ASSERT_EQUAL(json_integer_value(json_object_get(sum, "total_tax_events")), 1);
        CU_ASSERT_EQUAL(json_array_size(json_object_get(r, "line_items")), 1);
        copy = json_deep_copy(r);
        json_object_del(copy, "report_digest");
        CU_ASSERT_EQUAL_FATAL(mez_digest_json(unit_pool(), copy, &d, NULL), MEZ_OK);
        CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "report_digest"), mez_digest_hex(unit_pool(), &d));
        json_decref(copy);
    }
    r = mass_unit_call(db, T0, "POST", "/v1/fiscal/reporting/generate",
                       "{\"entity_id\":\"ent_a\",\"tax_year\":\"2026\",\"output_format\":\"fbr_iris_xml\"}",
                       NULL, &st);
    CU_ASSERT_EQUAL(st, 422);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), "fiscal.format_unsupported");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "pointer"), "/output_format");
    /* Bank payment: out of the account into the zone's outbound account, processing until the bank leg. */
    r = mass_unit_call(db, T0, "POST", "/v1/fiscal/payments",
                       apr_psprintf(unit_pool(), "{\"source_account_id\":\"%s\",\"destination\":{\"type\":"
                                    "\"external_bank\",\"bank_details\":{\"iban\":\"PK36SCBL0000001123456702\"}},"
                                    "\"amount\":\"50\",\"currency\":\"PKR\",\"payment_type\":\"service_fee\"}", a),
                       NULL, &st);
    CU_ASSERT_EQUAL(st, 201);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "status"), "processing");
    CU_ASSERT_PTR_NULL(json_object_get(r, "settled_at"));
    CU_ASSERT_EQUAL(mass_unit_count(db, "SELECT balance FROM mez_mass_account WHERE account_id = 'sys_outbound_PKR'"),
                    5000);
    /* The bank confirms it: the net leaves the zone (outbound -> clearing), once. */
    {
        const char *pid = apr_pstrdup(unit_pool(), mass_unit_str(r, "payment_id"));
        const char *path = apr_pstrcat(unit_pool(), "/v1/fiscal/payments/", pid, "/settle", NULL);
        int clearing = mass_unit_count(db, "SELECT balance FROM mez_mass_account WHERE account_id = "
                                           "'sys_clearing_PKR'");
        r = mass_unit_call(db, T0, "POST", path, "{\"reference\":\"FT1\"}", NULL, &st);
        CU_ASSERT_EQUAL(st, 200);
        CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "status"), "settled");
        CU_ASSERT_EQUAL(mass_unit_count(db, "SELECT balance FROM mez_mass_account WHERE account_id = "
                                            "'sys_outbound_PKR'"), 0);
        CU_ASSERT_EQUAL(mass_unit_count(db, "SELECT balance FROM mez_mass_account WHERE account_id = "
                                            "'sys_clearing_PKR'"), clearing + 5000);
        r = mass_unit_call(db, T0, "POST", path, "{\"reference\":\"FT1\"}", NULL, &st);
        CU_ASSERT_EQUAL(st, 409);
        CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), "fiscal.payment_settled");
        r = mass_unit_call(db, T0, "POST", apr_pstrcat(unit_pool(), "/v1/fiscal/payments/", pid, "/return", NULL),
                           "{\"reason\":\"late\"}", NULL, &st);
        CU_ASSERT_EQUAL(st, 409);
    }
    r = mass_unit_call(db, T0, "POST", "/v1/fiscal/withholding/calculate", "{}", NULL, &st);
    CU_ASSERT_EQUAL(st, 501);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), "mass.not_in_store");
    assert_ledger_sound(db);
}

/* A pattern that fails after capturing a segment leaves the captures of an earlier match alone: routers try
 * several patterns with one array (mod_mez_orchestrate.c: the write's id, then the reads). */
static void test_path_match_captures_only_on_a_match(void)
{
    const char *caps[2] = { NULL, NULL };
    const char *path = "/v1/fiscal/payments/pay_1/settle";
    CU_ASSERT_TRUE(mez_mass_path_match(unit_pool(), path, "/v1/fiscal/payments/*/settle", caps, 2));
    CU_ASSERT_STRING_EQUAL(caps[0], "pay_1");
    CU_ASSERT_FALSE(mez_mass_path_match(unit_pool(), path, "/v1/fiscal/*/tax-events", caps, 1));
    CU_ASSERT_FALSE(mez_mass_path_match(unit_pool(), path, "/v1/fiscal/payments/*", caps, 1));
    CU_ASSERT_STRING_EQUAL(caps[0], "pay_1");
    CU_ASSERT_PTR_NULL(caps[1]);
    CU_ASSERT_FALSE(mez_mass_path_match(unit_pool(), "/v1/fiscal/payments//settle", "/v1/fiscal/payments/*/settle",
                                        caps, 1));
    CU_ASSERT_TRUE(mez_mass_path_match(unit_pool(), "/v1/licences/lic_1/grant", "/v1/licences/*/*", caps, 2));
    CU_ASSERT_STRING_EQUAL(caps[0], "lic_1");
    CU_ASSERT_STRING_EQUAL(caps[1], "grant");
}

/* A new entity's operating account with Rs 10 deposited, the ledger sound: what the invariant tests corrupt. */
static const char *funded_account(mez_db_t *db, const char *entity_id)
{
    const char *a;
    mass_unit_entity(db, entity_id, "ACTIVE");
    a = account(db, entity_id, "operating", "PKR");
    deposit(db, a, "10", "PKR");
    assert_ledger_sound(db);
    return a;
}

/* Corrupts the ledger with sql (its one argument: account a), then the whole-ledger check must find it:
 * fiscal.invariant_violated, its detail holding want when given. */
static void assert_check_finds(mez_db_t *db, const char *sql, const char *a, const char *want)
{
    mez_problem_t pb = { 0 };
    int ok = 1;
    CU_ASSERT_EQUAL(mez_db_execv(unit_pool(), db, NULL, sql, &pb, a, NULL), MEZ_OK);
    CU_ASSERT_EQUAL(mez_fiscal_check_all(unit_pool(), db, &ok, &pb), MEZ_OK);
    CU_ASSERT_FALSE(ok);
    CU_ASSERT_PTR_NOT_NULL(pb.code);
    CU_ASSERT_STRING_EQUAL(pb.code ? pb.code : "", "fiscal.invariant_violated");
    if (want)
        CU_ASSERT_PTR_NOT_NULL(pb.detail ? strstr(pb.detail, want) : NULL);
}

static void test_invariant_check_catches_corruption(void)
{
    mez_db_t *db = mass_unit_db();
    mez_problem_t pb = { 0 };
    const char *a = funded_account(db, "ent_a");
    /* A balance changed outside the ledger is found. */
    assert_check_finds(db, "UPDATE mez_mass_account SET balance = balance + 1 WHERE account_id = %s", a, NULL);
    /* The check after a posting reads every account it touched (in one query): a payment into an account whose
     * held no longer matches its holds (the second of its accounts, not the first) is refused 500 and writes
     * nothing. */
    {
        const char *b = account(db, "ent_a", "reserve", "PKR");
        int payments = mass_unit_count(db, "SELECT COUNT(*) FROM mez_mass_payment"), st = 0;
        json_t *r;
        CU_ASSERT_EQUAL(mez_db_execv(unit_pool(), db, NULL, "UPDATE mez_mass_account SET balance = balance - 1 "
                                     "WHERE account_id = %s", &pb, a, NULL), MEZ_OK);
        deposit(db, b, "5", "PKR");
        CU_ASSERT_EQUAL(mez_db_execv(unit_pool(), db, NULL, "UPDATE mez_mass_account SET held = 1 "
                                     "WHERE account_id = %s", &pb, b, NULL), MEZ_OK);
        r = mass_unit_call(db, T0, "POST", "/v1/fiscal/payments", pay_body(a, b, "2.00", ""), NULL, &st);
        CU_ASSERT_EQUAL(st, 500);
        CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), "fiscal.invariant_violated");
        CU_ASSERT_EQUAL(mass_unit_count(db, "SELECT COUNT(*) FROM mez_mass_payment"), payments);
        CU_ASSERT_STRING_EQUAL(balance_of(db, a), "10.00");
    }
    /* And the CHECK constraint refuses a negative balance outright. */
    CU_ASSERT_NOT_EQUAL(mez_db_execv(unit_pool(), db, NULL, "UPDATE mez_mass_account SET balance = -1 "
                                     "WHERE account_id = %s", &pb, a, NULL), MEZ_OK);
}

/* A transaction whose lines no longer sum to zero is named as such: the sums are added up from the rows the chain
 * check reads (one query), and checked first. */
static void test_invariant_check_names_an_unbalanced_transaction(void)
{
    mez_db_t *db = mass_unit_db();
    mez_problem_t pb = { 0 };
    const char *a = funded_account(db, "ent_u");
    assert_check_finds(db, "UPDATE mez_mass_ledger_line SET amount = amount + 1 WHERE account_id = %s", a,
                       "sums to 1 PKR");
    /* Balanced again, then one line moved into another currency: each currency is summed on its own. */
    CU_ASSERT_EQUAL(mez_db_execv(unit_pool(), db, NULL, "UPDATE mez_mass_ledger_line SET amount = amount - 1 "
                                 "WHERE account_id = %s", &pb, a, NULL), MEZ_OK);
    assert_ledger_sound(db);
    assert_check_finds(db, "UPDATE mez_mass_ledger_line SET currency = 'USD' WHERE account_id = %s", a, "sums to");
}

/* The tax events (their occurred_at, in order) that GET /v1/fiscal/ent_a/tax-events?query lists on calendar tz. */
static const char *listed(mez_db_t *db, const mez_tz_t *tz, const char *query)
{
    int st = 0;
    json_t *r = mass_unit_call_tz(db, tz, T0, "GET", apr_pstrcat(unit_pool(), "/v1/fiscal/ent_a/tax-events?", query,
                                                                 NULL), NULL, NULL, &st);
    const json_t *e;
    const char *s = "";
    size_t i;
    CU_ASSERT_EQUAL_FATAL(st, 200);
    json_array_foreach(json_object_get(r, "events"), i, e)
        s = apr_pstrcat(unit_pool(), s, *s ? " " : "", mass_unit_str(e, "occurred_at"), NULL);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "total_count")), (json_int_t)json_array_size(
                    json_object_get(r, "events")));
    return s;
}

/* from_date and to_date are the zone's days: in Karachi (UTC+5) 20:00 UTC on 30 June is 01:00 on 1 July, and
 * 19:00 UTC on 1 July is already 2 July. Before, the bounds were UTC's midnights whatever the zone's calendar. */
static void test_tax_event_dates_are_the_zones(void)
{
    static const long at[] = { 1782845999L,      /* 2026-06-30T18:59:59Z: 23:59:59 on 30 June in Karachi */
                               1782849600L,      /* 2026-06-30T20:00:00Z: 01:00 on 1 July */
                               1782932400L };    /* 2026-07-01T19:00:00Z: 00:00 on 2 July */
    const mez_tz_t *pk = NULL;
    mez_problem_t pb = { 0 };
    mez_db_t *db = mass_unit_db();
    const char *a, *b, *w;
    int st = 0;

    CU_ASSERT_EQUAL_FATAL(mez_tz_load(unit_pool(), NULL, "Asia/Karachi", &pk, &pb), MEZ_OK);
    payer_payee_withholding(db, &a, &b, &w);
    for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
        mass_unit_call_tz(db, pk, at[i], "POST", "/v1/fiscal/payments",
                          pay_body(a, b, "100.00", apr_psprintf(unit_pool(), ",\"metadata\":{\"withholding\":{"
                                   "\"amount\":\"1.00\",\"rate\":\"0.01\",\"section\":\"153(1)(a)\","
                                   "\"account_id\":\"%s\",\"tax_year\":\"%s\"}}", w, i ? "2027" : "2026")),
                          NULL, &st);
        CU_ASSERT_EQUAL_FATAL(st, 201);
    }
    CU_ASSERT_STRING_EQUAL(listed(db, pk, "from_date=2026-07-01&to_date=2026-07-01"), "2026-06-30T20:00:00Z");
    CU_ASSERT_STRING_EQUAL(listed(db, pk, "to_date=2026-06-30"), "2026-06-30T18:59:59Z");
    CU_ASSERT_STRING_EQUAL(listed(db, pk, "from_date=2026-07-02"), "2026-07-01T19:00:00Z");
    CU_ASSERT_STRING_EQUAL(listed(db, pk, "from_date=2026-07-01"), "2026-06-30T20:00:00Z 2026-07-01T19:00:00Z");
    /* The dates and the tax year agree: 1 July is the first day of tax year 2027. */
    CU_ASSERT_STRING_EQUAL(listed(db, pk, "tax_year=2027&from_date=2026-07-01&to_date=2026-07-01"),
                           "2026-06-30T20:00:00Z");
    /* Without a calendar (NULL): UTC's days. */
    CU_ASSERT_STRING_EQUAL(listed(db, NULL, "to_date=2026-06-30"), "2026-06-30T18:59:59Z 2026-06-30T20:00:00Z");
    CU_ASSERT_STRING_EQUAL(listed(db, NULL, "from_date=2026-07-01&to_date=2026-07-01"), "2026-07-01T19:00:00Z");
}

/* What payer ent_a paid payee under the aggregate in the tax year, as GET .../payment-aggregate answers it:
 * "<gross_amount>/<payment_count>". */
static const char *aggregate_of(mez_db_t *db, const char *payee, const char *aggregate, const char *year)
{
    /* mass_unit_call sends no query, so the request is made here, in a transaction as mod_mez makes it. */
    mez_mass_store_ctx_t ctx = { "pk-sifc", "pk-sifc", apr_time_from_sec(T0), NULL, NULL, NULL };
    mez_mass_request_t req = { "GET", "/v1/fiscal/ent_a/payment-aggregate", NULL, NULL, NULL };
    mez_mass_response_t resp = { 0 };
    mez_problem_t pb = { 0 };
    mez_db_tx_t *tx;
    const char *out;
    req.query = apr_psprintf(unit_pool(), "payee=%s&aggregate=%s&tax_year=%s&currency=PKR", payee, aggregate, year);
    CU_ASSERT_EQUAL_FATAL(mez_db_begin(unit_pool(), db, &tx, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_mass_store_handle(unit_pool(), db, &ctx, &req, &resp, &pb), MEZ_OK);
    CU_ASSERT_EQUAL_FATAL(mez_db_commit(unit_pool(), tx, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(resp.status, 200);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(resp.body, "entity_id"), "ent_a");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(resp.body, "payee"), payee);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(resp.body, "aggregate"), aggregate);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(resp.body, "tax_year"), year);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(resp.body, "currency"), "PKR");
    out = apr_psprintf(unit_pool(), "%s/%d", mass_unit_str(resp.body, "gross_amount"),
                       (int)json_integer_value(json_object_get(resp.body, "payment_count")));
    json_decref(resp.body);
    return out;
}

/* The same request with any query, for its refusals: the answer's code and pointer, "<status> <code> <pointer>". */
static const char *aggregate_refused(mez_db_t *db, const char *entity, const char *query)
{
    mez_mass_store_ctx_t ctx = { "pk-sifc", "pk-sifc", apr_time_from_sec(T0), NULL, NULL, NULL };
    mez_mass_request_t req = { "GET", apr_pstrcat(unit_pool(), "/v1/fiscal/", entity, "/payment-aggregate", NULL),
                               query, NULL, NULL };
    mez_mass_response_t resp = { 0 };
    mez_problem_t pb = { 0 };
    const char *out;
    CU_ASSERT_EQUAL_FATAL(mez_mass_store_handle(unit_pool(), db, &ctx, &req, &resp, &pb), MEZ_OK);
    out = apr_psprintf(unit_pool(), "%d %s %s", resp.status, mass_unit_str(resp.body, "code"),
                       mass_unit_str(resp.body, "pointer"));
    json_decref(resp.body);
    return out;
}

#define TAX_AGG(paid) ",\"metadata\":{\"tax_aggregate\":{\"aggregate\":\"services_paid_to_payee\",\"tax_year\":" \
    "\"2026\",\"paid_before\":\"" paid "\"}}"

/* One zone's call (a caller acting for zone, a token made with --mass-zone), answered with its status. */
static json_t *as_zone(mez_db_t *db, const char *zone, const char *method, const char *path, const char *body,
                       int expect)
{
    int st = 0;
    json_t *r = mass_unit_call_as(db, zone, T0, method, path, body, &st);
    CU_ASSERT_EQUAL(st, expect);
    if (st != expect)
        fprintf(stderr, "\n%s %s as %s: %d %s\n", method, path, zone ? zone : "the store", st,
                mass_unit_str(r, "detail"));
    return r;
}

/* A store several zones share: what one zone's caller makes is stamped with its zone, and another zone's caller
 * finds none of it (the same 404 or "unknown" refusal as for an id that does not exist), not even what the first
 * has paid a payee under s. 153's aggregate; the store's own callers see every record. */
static void test_a_zone_reaches_its_own_records_only(void)
{
    mez_db_t *db = mass_unit_db();
    const char *gw = "pk-gwadar", *other = "pk-other", *ids[2], *acc[2], *pid, *agg;
    const char *ntn_body = ",\"currency\":\"PKR\",\"ntn\":{\"ntn_number\":\"1234567\",\"ntn_type\":\"company\"}}";
    long payments, totals;
    json_t *r;

    for (int i = 0; i < 2; i++) {
        r = as_zone(db, gw, "POST", "/v1/entities",
                    apr_psprintf(unit_pool(), "{\"entity_type\":\"llc\",\"legal_name\":\"Gwadar Party %d\","
                                 "\"directors\":[{\"name\":\"Jane Director\",\"role\":\"director\"}]}", i), 201);
        ids[i] = apr_pstrdup(unit_pool(), mass_unit_str(r, "entity_id"));
        CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "jurisdiction_id"), gw);
        as_zone(db, gw, "PUT", apr_pstrcat(unit_pool(), "/v1/entities/", ids[i], "/status", NULL),
                "{\"target_status\":\"ACTIVE\"}", 200);
        r = as_zone(db, gw, "POST", "/v1/fiscal/accounts",
                    apr_pstrcat(unit_pool(), "{\"entity_id\":\"", ids[i], "\",\"account_type\":\"operating\"",
                                ntn_body, NULL), 201);
        acc[i] = apr_pstrdup(unit_pool(), mass_unit_str(r, "account_id"));
    }
    as_zone(db, gw, "POST", apr_pstrcat(unit_pool(), "/v1/fiscal/accounts/", acc[0], "/deposits", NULL),
            "{\"amount\":\"100000\",\"currency\":\"PKR\",\"reference\":\"capital\"}", 201);
    r = as_zone(db, gw, "POST", "/v1/fiscal/payments", pay_body(acc[0], acc[1], "20000", TAX_AGG("0")), 201);
    pid = apr_pstrdup(unit_pool(), mass_unit_str(r, "payment_id"));
    CU_ASSERT_EQUAL(mass_unit_count(db, apr_pstrcat(unit_pool(), "SELECT COUNT(*) FROM mez_mass_payment WHERE "
                                                   "zone_id = 'pk-gwadar' AND payment_id = '", pid, "'", NULL)), 1);
    CU_ASSERT_EQUAL(mass_unit_count(db, "SELECT COUNT(*) FROM mez_mass_entity WHERE zone_id = 'pk-gwadar'"), 2);
    agg = apr_psprintf(unit_pool(), "/v1/fiscal/%s/payment-aggregate?payee=entity:%s&aggregate=services_paid_to_payee"
                       "&tax_year=2026&currency=PKR", ids[0], ids[1]);
    r = as_zone(db, gw, "GET", agg, NULL, 200);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "gross_amount"), "20000.00");

    /* Another zone: every one of them is unknown, and what it tries changes nothing. */
    payments = mass_unit_count(db, "mez_mass_payment");
    totals = mass_unit_count(db, "SELECT COALESCE(SUM(gross_amount), 0) FROM mez_mass_payment_totals");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(as_zone(db, other, "GET", apr_pstrcat(unit_pool(), "/v1/entities/", ids[0],
                                                                              NULL), NULL, 404), "code"),
                           "mass.not_found");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(as_zone(db, other, "GET", agg, NULL, 404), "code"), "mass.not_found");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(as_zone(db, other, "GET", apr_pstrcat(unit_pool(), "/v1/fiscal/payments/",
                                                                              pid, NULL), NULL, 404), "code"),
                           "mass.not_found");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(as_zone(db, other, "GET", apr_pstrcat(unit_pool(), "/v1/fiscal/accounts/",
                                                                              acc[0], NULL), NULL, 404), "code"),
                           "mass.not_found");
    r = as_zone(db, other, "POST", "/v1/fiscal/payments", pay_body(acc[0], acc[1], "20000", TAX_AGG("20000")), 422);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), "fiscal.account_unknown");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "pointer"), "/source_account_id");
    r = as_zone(db, other, "POST", apr_pstrcat(unit_pool(), "/v1/fiscal/payments/", pid, "/return", NULL),
                "{\"reason\":\"not ours\"}", 404);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), "mass.not_found");
    r = as_zone(db, other, "POST", "/v1/entities",
                "{\"entity_type\":\"llc\",\"legal_name\":\"Elsewhere Co\",\"jurisdiction_id\":\"pk-gwadar\","
                "\"directors\":[{\"name\":\"Jane Director\",\"role\":\"director\"}]}", 422);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), "entity.foreign_jurisdiction");
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_mass_payment"), payments);
    CU_ASSERT_EQUAL(mass_unit_count(db, "SELECT COALESCE(SUM(gross_amount), 0) FROM mez_mass_payment_totals"), totals);
    CU_ASSERT_EQUAL(mass_unit_count(db, "SELECT COUNT(*) FROM mez_mass_entity WHERE legal_name = 'Elsewhere Co'"), 0);

    /* The store's own caller sees all of it. */
    r = as_zone(db, NULL, "GET", agg, NULL, 200);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "gross_amount"), "20000.00");
    as_zone(db, NULL, "GET", apr_pstrcat(unit_pool(), "/v1/fiscal/payments/", pid, NULL), NULL, 200);
}

/* A withholding threshold on the aggregate paid to the payee in the tax year (s. 153(1)(b)): the store records what
 * each payment adds to, adds up a payer's payments to one payee under one aggregate in one tax year that have not
 * failed, and refuses a payment judged on a figure that is no longer what it holds. */
static void test_payment_aggregates(void)
{
    mez_db_t *db = mass_unit_db();
    const char *a, *b, *w, *c, *iban = "{\"type\":\"external_bank\",\"bank_details\":{\"iban\":"
                                       "\"pk36 scbl 0000 0011 2345 6702\"}}";
    int st = 0;
    long payments;
    json_t *r;

    payer_payee_withholding(db, &a, &b, &w);
    mass_unit_entity(db, "ent_c", "ACTIVE");
    c = account(db, "ent_c", "operating", "PKR");
    deposit(db, a, "200000", "PKR");
    CU_ASSERT_STRING_EQUAL(aggregate_of(db, "entity:ent_b", "services_paid_to_payee", "2026"), "0.00/0");

    /* Rs 20,000 to ent_b, judged on nothing paid before. */
    r = mass_unit_call(db, T0, "POST", "/v1/fiscal/payments", pay_body(a, b, "20000", TAX_AGG("0")), NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 201);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(json_object_get(json_object_get(r, "metadata"), "tax_aggregate"),
                                         "paid_before"), "0");
    CU_ASSERT_EQUAL(mass_unit_count(db, "SELECT COUNT(*) FROM mez_mass_payment WHERE payer_entity_id = 'ent_a' AND "
                                        "payee_ref = 'entity:ent_b' AND tax_aggregate = 'services_paid_to_payee' "
                                        "AND tax_year = '2026'"), 1);
    CU_ASSERT_STRING_EQUAL(aggregate_of(db, "entity:ent_b", "services_paid_to_payee", "2026"), "20000.00/1");
    /* Another payee, another tax year, another aggregate: not counted. */
    CU_ASSERT_STRING_EQUAL(aggregate_of(db, "entity:ent_c", "services_paid_to_payee", "2026"), "0.00/0");
    CU_ASSERT_STRING_EQUAL(aggregate_of(db, "entity:ent_b", "services_paid_to_payee", "2027"), "0.00/0");
    CU_ASSERT_STRING_EQUAL(aggregate_of(db, "entity:ent_b", "goods_paid_to_payee", "2026"), "0.00/0");

    /* A second payment judged on the old figure (nothing before): the store holds Rs 20,000, so it is refused and
     * nothing moves. */
    payments = mass_unit_count(db, "mez_mass_payment");
    r = mass_unit_call(db, T0, "POST", "/v1/fiscal/payments", pay_body(a, b, "20000", TAX_AGG("0")), NULL, &st);
    CU_ASSERT_EQUAL(st, 409);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), "fiscal.aggregate_changed");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "pointer"), "/metadata/tax_aggregate/paid_before");
    CU_ASSERT_PTR_NOT_NULL(strstr(mass_unit_str(r, "detail"), "20000.00"));
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_mass_payment"), payments);
    CU_ASSERT_STRING_EQUAL(balance_of(db, a), "181000.00");
    /* Judged on Rs 20,000: recorded, Rs 40,000 in all. To ent_c it adds to ent_c's own. */
    r = mass_unit_call(db, T0, "POST", "/v1/fiscal/payments", pay_body(a, b, "20000.00", TAX_AGG("20000")), NULL,
                       &st);
    CU_ASSERT_EQUAL_FATAL(st, 201);
    CU_ASSERT_STRING_EQUAL(aggregate_of(db, "entity:ent_b", "services_paid_to_payee", "2026"), "40000.00/2");
    r = mass_unit_call(db, T0, "POST", "/v1/fiscal/payments", pay_body(a, c, "5000", TAX_AGG("0")), NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 201);
    CU_ASSERT_STRING_EQUAL(aggregate_of(db, "entity:ent_c", "services_paid_to_payee", "2026"), "5000.00/1");
    CU_ASSERT_STRING_EQUAL(aggregate_of(db, "entity:ent_b", "services_paid_to_payee", "2026"), "40000.00/2");
    /* A payment naming no aggregate adds to none. */
    r = mass_unit_call(db, T0, "POST", "/v1/fiscal/payments", pay_body(a, b, "100", NULL), NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 201);
    CU_ASSERT_STRING_EQUAL(aggregate_of(db, "entity:ent_b", "services_paid_to_payee", "2026"), "40000.00/2");
    /* The same request under its body idempotency_key is the first payment again, not a refusal: the figures
     * already hold it. */
    {
        const char *keyed = pay_body(a, c, "1000", ",\"idempotency_key\":\"6f1c2c62-1a5e-4f5e-9d0b-0c1a2b3c4d5e\""
                                                    TAX_AGG("5000"));
        json_t *first = mass_unit_call(db, T0, "POST", "/v1/fiscal/payments", keyed, NULL, &st);
        CU_ASSERT_EQUAL_FATAL(st, 201);
        r = mass_unit_call(db, T0, "POST", "/v1/fiscal/payments", keyed, NULL, &st);
        CU_ASSERT_EQUAL(st, 201);
        CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "payment_id"), mass_unit_str(first, "payment_id"));
        CU_ASSERT_STRING_EQUAL(aggregate_of(db, "entity:ent_c", "services_paid_to_payee", "2026"), "6000.00/2");
    }

    /* A beneficiary outside the zone is recognised by its IBAN, in either form; a returned payment (failed) never
     * reached it and is not counted, one still processing is. */
    r = mass_unit_call(db, T0, "POST", "/v1/fiscal/payments",
                       apr_psprintf(unit_pool(), "{\"source_account_id\":\"%s\",\"destination\":%s,\"amount\":\"25000\","
                                    "\"currency\":\"PKR\",\"payment_type\":\"service_fee\"" TAX_AGG("0") "}", a, iban),
                       NULL, &st);
    CU_ASSERT_EQUAL_FATAL(st, 201);
    CU_ASSERT_STRING_EQUAL(aggregate_of(db, "iban:PK36SCBL0000001123456702", "services_paid_to_payee", "2026"),
                           "25000.00/1");
    r = mass_unit_call(db, T0, "POST", apr_pstrcat(unit_pool(), "/v1/fiscal/payments/", mass_unit_str(r, "payment_id"),
                                                   "/return", NULL), "{\"reason\":\"account closed\"}", NULL, &st);
    CU_ASSERT_EQUAL(st, 200);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "status"), "failed");
    CU_ASSERT_STRING_EQUAL(aggregate_of(db, "iban:PK36SCBL0000001123456702", "services_paid_to_payee", "2026"),
                           "0.00/0");
    /* A beneficiary the treasury could not recognise when paid again adds to nothing: refused. */
    payments = mass_unit_count(db, "mez_mass_payment");
    r = mass_unit_call(db, T0, "POST", "/v1/fiscal/payments",
                       apr_psprintf(unit_pool(), "{\"source_account_id\":\"%s\",\"destination\":{\"type\":"
                                    "\"external_bank\",\"bank_details\":{\"beneficiary_name\":\"Someone\"}},"
                                    "\"amount\":\"25000\",\"currency\":\"PKR\",\"payment_type\":\"service_fee\""
                                    TAX_AGG("0") "}", a), NULL, &st);
    CU_ASSERT_EQUAL(st, 422);
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), "fiscal.payee_unidentified");
    CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "pointer"), "/destination/bank_details");
    CU_ASSERT_EQUAL(mass_unit_count(db, "mez_mass_payment"), payments);

    /* What the zone states is checked as the treasury checks its members. */
    {
        static const struct { const char *meta, *code, *pointer; } bad[] = {
            { ",\"metadata\":{\"tax_aggregate\":{\"aggregate\":\"services_paid_to_payee\",\"tax_year\":\"26\","
              "\"paid_before\":\"0\"}}", "fiscal.invalid_tax_year", "/metadata/tax_aggregate/tax_year" },
            { ",\"metadata\":{\"tax_aggregate\":{\"aggregate\":\"Services\",\"tax_year\":\"2026\","
              "\"paid_before\":\"0\"}}", "request.invalid_value", "/metadata/tax_aggregate/aggregate" },
            { ",\"metadata\":{\"tax_aggregate\":{\"aggregate\":\"s\",\"tax_year\":\"2026\","
              "\"paid_before\":\"-1\"}}", "fiscal.invalid_amount", "/metadata/tax_aggregate/paid_before" },
            { ",\"metadata\":{\"tax_aggregate\":{\"aggregate\":\"s\",\"tax_year\":\"2026\","
              "\"paid_before\":\"0.001\"}}", "fiscal.invalid_amount", "/metadata/tax_aggregate/paid_before" },
            { ",\"metadata\":{\"tax_aggregate\":{\"aggregate\":\"s\",\"tax_year\":\"2026\"}}",
              "request.missing_field", "/metadata/tax_aggregate/paid_before" },
            { ",\"metadata\":{\"tax_aggregate\":{\"aggregate\":\"s\",\"tax_year\":\"2026\",\"paid_before\":\"0\","
              "\"payee\":\"entity:ent_x\"}}", "request.unknown_field", "/metadata/tax_aggregate/payee" },
            { ",\"metadata\":{\"tax_aggregate\":\"s\"}", "request.invalid_type", "/metadata/tax_aggregate" },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            r = mass_unit_call(db, T0, "POST", "/v1/fiscal/payments", pay_body(a, b, "10", bad[i].meta), NULL, &st);
            CU_ASSERT_EQUAL(st, 422);
            if (strcmp(mass_unit_str(r, "code"), bad[i].code))
                fprintf(stderr, "\n%s: %s\n", bad[i].meta, json_dumps(r, 0));
            CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "code"), bad[i].code);
            CU_ASSERT_STRING_EQUAL(mass_unit_str(r, "pointer"), bad[i].pointer);
        }
        CU_ASSERT_EQUAL(mass_unit_count(db, "mez_mass_payment"), payments);
    }
    /* The read's own refusals point at the parameter. */
    CU_ASSERT_STRING_EQUAL(aggregate_refused(db, "ent_a", "aggregate=s&tax_year=2026&currency=PKR"),
                           "400 request.missing_parameter /payee");
    CU_ASSERT_STRING_EQUAL(aggregate_refused(db, "ent_a", "payee=entity:ent_b&aggregate=s&tax_year=2026&currency=PKR"
                                             "&since=2026-01-01"), "400 request.unknown_parameter /since");
    CU_ASSERT_STRING_EQUAL(aggregate_refused(db, "ent_a", "payee=entity:ent_b&payee=x&aggregate=s&tax_year=2026&"
                                             "currency=PKR"), "400 request.invalid_parameter /payee");
    CU_ASSERT_STRING_EQUAL(aggregate_refused(db, "ent_a", "payee=entity:ent_b&aggregate=s&tax_year=26&currency=PKR"),
                           "400 request.invalid_parameter /tax_year");
    CU_ASSERT_STRING_EQUAL(aggregate_refused(db, "ent_a", "payee=entity:ent_b&aggregate=S&tax_year=2026&currency=PKR"),
                           "400 request.invalid_parameter /aggregate");
    CU_ASSERT_STRING_EQUAL(aggregate_refused(db, "ent_a", "payee=entity:ent_b&aggregate=s&tax_year=2026&currency=XXX"),
                           "400 request.invalid_parameter /currency");
    CU_ASSERT_STRING_EQUAL(aggregate_refused(db, "ent_a", "payee=a%20b&aggregate=s&tax_year=2026&currency=PKR"),
                           "400 request.invalid_parameter /payee");
    CU_ASSERT_STRING_EQUAL(aggregate_refused(db, "ent_zz", "payee=entity:ent_b&aggregate=s&tax_year=2026&"
                                             "currency=PKR"), "404 mass.not_found ");
    assert_ledger_sound(db);
}
#undef TAX_AGG

/* JSON written with single quotes (no fixture holds an apostrophe), tied to the test pool. */
static json_t *J(const char *text)
{
    char *t = apr_pstrdup(unit_pool(), text);
    json_t *v;
    for (char *q = t; *q; q++)
        if (*q == '\'')
            *q = '"';
    v = json_loads(t, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    return mez_json_pool_own(unit_pool(), v);
}

/* The payee a treasury tells apart across payments. */
static void test_payee_ref(void)
{
    apr_pool_t *p = unit_pool();
#define REF(dest, ent) mez_mass_payee_ref(p, J(dest), ent)
    CU_ASSERT_STRING_EQUAL(REF("{'type':'internal_account','account_id':'acc_1'}", "ent_b"), "entity:ent_b");
    CU_ASSERT_PTR_NULL(REF("{'type':'internal_account','account_id':'acc_1'}", NULL));
    CU_ASSERT_STRING_EQUAL(REF("{'type':'external_bank','bank_details':{'iban':'pk36 scbl 0000 0011 2345 6702',"
                               "'account_number':'1'}}", NULL), "iban:PK36SCBL0000001123456702");
    CU_ASSERT_STRING_EQUAL(REF("{'type':'external_bank','bank_details':{'account_number':'00123','swift_bic':"
                               "'scblpkka'}}", NULL), "account:SCBLPKKA:00123");
    CU_ASSERT_STRING_EQUAL(REF("{'type':'external_bank','bank_details':{'account_number':'00123'}}", NULL),
                           "account::00123");
    CU_ASSERT_STRING_EQUAL(REF("{'type':'corridor_settlement','corridor_id':'c','bank_details':{'beneficiary_name':"
                               "'X','beneficiary_zone_id':'ae-adgm','beneficiary_account_id':'acc_9','iban':"
                               "'PK36SCBL0000001123456702'}}", NULL), "zone:ae-adgm:acc_9");
    CU_ASSERT_PTR_NULL(REF("{'type':'external_bank','bank_details':{'beneficiary_name':'X'}}", NULL));
    CU_ASSERT_PTR_NULL(REF("{'type':'corridor_settlement','corridor_id':'c'}", NULL));
#undef REF
}

void unit_register_mass_fiscal(void)
{
    CU_pSuite s = unit_suite("mass_fiscal");
    CU_add_test(s, "IBANs (ISO 13616, the registry's lengths) and BICs (ISO 9362)", test_bank_ids);
    CU_add_test(s, "path patterns capture only on a match", test_path_match_captures_only_on_a_match);
    CU_add_test(s, "decimal strings parse into minor units", test_decimal_parse);
    CU_add_test(s, "formatting, currencies, dates, query parameters", test_decimal_format_and_currencies);
    CU_add_test(s, "accounts and deposits", test_accounts_and_deposit);
    CU_add_test(s, "payments and insufficient funds", test_payment_and_insufficient_funds);
    CU_add_test(s, "bad payments change nothing", test_bad_payments_change_nothing);
    CU_add_test(s, "holds reduce available and expire", test_holds_and_expiry);
    CU_add_test(s, "withholding and bank payments", test_withholding_and_external);
    CU_add_test(s, "tax events' from_date and to_date are the zone's days", test_tax_event_dates_are_the_zones);
    CU_add_test(s, "payments add up per payer, payee, aggregate and tax year", test_payment_aggregates);
    CU_add_test(s, "payees told apart across payments", test_payee_ref);
    CU_add_test(s, "a zone of a shared store reaches its own records only", test_a_zone_reaches_its_own_records_only);
    CU_add_test(s, "invariant check catches corruption", test_invariant_check_catches_corruption);
    CU_add_test(s, "invariant check names an unbalanced transaction",
                test_invariant_check_names_an_unbalanced_transaction);
}
