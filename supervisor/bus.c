/* bus.c — the actor side of the bus, and the broker the supervisor runs.
 * See bus.h for the frame layout. The broker sets ROUTER_MANDATORY so that
 * a request to an actor that is restarting fails fast with 'X' instead of
 * vanishing, and ROUTER_HANDOVER so that a restarted actor reconnecting
 * with the same identity takes over its name at once.
 */
#include "supervisor/bus.h"

#include <sys/prctl.h>
#include <assert.h>
#include <errno.h>
#include <string.h>
#include "supervisor/log.h"
#include "supervisor/loop.h"

struct _cp_bus_t {
    char name[CP_BUS_NAME_MAX];
    zsock_t *pub;
    zsock_t *sub;
    zsock_t *dealer;
    uint64_t next_corr;
    uint64_t dropped;
    //  Joining (cp_bus_join): until our own probe comes back through the
    //  broker, publishes are held here, in order, instead of being sent
    //  into a PUB socket that may not have the broker's subscription yet.
    bool joined;
    char join_prefix[48];           //  "sys.join.<name>."
    char join_topic[64];            //  the current probe: prefix + nonce
    zlist_t *held;                  //  of zmsg_t *
    cp_socket_used_fn *used;        //  NULL: nobody asked
    void *used_arg;
};

void
cp_bus_endpoints_init(cp_bus_endpoints_t *ep, const char *prefix)
{
    assert(ep && prefix);
    snprintf(ep->pub, sizeof(ep->pub), "%s-pub", prefix);
    snprintf(ep->sub, sizeof(ep->sub), "%s-sub", prefix);
    snprintf(ep->req, sizeof(ep->req), "%s-req", prefix);
}

cp_bus_t *
cp_bus_new(const cp_bus_endpoints_t *ep, const char *name)
{
    assert(ep && name && strlen(name) < CP_BUS_NAME_MAX);
    cp_bus_t *self = calloc(1, sizeof(cp_bus_t));
    if (!self)
        return NULL;
    snprintf(self->name, sizeof(self->name), "%s", name);
    self->joined = true;            //  until cp_bus_join asks for the handshake
    snprintf(self->join_prefix, sizeof(self->join_prefix), "sys.join.%s.", name);
    self->held = zlist_new();
    self->pub = zsock_new(ZMQ_PUB);
    self->sub = zsock_new(ZMQ_SUB);
    self->dealer = zsock_new(ZMQ_DEALER);
    if (!self->held || !self->pub || !self->sub || !self->dealer)
        goto fail;
    zsock_set_sndhwm(self->pub, 10000);
    zsock_set_rcvhwm(self->sub, 10000);
    zsock_set_identity(self->dealer, name);
    zsock_set_linger(self->dealer, 0);
    //  Never block an actor forever on a bus that is going away.
    zsock_set_sndtimeo(self->dealer, 2000);
    zsock_set_linger(self->pub, 100);
    //  Random start so correlation ids from a restarted actor don't collide
    //  with replies still in flight to its previous incarnation.
    self->next_corr = ((uint64_t) randof(0x7fffffff) << 20) | 1;
    if (zsock_connect(self->pub, "%s", ep->pub) != 0
    ||  zsock_connect(self->sub, "%s", ep->sub) != 0
    ||  zsock_connect(self->dealer, "%s", ep->req) != 0) {
        cp_error("bus", "%s: cannot connect to the bus (%s)", name, zmq_strerror(zmq_errno()));
        goto fail;
    }
    return self;
fail:
    cp_bus_destroy(&self);
    return NULL;
}

void
cp_bus_destroy(cp_bus_t **self_p)
{
    assert(self_p);
    cp_bus_t *self = *self_p;
    if (!self)
        return;
    if (self->held) {
        zmsg_t *held;
        while ((held = zlist_pop(self->held)))
            zmsg_destroy(&held);
        zlist_destroy(&self->held);
    }
    zsock_destroy(&self->pub);
    zsock_destroy(&self->sub);
    zsock_destroy(&self->dealer);
    free(self);
    *self_p = NULL;
}

const char *cp_bus_name(const cp_bus_t *self) { return self->name; }
zsock_t *cp_bus_events(cp_bus_t *self) { return self->sub; }
zsock_t *cp_bus_requests(cp_bus_t *self) { return self->dealer; }
uint64_t cp_bus_dropped(const cp_bus_t *self) { return self->dropped; }

void
cp_bus_on_use(cp_bus_t *self, cp_socket_used_fn *used, void *arg)
{
    assert(self);
    self->used = used;
    self->used_arg = arg;
}

static void
s_used(cp_bus_t *self, zsock_t *sock)
{
    if (self->used)
        self->used(self->used_arg, sock);
}

int
cp_bus_subscribe(cp_bus_t *self, const char *prefix)
{
    assert(self && prefix);
    zsock_set_subscribe(self->sub, prefix);
    s_used(self, self->sub);
    return 0;
}

static zframe_t *
s_encode(const cp_msg_t *msg)
{
    char *data = NULL;
    size_t size = 0;
    if (cp_msg_encode(msg, &data, &size) != 0)
        return NULL;
    zframe_t *frame = zframe_new(data, size);
    free(data);
    return frame;
}

int
cp_bus_publish(cp_bus_t *self, const char *topic, const cp_msg_t *msg)
{
    assert(self && topic && msg);
    zframe_t *body = s_encode(msg);
    if (!body) {
        cp_error("bus", "%s: cannot encode %s for %s", self->name, cp_msg_type_name(msg->type), topic);
        return -1;
    }
    zmsg_t *out = zmsg_new();
    zmsg_addstr(out, topic);
    zmsg_append(out, &body);
    if (!self->joined) {
        if (zlist_size(self->held) >= CP_BUS_HELD_MAX) {
            cp_error("bus", "%s: %zu events held before joining the bus: %s dropped", self->name,
                     zlist_size(self->held), topic);
            zmsg_destroy(&out);
            return -1;
        }
        if (zlist_append(self->held, out) != 0) {
            zmsg_destroy(&out);
            return -1;
        }
        return 0;
    }
    int rc = zmsg_send(&out, self->pub);
    zmsg_destroy(&out);             //  still ours if the send failed
    return rc;
}

//  --------------------------------------------------------------------------
//  Joining. Events flow PUB → broker XSUB → XPUB → SUB, and both links
//  learn of each other asynchronously: a fresh PUB drops what it publishes
//  until the broker's subscribe-all reaches it, and a fresh SUB misses what
//  is published before its subscriptions reach the broker. An actor that
//  asks for a snapshot and then relies on events for every later change
//  would silently miss a change made in that window (a swipe, the
//  registration being Accepted). The probe closes both gaps at once: it is
//  published on our PUB and subscribed to after every other subscription,
//  so its arrival on our SUB proves that our PUB is linked and that the
//  broker has all our subscriptions (a SUB sends them in order).

int
cp_bus_join(cp_bus_t *self)
{
    assert(self);
    //  A fresh topic, subscribed after everything so far: an earlier
    //  probe's arrival would prove nothing about the newer subscriptions.
    if (self->join_topic[0])
        zsock_set_unsubscribe(self->sub, self->join_topic);
    snprintf(self->join_topic, sizeof(self->join_topic), "%s%08x", self->join_prefix,
             (unsigned) randof(0x7fffffff));
    zsock_set_subscribe(self->sub, self->join_topic);
    s_used(self, self->sub);
    self->joined = false;
    return cp_bus_join_probe(self);
}

int
cp_bus_join_probe(cp_bus_t *self)
{
    assert(self);
    if (self->joined)
        return 0;
    zmsg_t *probe = zmsg_new();
    zmsg_addstr(probe, self->join_topic);
    zmsg_addmem(probe, "", 0);
    int rc = zmsg_send(&probe, self->pub);
    zmsg_destroy(&probe);
    return rc;
}

bool cp_bus_joined(const cp_bus_t *self) { return self->joined; }

static void
s_joined(cp_bus_t *self)
{
    self->joined = true;
    zsock_set_unsubscribe(self->sub, self->join_topic);
    s_used(self, self->sub);
    zmsg_t *held;
    while ((held = zlist_pop(self->held)))
        if (zmsg_send(&held, self->pub) != 0)
            zmsg_destroy(&held);
}

static int
s_send_addressed(cp_bus_t *self, const char *to, char kind, uint64_t corr, const cp_msg_t *msg)
{
    zframe_t *body = s_encode(msg);
    if (!body) {
        cp_error("bus", "%s: cannot encode %s for %s", self->name, cp_msg_type_name(msg->type), to);
        return -1;
    }
    zmsg_t *out = zmsg_new();
    zmsg_addstr(out, to);
    zmsg_addmem(out, &kind, 1);
    zmsg_addmem(out, &corr, sizeof(corr));
    zmsg_append(out, &body);
    int rc = zmsg_send(&out, self->dealer);
    zmsg_destroy(&out);             //  still ours if the send failed
    s_used(self, self->dealer);
    return rc;
}

uint64_t
cp_bus_request(cp_bus_t *self, const char *to, const cp_msg_t *msg)
{
    assert(self && to && msg);
    uint64_t corr = self->next_corr++;
    if (corr == 0)
        corr = self->next_corr++;
    return s_send_addressed(self, to, CP_BUS_REQUEST, corr, msg) == 0 ? corr : 0;
}

int
cp_bus_reply(cp_bus_t *self, const cp_bus_envelope_t *request, const cp_msg_t *msg, bool final)
{
    assert(self && request && msg);
    return s_send_addressed(self, request->peer, final ? CP_BUS_REPLY : CP_BUS_PARTIAL,
                            request->corr, msg);
}

cp_msg_t *
cp_bus_recv(cp_bus_t *self, zsock_t *which, cp_bus_envelope_t *env, bool *dropped)
{
    assert(self && which && env);
    memset(env, 0, sizeof(*env));
    if (dropped)
        *dropped = false;
    zmsg_t *in = zmsg_recv(which);
    if (!in)
        return NULL;
    zframe_t *body = NULL;
    bool ok = false;
    if (which == self->sub && zmsg_size(in) == 2) {
        char *topic = zmsg_popstr(in);
        env->kind = CP_BUS_EVENT;
        if (topic && strncmp(topic, self->join_prefix, strlen(self->join_prefix)) == 0) {
            //  Our probe, or a late copy of an earlier one: for nobody else.
            if (!self->joined && streq(topic, self->join_topic))
                s_joined(self);
            snprintf(env->topic, sizeof(env->topic), "%s", topic);
            free(topic);
            zmsg_destroy(&in);
            return NULL;
        }
        snprintf(env->topic, sizeof(env->topic), "%s", topic ? topic : "");
        free(topic);
        body = zmsg_pop(in);
        ok = true;
    }
    else
    if (which == self->dealer && zmsg_size(in) == 4) {
        char *peer = zmsg_popstr(in);
        zframe_t *kind = zmsg_pop(in);
        zframe_t *corr = zmsg_pop(in);
        body = zmsg_pop(in);
        if (peer && kind && zframe_size(kind) == 1 && corr && zframe_size(corr) == sizeof(uint64_t)) {
            snprintf(env->peer, sizeof(env->peer), "%s", peer);
            env->kind = (cp_bus_kind_t) zframe_data(kind)[0];
            memcpy(&env->corr, zframe_data(corr), sizeof(uint64_t));
            ok = env->kind == CP_BUS_REQUEST || env->kind == CP_BUS_PARTIAL
              || env->kind == CP_BUS_REPLY || env->kind == CP_BUS_UNREACHABLE;
        }
        free(peer);
        zframe_destroy(&kind);
        zframe_destroy(&corr);
    }
    zmsg_destroy(&in);
    cp_msg_t *msg = NULL;
    if (ok && env->kind == CP_BUS_UNREACHABLE) {
        zframe_destroy(&body);
        return NULL;
    }
    if (ok && body) {
        char why[128];
        msg = cp_msg_decode(zframe_data(body), zframe_size(body), why, sizeof(why));
        if (!msg)
            cp_warn("bus", "%s: dropped undecodable message from %s%s: %s", self->name,
                    env->peer, env->topic, why);
    }
    else
        cp_warn("bus", "%s: dropped malformed envelope", self->name);
    zframe_destroy(&body);
    if (!msg) {
        self->dropped++;
        if (dropped)
            *dropped = true;
    }
    return msg;
}

//  --------------------------------------------------------------------------
//  Broker: the XSUB/XPUB proxy plus the request router, in one thread.

static void s_broker(zsock_t *pipe, cp_bus_endpoints_t ep, cp_loop_watch_t *watch);

void
cp_bus_broker_actor(zsock_t *pipe, void *args)
{
    s_broker(pipe, *(const cp_bus_endpoints_t *) args, NULL);
}

void
cp_bus_watched_broker_actor(zsock_t *pipe, void *args)
{
    const cp_bus_broker_args_t *broker_args = args;
    s_broker(pipe, broker_args->ep, broker_args->watch);
}

static void
s_broker(zsock_t *pipe, cp_bus_endpoints_t ep, cp_loop_watch_t *watch)
{
    prctl(PR_SET_NAME, "broker");         //  top -H, perf
    zsock_t *xsub = zsock_new(ZMQ_XSUB);
    zsock_t *xpub = zsock_new(ZMQ_XPUB);
    zsock_t *router = zsock_new(ZMQ_ROUTER);
    assert(xsub && xpub && router);
    zsock_set_router_mandatory(router, 1);
    zsock_set_router_handover(router, 1);
    //  Never block the broker on one peer's full queue: fail that send.
    zsock_set_sndtimeo(router, 0);
    zsock_set_sndhwm(xpub, 10000);
    zsock_set_linger(router, 0);
    int rc = 0;
    rc |= zsock_bind(xsub, "%s", ep.pub) < 0;
    rc |= zsock_bind(xpub, "%s", ep.sub) < 0;
    rc |= zsock_bind(router, "%s", ep.req) < 0;
    zsock_signal(pipe, rc ? 1 : 0);
    if (rc) {
        cp_error("bus", "broker cannot bind its endpoints (%s)", zmq_strerror(zmq_errno()));
        zsock_destroy(&xsub);
        zsock_destroy(&xpub);
        zsock_destroy(&router);
        return;
    }
    //  The broker takes every event from every publisher and filters at
    //  the XPUB, for each subscriber: a publisher's PUB then needs only
    //  this one subscription, which it gets when it connects, instead of
    //  every subscriber's forwarded one by one (cp_bus_join relies on it).
    zmq_send(zsock_resolve(xsub), "\x01", 1, 0);
    //  Every socket is looked at only when its descriptor fires, when it
    //  was the one read, or after a send on it (touched below): a wake-up
    //  for one event costs no look at the others (issue 12). SIGTERM is the
    //  supervisor's business: the bus must keep running while the actors
    //  shut down, or their last replies would block, so a signal only
    //  waits again.
    cp_poller_t *poller = cp_poller_new();
    if (!poller || cp_poller_add(poller, pipe, CP_LOOP_TOUCHED_ONLY) || cp_poller_add(poller, xsub, CP_LOOP_TOUCHED_ONLY)
    ||  cp_poller_add(poller, xpub, CP_LOOP_TOUCHED_ONLY) || cp_poller_add(poller, router, CP_LOOP_TOUCHED_ONLY)) {
        cp_error("bus", "broker: cannot poll its sockets");
        cp_poller_destroy(&poller);
        zsock_destroy(&xsub);
        zsock_destroy(&xpub);
        zsock_destroy(&router);
        return;
    }
    cp_poller_watch(poller, watch);
    while (true) {
        void *which = cp_poller_wait(poller, -1);
        if (!which) {
            if (cp_poller_terminated(poller))
                break;                          //  context terminated
            continue;                           //  EINTR from a signal
        }
        if (which == pipe) {
            char *cmd = zstr_recv(pipe);
            bool term = cmd && streq(cmd, "$TERM");     //  NULL: interrupted, not asked
            zstr_free(&cmd);
            if (term)
                break;
        }
        else
        if (which == xsub) {
            zmsg_t *msg = zmsg_recv(xsub);
            if (msg) {
                zmsg_send(&msg, xpub);
                cp_poller_touch(poller, xpub);
            }
            zmsg_destroy(&msg);
        }
        else
        if (which == xpub) {
            //  A subscription: the XPUB filters by it; nothing to forward.
            zmsg_t *msg = zmsg_recv(xpub);
            zmsg_destroy(&msg);
        }
        else
        if (which == router) {
            zmsg_t *msg = zmsg_recv(router);
            if (!msg)
                continue;
            if (zmsg_size(msg) != 5) {
                cp_warn("bus", "broker: dropped malformed request (%zu frames)", zmsg_size(msg));
                zmsg_destroy(&msg);
                continue;
            }
            zframe_t *from = zmsg_pop(msg);
            zframe_t *to = zmsg_pop(msg);
            zframe_t *kind = zmsg_first(msg);
            char k = zframe_size(kind) == 1 ? (char) zframe_data(kind)[0] : '?';
            zframe_t *corr = zframe_dup(zmsg_next(msg));
            zframe_t *sender = zframe_dup(from);
            zframe_t *dest = zframe_dup(to);
            //  [to][from][kind][corr][body]; destroyed below if not sent
            zmsg_prepend(msg, &from);
            zmsg_prepend(msg, &to);
            if (zmsg_send(&msg, router) != 0 && k == CP_BUS_REQUEST) {
                //  Not routable: tell the sender so it can retry or give up.
                zmsg_t *back = zmsg_new();
                char x = CP_BUS_UNREACHABLE;
                zmsg_append(back, &sender);
                zmsg_append(back, &dest);
                zmsg_addmem(back, &x, 1);
                zmsg_append(back, &corr);
                zmsg_addmem(back, "", 0);
                if (zmsg_send(&back, router) != 0)
                    zmsg_destroy(&back);
            }
            zmsg_destroy(&msg);
            zframe_destroy(&sender);
            zframe_destroy(&corr);
            zframe_destroy(&dest);
            cp_poller_touch(poller, router);
        }
    }
    cp_poller_destroy(&poller);
    zsock_destroy(&xsub);
    zsock_destroy(&xpub);
    zsock_destroy(&router);
}
