/* corridor_env.c: what the protocols between two zones share (mez/corridor_env.h): their operations of this
 * zone's pipeline, and how a peer's answer is read. */
#include <string.h>
#include "mez/corridor_env.h"
#include "mez/json.h"

static void request_of(const mez_corridor_env_t *env, const mez_corridor_op_t *op, mez_orch_request_t *req)
{
    memset(req, 0, sizeof(*req));
    req->op = op->op;
    req->path_id = op->path_id;
    req->body = op->body;
    req->now = op->now ? op->now : env->now ? env->now : apr_time_now();
    req->actor = op->actor ? op->actor : env->actor;
    req->actor_entity = op->actor_entity;
    req->idempotency_key = op->idem_key;
    req->path = op->path ? op->path : env->path;
    req->request_id = env->request_id;
    req->preview = op->preview;
}

mez_status_t mez_corridor_env_answered(const mez_corridor_env_t *env, const mez_corridor_op_t *op, int *begun,
                                       int *status, const char **body, mez_problem_t *pb)
{
    mez_orch_request_t req;
    request_of(env, op, &req);
    return mez_orch_answered(env->p, env->db, env->zone, &req, begun, status, body, pb);
}

mez_status_t mez_corridor_env_run(const mez_corridor_env_t *env, const mez_corridor_op_t *op,
                                  mez_orch_answer_t *ans, json_t **doc, mez_problem_t *pb)
{
    mez_orch_request_t req;
    mez_status_t st;
    request_of(env, op, &req);
    if ((st = mez_orch_run(env->p, env->db, env->zone, &req, ans, pb)) != MEZ_OK || !doc)
        return st;
    *doc = ans->body;
    /* A replay carries the first answer's bytes only. */
    if (!*doc && ans->body_text)
        return mez_json_parse(env->p, ans->body_text, strlen(ans->body_text), doc, pb);
    return MEZ_OK;
}

json_t *mez_peer_problem(const mez_peer_answer_t *ans)
{
    return ans->body && json_object_get(ans->body, "code") ? json_pack("{s:O}", "peer_problem", ans->body) : NULL;
}

int mez_peer_said_no(const mez_peer_answer_t *ans)
{
    return ans->status >= 400 && ans->status < 500 && json_is_object(ans->body)
           && json_is_string(json_object_get(ans->body, "code"));
}

mez_status_t mez_corridor_sequence_member(apr_pool_t *p, const json_t *body, uint64_t *seq, mez_problem_t *pb)
{
    const json_t *v = json_object_get(body, "sequence");
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return mez_problem(pb, p, MEZ_EINVAL, 422, "request.invalid_field", "/sequence",
                           "sequence is the receipt's sequence number");
    *seq = (uint64_t)json_integer_value(v);
    return MEZ_OK;
}

json_t *mez_peer_outcome(const char *flag, mez_status_t st, const mez_problem_t *pb, const json_t *peer_problem)
{
    json_t *d = json_pack("{s:b}", flag, st == MEZ_OK);
    if (st == MEZ_OK)
        return d;
    json_object_set_new(d, "code", json_string(pb->code ? pb->code : "internal"));
    json_object_set_new(d, "detail", json_string(pb->detail ? pb->detail : ""));
    if (json_is_object(peer_problem) && json_object_get(peer_problem, "code"))
        json_object_set(d, "peer_problem", (json_t *)peer_problem);
    return d;
}
