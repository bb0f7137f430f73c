/* tensor_cite.c: what a reason says about the pack row behind it: the citation (rule, dates, law, source), and
 * copies of pack values. Results share no value with the index's pack documents, which many threads read; the
 * strings they take from the index are its immortal shared values (tensor_frozen.c), which nobody writes. */
#pragma GCC diagnostic error "-Wswitch-enum"
#include <apr_strings.h>
#include "tensor_int.h"

/* A copy of a pack value for a result. Written out rather than json_deep_copy(): some jansson versions mark
 * the values they copy to detect loops, and pack values are read by many threads at once. Pack models come
 * from JSON or YAML documents, so they hold no loops and nest shallowly. */
json_t *mez_tensor_copy_value(const mez_tensor_index_t *ix, const json_t *v)
{
    json_t *shared;
    const char *key;
    json_t *out, *item;
    size_t i;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        out = json_object();
        json_object_foreach((json_t *)v, key, item)
            json_object_set_new(out, key, mez_tensor_copy_value(ix, item));
        return out;
    case JSON_ARRAY:
        out = json_array();
        json_array_foreach(v, i, item)
            json_array_append_new(out, mez_tensor_copy_value(ix, item));
        return out;
    case JSON_STRING:
        if ((shared = mez_tensor_frozen_get(ix->frozen, json_string_value(v))) != NULL)
            return shared;   /* immortal: nothing to count */
        return json_stringn(json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return json_integer(json_integer_value(v));
    case JSON_REAL:
        return json_real(json_real_value(v));
    case JSON_TRUE:
        return json_true();
    case JSON_FALSE:
        return json_false();
    case JSON_NULL:
        return json_null();
    }
    return json_null();
}

/* {id, title, url, date} of a source: a new object (its holder may change it) of the index's shared strings. */
json_t *mez_tensor_source_json(const eval_t *ev, const source_t *src)
{
    json_t *o = json_object();
    set_str(ev->ix, o, "id", src->id);
    set_str(ev->ix, o, "title", src->title);
    /* Compact: the source by id and title; its url and date are in the pack's manifest, by pack digest. */
    if (ev->detail == MEZ_TENSOR_DETAIL_FULL) {
        set_str(ev->ix, o, "url", src->url);
        set_str(ev->ix, o, "date", src->date);
    }
    return o;
}

void mez_tensor_cite_rule(const mez_tensor_index_t *ix, json_t *o, const pack_t *pk, const char *rule)
{
    set_str(ix, o, "rule", rule);
    set_str(ix, o, "pack_digest", pk->digest);
}

/* The citation every rule-based reason carries: which row, in force from when, under which law and source. */
void mez_tensor_cite(const eval_t *ev, json_t *o, const row_head_t *h)
{
    mez_tensor_cite_rule(ev->ix, o, h->pack, h->rule);
    set_str(ev->ix, o, "valid_from", h->valid_from);
    set_str(ev->ix, o, "valid_to", h->valid_to);
    json_object_set_new_nocheck(o, "source", mez_tensor_source_json(ev, h->source));
    if (h->law)
        json_object_set_new_nocheck(o, "law", mez_tensor_copy_value(ev->ix, h->law));
    /* Without law, source_detail is the row's only pinpoint citation, so even a compact reason keeps it. */
    if (ev->detail == MEZ_TENSOR_DETAIL_FULL || !h->law)
        set_str(ev->ix, o, "source_detail", h->source_detail);
    if (ev->detail == MEZ_TENSOR_DETAIL_FULL)
        set_str(ev->ix, o, "conflicts", h->conflicts);
}

const char *mez_tensor_detail_name(mez_tensor_detail_t d)
{
    switch (d) {
    case MEZ_TENSOR_DETAIL_FULL: return "full";
    case MEZ_TENSOR_DETAIL_COMPACT: return "compact";
    }
    return NULL;
}

mez_status_t mez_tensor_detail_parse(apr_pool_t *p, const char *name, const char *pointer, mez_tensor_detail_t *out,
                                     mez_problem_t *pb)
{
    if (name && !strcmp(name, "full"))
        *out = MEZ_TENSOR_DETAIL_FULL;
    else if (name && !strcmp(name, "compact"))
        *out = MEZ_TENSOR_DETAIL_COMPACT;
    else
        return mez_problem(pb, p, MEZ_EINVAL, 422, "tensor.unknown_detail", pointer,
                           "detail is \"full\" or \"compact\"");
    return MEZ_OK;
}

json_t *mez_tensor_limit_json(const mez_tensor_index_t *ix, const limit_t *l)
{
    json_t *t = json_object();
    set_str(ix, t, "amount", l->text);
    set_str(ix, t, "currency", l->currency);
    set_str(ix, t, "applies", l->applies);
    set_str(ix, t, "aggregate", l->aggregate);
    return t;
}
