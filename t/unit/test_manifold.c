/* test_manifold.c: CUnit suite for the manifold area: the reference's standard fixture and path vectors,
 * the cost model, tie-breaking, the hop-limit rule, why a route is unreachable, and bad graph documents. */
#include <string.h>
#include <apr_strings.h>
#include "mez/json.h"
#include "mez/manifold.h"
#include "unit.h"

/* Single-quoted JSON, as in test_tensor.c. */
static json_t *J(const char *text)
{
    char *s = apr_pstrdup(unit_pool(), text);
    mez_problem_t pb = { 0 };
    json_t *v = NULL;
    for (char *c = s; *c; c++)
        if (*c == '\'')
            *c = '"';
    if (mez_json_parse(unit_pool(), s, strlen(s), &v, &pb) != MEZ_OK)
        CU_FAIL_FATAL("fixture JSON");
    return v;
}

#define NODE(id, fee, active) \
    "{'jurisdiction_id':'" id "','entry_fee_usd':" #fee ",'is_active':" active "}"
#define EDGE(id, a, b, bps, flat, th, fh, bidi, active) \
    "{'corridor_id':'" id "','source_jurisdiction':'" a "','target_jurisdiction':'" b "','is_bidirectional':" bidi \
    ",'is_active':" active ",'transfer_fee_bps':" #bps ",'flat_fee_usd':" #flat ",'estimated_transfer_hours':" #th \
    ",'settlement_finality_hours':" #fh "}"

/* The reference's create_standard_manifold(). */
#define STANDARD \
    "{'jurisdictions':[" \
    "{'jurisdiction_id':'uae-difc','name':'Dubai International Financial Centre','country_code':'AE'," \
    "'supported_asset_classes':['securities','commodities','digital_assets'],'entry_fee_usd':1000,'annual_fee_usd':5000," \
    "'is_active':true,'required_domains':['kyc','aml']}," \
    "{'jurisdiction_id':'kz-aifc','name':'Astana International Financial Centre','country_code':'KZ'," \
    "'supported_asset_classes':['securities','digital_assets','islamic_finance'],'entry_fee_usd':500," \
    "'annual_fee_usd':2000,'is_active':true,'required_domains':['kyc','sanctions']}," \
    "{'jurisdiction_id':'pk-rez','name':'Rashakai Economic Zone','country_code':'PK'," \
    "'supported_asset_classes':['trade','digital_assets'],'entry_fee_usd':200,'annual_fee_usd':1000,'is_active':true," \
    "'required_domains':['kyc','tax']}]," \
    "'corridors':[" \
    "{'corridor_id':'corridor-difc-aifc','source_jurisdiction':'uae-difc','target_jurisdiction':'kz-aifc'," \
    "'is_bidirectional':true,'is_active':true,'transfer_fee_bps':10,'flat_fee_usd':100,'estimated_transfer_hours':24," \
    "'settlement_finality_hours':48,'required_domains':['aml','sanctions']}," \
    "{'corridor_id':'corridor-aifc-rez','source_jurisdiction':'kz-aifc','target_jurisdiction':'pk-rez'," \
    "'is_bidirectional':true,'is_active':true,'transfer_fee_bps':15,'flat_fee_usd':50,'estimated_transfer_hours':12," \
    "'settlement_finality_hours':24,'required_domains':['aml','tax']}]}"

static mez_manifold_t *graph(const char *doc)
{
    mez_manifold_t *m = NULL;
    mez_problem_t pb = { 0 };
    if (mez_manifold_parse(unit_pool(), J(doc), &m, &pb) != MEZ_OK)
        fprintf(stderr, "\ngraph: %s at %s: %s\n", pb.code, pb.pointer, pb.detail);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    return m;
}

static mez_manifold_path_t *route(const mez_manifold_t *m, const char *a, const char *b, uint64_t value,
                                  const mez_manifold_constraints_t *c)
{
    mez_manifold_path_t *path = NULL;
    mez_problem_t pb = { 0 };
    if (mez_manifold_route(unit_pool(), m, a, b, value, c, &path, NULL, &pb) != MEZ_OK)
        fprintf(stderr, "\nroute: %s at %s: %s\n", pb.code, pb.pointer, pb.detail);
    CU_ASSERT_PTR_NOT_NULL_FATAL(path);
    return path;
}

static void expect_unreachable(const mez_manifold_t *m, const char *a, const char *b, const mez_manifold_constraints_t *c,
                               const char *code, const char *why, const char *pointer)
{
    mez_manifold_path_t *path = NULL;
    mez_problem_t pb = { 0 };
    const char *w = NULL;
    CU_ASSERT_EQUAL(mez_manifold_route(unit_pool(), m, a, b, 10000, c, &path, &w, &pb), MEZ_EINVAL);
    CU_ASSERT_PTR_NULL(path);
    CU_ASSERT_STRING_EQUAL(pb.code, code);
    CU_ASSERT_STRING_EQUAL(pb.pointer, pointer);
    if (why) {
        CU_ASSERT_PTR_NOT_NULL_FATAL(w);
        if (strcmp(w, why))
            fprintf(stderr, "\nwanted why %s, got %s: %s\n", why, w, pb.detail);
        CU_ASSERT_STRING_EQUAL(w, why);
    }
}

static void expect_unreachable_value(const mez_manifold_t *m, uint64_t value)
{
    mez_manifold_path_t *path = NULL;
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL(mez_manifold_route(unit_pool(), m, "a", "b", value, NULL, &path, NULL, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "manifold.unreachable");
}

static void test_path_vectors(void)
{
    size_t len, i, j, n = 0;
    char *buf = unit_read_file(unit_shared("vectors/anchor/manifold_paths.json"), &len);
    mez_manifold_t *m = graph(STANDARD);
    mez_problem_t pb = { 0 };
    json_t *v, *c, *id;
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    CU_ASSERT_EQUAL_FATAL(mez_json_parse(unit_pool(), buf, len, &v, &pb), MEZ_OK);
    json_array_foreach(json_object_get(v, "cases"), i, c) {
        mez_manifold_path_t *p = route(m, json_string_value(json_object_get(c, "source")),
                                       json_string_value(json_object_get(c, "target")),
                                       (uint64_t)json_integer_value(json_object_get(c, "asset_value_usd")), NULL);
        CU_ASSERT_EQUAL(p->total_cost_usd, (uint64_t)json_integer_value(json_object_get(c, "expected_total_cost_usd")));
        CU_ASSERT_EQUAL(p->total_time_hours,
                        (uint32_t)json_integer_value(json_object_get(c, "expected_total_time_hours")));
        CU_ASSERT_STRING_EQUAL(p->path_id, json_string_value(json_object_get(c, "expected_path_id")));
        CU_ASSERT_EQUAL_FATAL(p->n_hops, json_array_size(json_object_get(c, "corridors")));
        json_array_foreach(json_object_get(c, "corridors"), j, id)
            CU_ASSERT_STRING_EQUAL(p->hops[j].corridor_id, json_string_value(id));
        n++;
    }
    CU_ASSERT_EQUAL(n, 3);
}

static void test_standard_hops_and_json(void)
{
    mez_manifold_t *m = graph(STANDARD);
    mez_manifold_path_t *p = route(m, "uae-difc", "pk-rez", 10000, NULL);
    json_t *o;
    CU_ASSERT_EQUAL(mez_manifold_jurisdiction_count(m), 3);
    CU_ASSERT_EQUAL(mez_manifold_corridor_count(m), 2);
    CU_ASSERT_EQUAL_FATAL(p->n_hops, 2);
    /* 100 + 10 + 500 entering AIFC, then 50 + 15 + 200 entering REZ. */
    CU_ASSERT_STRING_EQUAL(p->hops[0].target, "kz-aifc");
    CU_ASSERT_EQUAL(p->hops[0].cost_usd, 610);
    CU_ASSERT_EQUAL(p->hops[0].time_hours, 72);
    CU_ASSERT_STRING_EQUAL(p->hops[1].source, "kz-aifc");
    CU_ASSERT_EQUAL(p->hops[1].cost_usd, 265);
    CU_ASSERT_EQUAL(p->hops[1].time_hours, 36);
    o = mez_manifold_path_json(unit_pool(), p);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "path_id")), "0990f208973215b1");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(o, "total_cost_usd")), 875);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(o, "hop_count")), 2);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(o, "jurisdictions")), 3);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(o, "jurisdictions"), 1)), "kz-aifc");
    /* The reverse of a bidirectional corridor pays the other node's entry fee: 100 + 0 + 1000 (a vector too). */
    p = route(m, "kz-aifc", "uae-difc", 0, NULL);
    CU_ASSERT_EQUAL(p->total_cost_usd, 1100);
    /* Source and target the same: no hops, no cost. */
    p = route(m, "uae-difc", "uae-difc", 10000, NULL);
    CU_ASSERT_EQUAL(p->n_hops, 0);
    CU_ASSERT_EQUAL(p->total_cost_usd, 0);
}

static void test_transfer_cost(void)
{
    CU_ASSERT_EQUAL(mez_manifold_transfer_cost(10000, 10, 100), 110);
    CU_ASSERT_EQUAL(mez_manifold_transfer_cost(0, 10, 100), 100);
    CU_ASSERT_EQUAL(mez_manifold_transfer_cost(1000000, 10, 100), 1100);
    CU_ASSERT_EQUAL(mez_manifold_transfer_cost(100000, 15, 50), 200);
    CU_ASSERT_EQUAL(mez_manifold_transfer_cost(9999, 1, 0), 0);        /* floor */
    CU_ASSERT_EQUAL(mez_manifold_transfer_cost(10000, 1, 0), 1);
    /* value * bps overflows 64 bits here but not 128: 2^63 * 10000 / 10000 = 2^63. */
    CU_ASSERT_EQUAL(mez_manifold_transfer_cost(UINT64_C(1) << 63, 10000, 5), (UINT64_C(1) << 63) + 5);
    /* Saturation instead of wrapping. */
    CU_ASSERT_EQUAL(mez_manifold_transfer_cost(UINT64_MAX, UINT32_MAX, 1), UINT64_MAX);
    CU_ASSERT_EQUAL(mez_manifold_transfer_cost(0, 0, UINT64_MAX), UINT64_MAX);
}

static void test_unreachable_says_why(void)
{
    mez_manifold_t *m = graph(STANDARD);
    mez_manifold_constraints_t c;
    static const char *const ex_aifc[] = { "kz-aifc" }, *const ex_difc[] = { "uae-difc" };

    expect_unreachable(m, "uae-difc", "nowhere", NULL, "manifold.unknown_jurisdiction", NULL, "/target");
    expect_unreachable(m, "nowhere", "pk-rez", NULL, "manifold.unknown_jurisdiction", NULL, "/source");

    mez_manifold_constraints_init(&c);
    CU_ASSERT_EQUAL(c.max_hops, 5);
    c.max_hops = 1;
    expect_unreachable(m, "uae-difc", "pk-rez", &c, "manifold.unreachable", "hop_limit", "/target");
    c.max_hops = 0;
    expect_unreachable(m, "uae-difc", "kz-aifc", &c, "manifold.unreachable", "hop_limit", "/target");

    mez_manifold_constraints_init(&c);
    c.excluded = ex_aifc;
    c.n_excluded = 1;
    expect_unreachable(m, "uae-difc", "pk-rez", &c, "manifold.unreachable", "excluded", "/target");
    expect_unreachable(m, "uae-difc", "kz-aifc", &c, "manifold.unreachable", "excluded", "/target");
    c.excluded = ex_difc;
    expect_unreachable(m, "uae-difc", "kz-aifc", &c, "manifold.unreachable", "excluded", "/source");

    mez_manifold_constraints_init(&c);
    c.has_max_total_cost = 1;
    c.max_total_cost_usd = 1;
    expect_unreachable(m, "uae-difc", "kz-aifc", &c, "manifold.unreachable", "constraints", "/target");
    mez_manifold_constraints_init(&c);
    c.has_max_per_hop_cost = 1;
    c.max_per_hop_cost_usd = 1;
    expect_unreachable(m, "uae-difc", "kz-aifc", &c, "manifold.unreachable", "constraints", "/target");
    mez_manifold_constraints_init(&c);
    c.has_max_total_time = 1;
    c.max_total_time_hours = 1;
    expect_unreachable(m, "uae-difc", "kz-aifc", &c, "manifold.unreachable", "constraints", "/target");
    c.max_total_time_hours = 72;
    CU_ASSERT_EQUAL(route(m, "uae-difc", "kz-aifc", 0, &c)->total_time_hours, 72);

    m = graph("{'jurisdictions':[" NODE("a", 1, "true") "," NODE("b", 1, "true") "],'corridors':[]}");
    expect_unreachable(m, "a", "b", NULL, "manifold.unreachable", "no_corridor", "/target");
    m = graph("{'jurisdictions':[" NODE("a", 1, "true") "," NODE("b", 1, "true") "],'corridors':["
              EDGE("ab", "a", "b", 0, 1, 1, 1, "false", "true") "]}");
    CU_ASSERT_EQUAL(route(m, "a", "b", 0, NULL)->total_cost_usd, 2);
    expect_unreachable(m, "b", "a", NULL, "manifold.unreachable", "no_corridor", "/target");
    m = graph("{'jurisdictions':[" NODE("a", 1, "true") "," NODE("b", 1, "true") "],'corridors':["
              EDGE("ab", "a", "b", 0, 1, 1, 1, "true", "false") "]}");
    expect_unreachable(m, "a", "b", NULL, "manifold.unreachable", "inactive", "/target");
    m = graph("{'jurisdictions':[" NODE("a", 1, "true") "," NODE("b", 1, "false") "],'corridors':["
              EDGE("ab", "a", "b", 0, 1, 1, 1, "true", "true") "]}");
    expect_unreachable(m, "a", "b", NULL, "manifold.unreachable", "inactive", "/target");
}

static void test_ties_and_order(void)
{
    /* a->b and a->c cost the same and take the same time, so do b->d and c->d. The heap pops the greater id
     * first (c), c relaxes d first, and b's equal offer is not strictly lower: the route goes through c. */
    mez_manifold_t *m = graph("{'jurisdictions':[" NODE("a", 0, "true") "," NODE("b", 10, "true") ","
                              NODE("c", 10, "true") "," NODE("d", 0, "true") "],'corridors':["
                              EDGE("ab", "a", "b", 0, 5, 1, 1, "false", "true") ","
                              EDGE("ac", "a", "c", 0, 5, 1, 1, "false", "true") ","
                              EDGE("bd", "b", "d", 0, 5, 1, 1, "false", "true") ","
                              EDGE("cd", "c", "d", 0, 5, 1, 1, "false", "true") "]}");
    mez_manifold_path_t *p = route(m, "a", "d", 0, NULL);
    CU_ASSERT_EQUAL_FATAL(p->n_hops, 2);
    CU_ASSERT_STRING_EQUAL(p->hops[0].corridor_id, "ac");
    /* Cost first, then time: a slower route at the same cost loses to a faster one. */
    m = graph("{'jurisdictions':[" NODE("a", 0, "true") "," NODE("b", 10, "true") "," NODE("c", 10, "true") ","
              NODE("d", 0, "true") "],'corridors':["
              EDGE("ab", "a", "b", 0, 5, 1, 1, "false", "true") ","
              EDGE("ac", "a", "c", 0, 5, 5, 5, "false", "true") ","
              EDGE("bd", "b", "d", 0, 5, 1, 1, "false", "true") ","
              EDGE("cd", "c", "d", 0, 5, 1, 1, "false", "true") "]}");
    p = route(m, "a", "d", 0, NULL);
    CU_ASSERT_STRING_EQUAL(p->hops[0].corridor_id, "ab");
    /* Two corridors between the same nodes at the same cost: the first in the document is kept. */
    m = graph("{'jurisdictions':[" NODE("a", 0, "true") "," NODE("b", 0, "true") "],'corridors':["
              EDGE("first", "a", "b", 0, 5, 9, 9, "false", "true") ","
              EDGE("second", "a", "b", 0, 5, 1, 1, "false", "true") "]}");
    p = route(m, "a", "b", 0, NULL);
    CU_ASSERT_STRING_EQUAL(p->hops[0].corridor_id, "first");
}

static void test_hop_limit_follows_cheapest_route(void)
{
    /* a-b-c-t is cheap (3 hops), a-c-t is dear (2 hops). With max_hops 2 the reference reaches c via b first
     * (2 hops, cheaper), never expands it, and so finds no route at all: kept on purpose, and explained. */
    mez_manifold_constraints_t c;
    mez_manifold_t *m = graph("{'jurisdictions':[" NODE("a", 0, "true") "," NODE("b", 0, "true") ","
                              NODE("c", 0, "true") "," NODE("t", 0, "true") "],'corridors':["
                              EDGE("ab", "a", "b", 0, 1, 1, 1, "false", "true") ","
                              EDGE("bc", "b", "c", 0, 1, 1, 1, "false", "true") ","
                              EDGE("ac", "a", "c", 0, 100, 1, 1, "false", "true") ","
                              EDGE("ct", "c", "t", 0, 1, 1, 1, "false", "true") "]}");
    mez_manifold_path_t *p = route(m, "a", "t", 0, NULL);
    CU_ASSERT_EQUAL(p->n_hops, 3);
    CU_ASSERT_EQUAL(p->total_cost_usd, 3);
    mez_manifold_constraints_init(&c);
    c.max_hops = 2;
    expect_unreachable(m, "a", "t", &c, "manifold.unreachable", "hop_limit", "/target");
    c.max_hops = 3;
    CU_ASSERT_EQUAL(route(m, "a", "t", 0, &c)->n_hops, 3);
}

static void test_large_numbers(void)
{
    mez_manifold_t *m = graph("{'jurisdictions':[" NODE("a", 0, "true") "," NODE("b", 9007199254740992, "true")
                              "],'corridors':[" EDGE("ab", "a", "b", 0, 9007199254740992, 4294967295,
                                                     4294967295, "false", "true") "]}");
    mez_manifold_path_t *p = route(m, "a", "b", UINT64_C(9007199254740992), NULL);
    json_t *o;
    CU_ASSERT_EQUAL(p->total_cost_usd, UINT64_C(18014398509481984));
    CU_ASSERT_EQUAL(p->total_time_hours, UINT32_MAX);
    o = mez_manifold_path_json(unit_pool(), p);
    /* Above 2^53 a JSON reader would round, so the figure is written as a decimal string. */
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "total_cost_usd")), "18014398509481984");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(o, "asset_value_usd")), 9007199254740992LL);
    /* A cost that saturates at 2^64-1 is never strictly below the initial distance, so the reference never
     * takes it; neither does mez. */
    m = graph("{'jurisdictions':[" NODE("a", 0, "true") "," NODE("b", 0, "true") "],'corridors':["
              EDGE("ab", "a", "b", 4294967295, 0, 1, 1, "false", "true") "]}");
    expect_unreachable_value(m, UINT64_C(9007199254740992));
}

static void expect_graph_problem(const char *doc, const char *code, const char *pointer)
{
    mez_manifold_t *m = NULL;
    mez_problem_t pb = { 0 };
    CU_ASSERT_EQUAL(mez_manifold_parse(unit_pool(), J(doc), &m, &pb), MEZ_EINVAL);
    CU_ASSERT_PTR_NULL(m);
    if (!pb.code)
        return;
    if (strcmp(pb.code, code) || strcmp(pb.pointer ? pb.pointer : "(null)", pointer))
        fprintf(stderr, "\nwanted %s at %s, got %s at %s: %s\n", code, pointer, pb.code, pb.pointer, pb.detail);
    CU_ASSERT_STRING_EQUAL(pb.code, code);
    CU_ASSERT_STRING_EQUAL(pb.pointer ? pb.pointer : "(null)", pointer);
}

static void test_bad_graphs(void)
{
    expect_graph_problem("[]", "manifold.invalid_document", "");
    expect_graph_problem("{'corridors':[]}", "manifold.missing_field", "/jurisdictions");
    expect_graph_problem("{'jurisdictions':[],'edges':[]}", "manifold.unknown_field", "/edges");
    expect_graph_problem("{'jurisdictions':[{'jurisdiction_id':'a','entry_fee_usd':1,'is_active':true,'fee':2}]}",
                         "manifold.unknown_field", "/jurisdictions/0/fee");
    expect_graph_problem("{'jurisdictions':[{'jurisdiction_id':'a','is_active':true}]}", "manifold.missing_field",
                         "/jurisdictions/0/entry_fee_usd");
    expect_graph_problem("{'jurisdictions':[{'jurisdiction_id':'a','entry_fee_usd':-1,'is_active':true}]}",
                         "manifold.invalid_field", "/jurisdictions/0/entry_fee_usd");
    expect_graph_problem("{'jurisdictions':[{'jurisdiction_id':'a','entry_fee_usd':1.5,'is_active':true}]}",
                         "manifold.invalid_field", "/jurisdictions/0/entry_fee_usd");
    expect_graph_problem("{'jurisdictions':[{'jurisdiction_id':'a','entry_fee_usd':1,'is_active':'yes'}]}",
                         "manifold.invalid_field", "/jurisdictions/0/is_active");
    expect_graph_problem("{'jurisdictions':[{'jurisdiction_id':'a:b','entry_fee_usd':1,'is_active':true}]}",
                         "manifold.invalid_field", "/jurisdictions/0/jurisdiction_id");
    expect_graph_problem("{'jurisdictions':[{'jurisdiction_id':'a','entry_fee_usd':1,'is_active':true,"
                         "'required_domains':['AML']}]}", "tensor.unknown_domain", "/jurisdictions/0/required_domains/0");
    expect_graph_problem("{'jurisdictions':[" NODE("a", 1, "true") "," NODE("a", 2, "true") "]}",
                         "manifold.duplicate_id", "/jurisdictions/1/jurisdiction_id");
    expect_graph_problem("{'jurisdictions':[" NODE("a", 1, "true") "],'corridors':["
                         EDGE("ab", "a", "b", 0, 1, 1, 1, "true", "true") "]}",
                         "manifold.unknown_jurisdiction", "/corridors/0/target_jurisdiction");
    expect_graph_problem("{'jurisdictions':[" NODE("a", 1, "true") "," NODE("b", 1, "true") "],'corridors':["
                         EDGE("ab", "a", "b", 0, 1, 1, 1, "true", "true") "," EDGE("ab", "b", "a", 0, 1, 1, 1, "true",
                                                                                  "true") "]}",
                         "manifold.duplicate_id", "/corridors/1/corridor_id");
    expect_graph_problem("{'jurisdictions':[" NODE("a", 1, "true") "," NODE("b", 1, "true") "],'corridors':["
                         EDGE("ab", "a", "b", 4294967296, 1, 1, 1, "true", "true") "]}",
                         "manifold.invalid_field", "/corridors/0/transfer_fee_bps");
    expect_graph_problem("{'jurisdictions':[" NODE("a", 1, "true") "," NODE("b", 1, "true") "],'corridors':["
                         "{'corridor_id':'ab','source_jurisdiction':'a','target_jurisdiction':'b','is_active':true,"
                         "'transfer_fee_bps':1,'flat_fee_usd':1,'estimated_transfer_hours':1,"
                         "'settlement_finality_hours':1}]}", "manifold.missing_field", "/corridors/0/is_bidirectional");
}

static void test_route_request(void)
{
    mez_manifold_request_t req;
    mez_problem_t pb = { 0 };
    mez_manifold_t *m = graph(STANDARD);
    mez_manifold_path_t *p = NULL;
    CU_ASSERT_EQUAL_FATAL(mez_manifold_request_parse(unit_pool(),
                                                     J("{'source':'uae-difc','target':'pk-rez','asset_value_usd':10000,"
                                                       "'max_hops':3,'excluded_jurisdictions':['xx-none']}"),
                                                     &req, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(req.constraints.max_hops, 3);
    CU_ASSERT_EQUAL(req.constraints.n_excluded, 1);
    CU_ASSERT_FALSE(req.constraints.has_max_total_cost);
    CU_ASSERT_EQUAL(mez_manifold_route(unit_pool(), m, req.source, req.target, req.asset_value_usd, &req.constraints,
                                       &p, NULL, &pb), MEZ_OK);
    CU_ASSERT_EQUAL(p->total_cost_usd, 875);
    CU_ASSERT_EQUAL(mez_manifold_request_parse(unit_pool(), J("{'source':'a','target':'b','asset_value_usd':'10'}"),
                                               &req, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "manifold.invalid_field");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/asset_value_usd");
    CU_ASSERT_EQUAL(mez_manifold_request_parse(unit_pool(), J("{'source':'a','target':'b','asset_value_usd':1,"
                                                              "'allow_loops':true}"), &req, &pb), MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.code, "manifold.unknown_field");
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/allow_loops");
    CU_ASSERT_EQUAL(mez_manifold_request_parse(unit_pool(), J("{'target':'b','asset_value_usd':1}"), &req, &pb),
                    MEZ_EINVAL);
    CU_ASSERT_STRING_EQUAL(pb.pointer, "/source");
}

void unit_register_manifold(void)
{
    CU_pSuite s = unit_suite("manifold");
    CU_add_test(s, "anchor path vectors", test_path_vectors);
    CU_add_test(s, "standard fixture: hops, reverse, same node, JSON", test_standard_hops_and_json);
    CU_add_test(s, "transfer cost: floor, 128-bit, saturation", test_transfer_cost);
    CU_add_test(s, "unreachable routes say why", test_unreachable_says_why);
    CU_add_test(s, "ties: greater id first, then document order", test_ties_and_order);
    CU_add_test(s, "hop limit follows the cheapest route (reference rule)", test_hop_limit_follows_cheapest_route);
    CU_add_test(s, "saturated totals and JSON-safe integers", test_large_numbers);
    CU_add_test(s, "bad graph documents", test_bad_graphs);
    CU_add_test(s, "route requests", test_route_request);
}
