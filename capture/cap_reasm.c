/* TCP reassembly (see cap_reasm.h for the contract).
 *
 * Each direction ("half") keeps the next expected sequence number and the
 * matching 64-bit stream offset; sequence numbers are compared as signed
 * 32-bit differences from it, so they wrap freely. In-order payload is
 * passed to the sink straight from the caller's buffer; only segments
 * ahead of the next expected byte are copied, into a sorted list of
 * non-overlapping pieces (the first copy of a byte wins). Connections live
 * in a chained hash table keyed by the unordered 4-tuple; a closed
 * connection stays in the table as a tombstone for a while so that its
 * trailing ACKs do not look like a new connection. Live connections that
 * have carried no payload yet ("quiet") are also on one of two lists in
 * order of their last packet, half-open ones and established ones, so
 * that the least recently active one, or one idle too long, is found at a
 * head and evicted in O(1). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cap_reasm.h"
#include "cap_seen.h"
#include "proto_err.h"

#define DEFAULT_OOO_LIMIT ((size_t)4 << 20)
#define DEFAULT_LINGER_US ((uint64_t)120 * 1000000)
#define DEFAULT_MAX_QUIET 10000
#define DEFAULT_QUIET_IDLE_US ((uint64_t)120 * 1000000)
#define DEFAULT_MAX_CLOSED 65536
/* Segments further than this ahead of the stream are garbage, not data. */
#define MAX_AHEAD ((int64_t)1 << 30)

struct ooo { /* a buffered out-of-order piece */
	struct ooo *next;
	uint64_t off; /* stream offset of its first byte */
	size_t len;
	bool lost; /* bytes known to be missing (cut by the snap length) */
	uint8_t data[];
};

struct half { /* one direction of a connection */
	bool started, syn_seen, fin_known, ended;
	uint32_t isn;
	uint32_t next_seq;     /* sequence number of the next expected byte */
	uint64_t next_off;     /* its stream offset (bytes delivered + gaps) */
	uint64_t fin_off;      /* stream offset of the FIN, when known */
	struct ooo *q;	       /* sorted by offset, non-overlapping */
	struct cap_seen *seen; /* what was delivered lately (from the first
				  delivery until the end) */
};

struct conn {
	struct cap_conn pub;
	struct conn *hnext;	    /* hash chain */
	struct conn *prev, *next;   /* live list (by id) or closed list */
	struct conn *qprev, *qnext; /* its quiet list (by last packet) */
	struct half h[2];
	size_t ooo_bytes;
	uint64_t closed_us;
	uint32_t hash;
	bool closed;
	bool quiet;	  /* live, and no segment with payload yet */
	bool established; /* the client ACKed the server's SYN, or (open
			     before the capture) both sides sent an ACK */
};

struct quiet_list {
	struct conn *head, *tail; /* least recent first */
};

struct conn_list {
	struct conn *head, *tail;
};

struct cap_reasm {
	const struct cap_tcp_sink *sink;
	size_t ooo_limit;
	uint64_t linger_us;
	size_t max_quiet, max_closed;
	uint64_t quiet_idle_us;
	struct conn **buckets;
	size_t nbuckets, count;
	struct conn *last; /* the connection of the previous segment */
	struct conn_list live, closed;
	/* quiet connections: [0] half-open (evicted first), [1] established */
	struct quiet_list q[2];
	size_t nquiet, nclosed;
	uint64_t empty_closed; /* connections closed without any payload */
	uint64_t next_id;
	struct cap_reasm_stats st;
};

/* --- endpoints and the hash table ------------------------------------ */

static bool ep_eq(const struct cap_endpoint *a, const struct cap_endpoint *b)
{
	if (a->port != b->port || a->family != b->family)
		return false;
	/* constant sizes: compiled inline, no call to memcmp */
	if (a->family == 4)
		return memcmp(a->addr, b->addr, 4) == 0;
	return memcmp(a->addr, b->addr, 16) == 0;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	return x;
}

static uint64_t ep_hash(const struct cap_endpoint *e)
{
	uint64_t h = (uint64_t)e->port << 8 | e->family;
	if (e->family == 4) {
		uint32_t a;
		memcpy(&a, e->addr, 4);
		return mix64(h ^ (uint64_t)a << 24);
	}
	uint64_t a, b;
	memcpy(&a, e->addr, 8);
	memcpy(&b, e->addr + 8, 8);
	return mix64(h ^ mix64(a) ^ mix64(b + 0x9e3779b97f4a7c15u));
}

/* Symmetric in its two endpoints: both directions hash alike. */
static uint32_t tuple_hash(const struct cap_endpoint *a,
			   const struct cap_endpoint *b)
{
	uint64_t x = ep_hash(a), y = ep_hash(b);
	uint64_t lo = x < y ? x : y, hi = x < y ? y : x;
	return (uint32_t)mix64(lo * 31 + hi);
}

static bool conn_matches(const struct conn *c, const struct cap_segment *s)
{
	return (ep_eq(&s->src, &c->pub.client) &&
		ep_eq(&s->dst, &c->pub.server)) ||
	       (ep_eq(&s->src, &c->pub.server) &&
		ep_eq(&s->dst, &c->pub.client));
}

static struct conn *conn_lookup(struct cap_reasm *r, uint32_t hv,
				const struct cap_segment *s)
{
	for (struct conn *c = r->buckets[hv & (r->nbuckets - 1)]; c;
	     c = c->hnext)
		if (c->hash == hv && conn_matches(c, s))
			return r->last = c;
	return NULL;
}

static int table_grow(struct cap_reasm *r)
{
	size_t n = r->nbuckets * 2;
	struct conn **b = calloc(n, sizeof(*b));
	if (!b)
		return PROTO_E_NOMEM;
	for (size_t i = 0; i < r->nbuckets; i++) {
		struct conn *c = r->buckets[i], *next;
		for (; c; c = next) {
			next = c->hnext;
			c->hnext = b[c->hash & (n - 1)];
			b[c->hash & (n - 1)] = c;
		}
	}
	free(r->buckets);
	r->buckets = b;
	r->nbuckets = n;
	return 0;
}

static void table_remove(struct cap_reasm *r, struct conn *c)
{
	struct conn **pp = &r->buckets[c->hash & (r->nbuckets - 1)];
	while (*pp != c)
		pp = &(*pp)->hnext;
	*pp = c->hnext;
	r->count--;
	if (r->last == c)
		r->last = NULL;
}

static void list_append(struct conn_list *l, struct conn *c)
{
	c->next = NULL;
	c->prev = l->tail;
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
}

static void list_remove(struct conn_list *l, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
}

/* --- the quiet list ------------------------------------------------------ */

static void quiet_remove(struct cap_reasm *r, struct conn *c)
{
	if (!c->quiet)
		return;
	struct quiet_list *l = &r->q[c->established];
	if (c->qprev)
		c->qprev->qnext = c->qnext;
	else
		l->head = c->qnext;
	if (c->qnext)
		c->qnext->qprev = c->qprev;
	else
		l->tail = c->qprev;
	c->qprev = c->qnext = NULL;
	c->quiet = false;
	r->nquiet--;
}

/* At the tail of its list: the most recently active. */
static void quiet_append(struct cap_reasm *r, struct conn *c)
{
	struct quiet_list *l = &r->q[c->established];
	c->quiet = true;
	c->qnext = NULL;
	c->qprev = l->tail;
	if (l->tail)
		l->tail->qnext = c;
	else
		l->head = c;
	l->tail = c;
	r->nquiet++;
}

/* The one to evict when too many are held: the least recently active
 * half-open one (a SYN flood's), else the least recent established. */
static struct conn *quiet_victim(const struct cap_reasm *r)
{
	return r->q[0].head ? r->q[0].head : r->q[1].head;
}

/* --- delivery ---------------------------------------------------------- */

static void deliver(struct cap_reasm *r, struct conn *c, int d,
		    const uint8_t *p, size_t n, uint64_t ts)
{
	if (n == 0)
		return;
	struct half *h = &c->h[d];
	if (!h->seen && !h->ended)
		h->seen = cap_seen_new(); /* NULL: nothing compared */
	if (h->seen)
		cap_seen_data(h->seen, h->next_off, p, n);
	c->pub.bytes[d] += n;
	h->next_seq += (uint32_t)n;
	h->next_off += n;
	if (r->sink->data)
		r->sink->data(r->sink->ctx, &c->pub, (enum cap_dir)d, p, n, ts);
}

static void declare_gap(struct cap_reasm *r, struct conn *c, int d, uint64_t n,
			uint64_t ts)
{
	if (n == 0)
		return;
	struct half *h = &c->h[d];
	quiet_remove(r, c); /* bytes were sent, if not seen */
	c->pub.gap_bytes[d] += n;
	h->next_seq += (uint32_t)n;
	h->next_off += n;
	if (h->seen)
		cap_seen_gap(h->seen, h->next_off);
	r->st.gaps++;
	r->st.gap_bytes += n;
	if (r->sink->gap)
		r->sink->gap(r->sink->ctx, &c->pub, (enum cap_dir)d, n, ts);
}

/* Drop direction d's buffered pieces (after its end: bytes past a FIN). */
static void free_queue(struct conn *c, int d)
{
	struct ooo *e, *next;
	for (e = c->h[d].q; e; e = next) {
		next = e->next;
		if (!e->lost)
			c->ooo_bytes -= e->len;
		free(e);
	}
	c->h[d].q = NULL;
}

static void end_half(struct cap_reasm *r, struct conn *c, int d,
		     enum cap_end how, uint64_t ts)
{
	struct half *h = &c->h[d];
	if (h->ended)
		return;
	h->ended = true;
	free_queue(c, d);
	cap_seen_free(h->seen);
	h->seen = NULL;
	if (r->sink->end)
		r->sink->end(r->sink->ctx, &c->pub, (enum cap_dir)d, how, ts);
}

static void check_fin(struct cap_reasm *r, struct conn *c, int d, uint64_t ts)
{
	struct half *h = &c->h[d];
	if (h->fin_known && !h->ended && h->next_off >= h->fin_off)
		end_half(r, c, d, CAP_END_FIN, ts);
}

/* Deliver the buffered pieces that became in order. */
static void drain(struct cap_reasm *r, struct conn *c, int d, uint64_t ts)
{
	struct half *h = &c->h[d];
	struct ooo *e;
	while ((e = h->q) && e->off <= h->next_off) {
		h->q = e->next;
		if (!e->lost)
			c->ooo_bytes -= e->len;
		uint64_t end = e->off + e->len;
		if (end > h->next_off) {
			size_t skip = (size_t)(h->next_off - e->off);
			if (e->lost)
				declare_gap(r, c, d, e->len - skip, ts);
			else
				deliver(r, c, d, e->data + skip, e->len - skip,
					ts);
		}
		free(e);
	}
	check_fin(r, c, d, ts);
}

/* Declare everything up to stream offset `target` that is not buffered a
 * gap, delivering the buffered pieces on the way. */
static void advance_to(struct cap_reasm *r, struct conn *c, int d,
		       uint64_t target, uint64_t ts)
{
	struct half *h = &c->h[d];
	drain(r, c, d, ts);
	while (!h->ended && h->next_off < target) {
		uint64_t stop = target;
		if (h->q && h->q->off < stop)
			stop = h->q->off;
		declare_gap(r, c, d, stop - h->next_off, ts);
		drain(r, c, d, ts);
	}
}

/* Declare every remaining hole of direction d (before its buffered data
 * and before a known FIN) a gap. */
static void flush_half(struct cap_reasm *r, struct conn *c, int d, uint64_t ts)
{
	struct half *h = &c->h[d];
	while (h->q)
		advance_to(r, c, d, h->q->off, ts);
	if (h->fin_known && h->next_off < h->fin_off)
		advance_to(r, c, d, h->fin_off, ts);
	check_fin(r, c, d, ts);
}

/* --- out-of-order buffering ------------------------------------------ */

static struct ooo *piece_new(uint64_t off, const uint8_t *p, size_t n,
			     bool lost)
{
	struct ooo *e = malloc(sizeof(*e) + (lost ? 0 : n));
	if (!e)
		return NULL;
	e->next = NULL;
	e->off = off;
	e->len = n;
	e->lost = lost;
	if (!lost)
		memcpy(e->data, p, n);
	return e;
}

/* Whether the first `trim` known bytes of p[0..len), which end at the
 * next expected byte of h, differ from what was delivered there. */
static bool differs_delivered(const struct half *h, uint64_t trim,
			      const uint8_t *p, size_t len)
{
	if (!h->seen || !p)
		return false;
	size_t n = len < trim ? len : (size_t)trim;
	/* a segment reaching back before the stream's first byte */
	uint64_t skip = trim > h->next_off ? trim - h->next_off : 0;
	if (skip >= n)
		return false;
	return cap_seen_differs(h->seen, skip ? 0 : h->next_off - trim,
				p + skip, n - (size_t)skip);
}

/* Insert [off, off+n) into direction d's list, keeping only the bytes no
 * piece already holds (the first copy wins); *conflict set when some of
 * them differ from what that first copy holds. */
static int insert(struct cap_reasm *r, struct conn *c, int d, uint64_t off,
		  const uint8_t *p, size_t n, bool lost, bool *conflict)
{
	struct half *h = &c->h[d];
	struct ooo **pp = &h->q;
	uint64_t a = off, b = off + n;
	if (a < h->next_off) { /* already delivered */
		uint64_t k = h->next_off - a;
		if (!lost && differs_delivered(h, k, p, n))
			*conflict = true;
		r->st.dup_bytes += k;
		a = h->next_off;
	}
	while (a < b) {
		struct ooo *e = *pp;
		uint64_t stop = b;
		if (e && e->off < stop)
			stop = e->off;
		if (a < stop) {
			struct ooo *np = piece_new(
			    a, lost ? NULL : p + (a - off), stop - a, lost);
			if (!np) {
				r->st.nomem++;
				return PROTO_E_NOMEM;
			}
			np->next = e;
			*pp = np;
			if (!lost)
				c->ooo_bytes += np->len;
			pp = &np->next;
			a = stop;
			continue;
		}
		/* a lies inside or after e */
		uint64_t eend = e->off + e->len;
		if (a < eend) {
			uint64_t skip = (eend < b ? eend : b) - a;
			if (!lost && !e->lost &&
			    memcmp(p + (a - off), e->data + (a - e->off),
				   (size_t)skip) != 0)
				*conflict = true;
			r->st.dup_bytes += skip;
			a += skip;
		}
		pp = &e->next;
	}
	return 0;
}

/* Make room for n bytes to be buffered at stream offset `off` of direction
 * d: declare the first hole of d a gap (if it lies before `off`), else the
 * first hole of the other direction, else the hole before `off` itself. */
static void make_room(struct cap_reasm *r, struct conn *c, int d, uint64_t off,
		      size_t n, uint64_t ts)
{
	struct half *h = &c->h[d], *o = &c->h[!d];
	while (c->ooo_bytes + n > r->ooo_limit) {
		if (h->q && h->q->off <= off)
			advance_to(r, c, d, h->q->off, ts);
		else if (o->q)
			advance_to(r, c, !d, o->q->off, ts);
		else if (h->next_off < off)
			advance_to(r, c, d, off, ts);
		else
			return;
	}
}

/* --- segments ------------------------------------------------------------ */

static void half_start(struct half *h, const struct cap_segment *s)
{
	h->started = true;
	h->next_off = 0;
	if (s->flags & CAP_TCP_SYN) {
		h->syn_seen = true;
		h->isn = s->seq;
		h->next_seq = s->seq + 1;
	} else {
		h->next_seq = s->seq;
	}
}

/* Relative position of sequence number `seq` to the next expected byte. */
static int64_t seq_rel(const struct half *h, uint32_t seq)
{
	return (int64_t)(int32_t)(seq - h->next_seq);
}

/* A segment of direction d carried bytes other than the first copy of
 * them (which is kept): counted once a segment. */
static void note_conflict(struct cap_reasm *r, struct conn *c, int d,
			  uint64_t ts)
{
	if (c->pub.conflicts[d]++ == 0) {
		c->pub.conflict_us[d] = ts;
		c->pub.conflict_off[d] = c->h[d].next_off;
	}
	r->st.conflicts++;
}

static int payload(struct cap_reasm *r, struct conn *c, int d,
		   const struct cap_segment *s)
{
	struct half *h = &c->h[d];
	uint32_t dseq = s->seq + ((s->flags & CAP_TCP_SYN) ? 1u : 0u);
	int64_t rel = seq_rel(h, dseq);
	const uint8_t *p = s->payload;
	size_t len = s->payload ? s->len : 0;
	uint64_t miss = s->missing + (s->payload ? 0 : s->len);
	uint64_t total = len + miss;
	if (h->ended) {
		r->st.dup_bytes += total;
		return 0;
	}
	if (rel > MAX_AHEAD) {
		r->st.implausible++;
		return 0;
	}
	bool conflict = false;
	if (rel < 0) {
		uint64_t trim = (uint64_t)-rel;
		if (differs_delivered(h, trim, p, len)) {
			conflict = true;
			note_conflict(r, c, d, s->ts_us);
		}
		if (trim >= total) {
			r->st.dup_bytes += total;
			return 0;
		}
		r->st.dup_bytes += trim;
		if (trim >= len) {
			miss -= trim - len;
			p += len;
			len = 0;
		} else {
			p += trim;
			len -= (size_t)trim;
		}
		rel = 0;
	}
	uint64_t off = h->next_off + (uint64_t)rel;
	if (rel == 0 && (!h->q || h->q->off >= off + len + miss)) {
		/* the fast path: in order, nothing buffered in the way */
		deliver(r, c, d, p, len, s->ts_us);
		declare_gap(r, c, d, miss, s->ts_us);
		drain(r, c, d, s->ts_us);
		return 0;
	}
	if (rel > 0) {
		r->st.ooo_segments++;
		make_room(r, c, d, off, len, s->ts_us);
		if (h->ended) /* a FIN became in order on the way */
			return 0;
	}
	bool differs = false;
	int rc = insert(r, c, d, off, p, len, false, &differs);
	if (rc == 0 && miss)
		rc = insert(r, c, d, off + len, NULL, miss, true, &differs);
	if (differs && !conflict)
		note_conflict(r, c, d, s->ts_us);
	drain(r, c, d, s->ts_us);
	return rc;
}

/* The other side acknowledged up to `ack`: bytes of direction d before it
 * that were never seen are a gap. */
static void acked(struct cap_reasm *r, struct conn *c, int d, uint32_t ack,
		  uint64_t ts)
{
	struct half *h = &c->h[d];
	if (!h->started || h->ended)
		return;
	int64_t rel = seq_rel(h, ack);
	if (rel <= 0 || rel > MAX_AHEAD)
		return;
	uint64_t target = h->next_off + (uint64_t)rel;
	if (h->fin_known && target > h->fin_off)
		target = h->fin_off; /* the FIN takes a sequence number */
	if (target > h->next_off)
		advance_to(r, c, d, target, ts);
}

static void fin(struct cap_reasm *r, struct conn *c, int d,
		const struct cap_segment *s)
{
	struct half *h = &c->h[d];
	if (h->fin_known || h->ended)
		return;
	uint32_t dseq = s->seq + ((s->flags & CAP_TCP_SYN) ? 1u : 0u);
	int64_t rel = seq_rel(h, dseq) + (int64_t)s->len + s->missing;
	if (rel > MAX_AHEAD)
		return;
	h->fin_known = true;
	h->fin_off = h->next_off + (uint64_t)(rel > 0 ? rel : 0);
	check_fin(r, c, d, s->ts_us);
}

static void conn_drop(struct cap_reasm *r, struct conn *c)
{
	table_remove(r, c);
	list_remove(&r->closed, c);
	r->nclosed--;
	free(c);
}

/* Forget live connection c: it carried no payload (quiet). The sink
 * hears `forget` instead of its ends and close; its 4-tuple is not
 * remembered (a later packet opens a new connection). */
static void conn_evict(struct cap_reasm *r, struct conn *c)
{
	quiet_remove(r, c);
	free_queue(c, 0);
	free_queue(c, 1);
	cap_seen_free(c->h[0].seen); /* never delivered: NULL */
	cap_seen_free(c->h[1].seen);
	r->st.evicted++;
	if (r->sink->forget)
		r->sink->forget(r->sink->ctx, &c->pub);
	table_remove(r, c);
	list_remove(&r->live, c);
	free(c);
}

static void conn_close(struct cap_reasm *r, struct conn *c)
{
	if (c->quiet && r->empty_closed >= r->max_quiet) {
		/* beyond max_quiet connections that ended without payload
		 * (a port scan): counted, not reported one by one */
		conn_evict(r, c);
		return;
	}
	if (c->quiet)
		r->empty_closed++;
	quiet_remove(r, c);
	free_queue(c, 0);
	free_queue(c, 1);
	for (int d = 0; d < 2; d++) {
		cap_seen_free(c->h[d].seen);
		c->h[d].seen = NULL;
	}
	if (r->sink->close)
		r->sink->close(r->sink->ctx, &c->pub);
	c->closed = true;
	c->closed_us = c->pub.last_us;
	list_remove(&r->live, c);
	list_append(&r->closed, c);
	if (++r->nclosed > r->max_closed)
		conn_drop(r, r->closed.head);
}

static void reset(struct cap_reasm *r, struct conn *c, int d, uint64_t ts)
{
	for (int k = 0; k < 2; k++) {
		int dd = k ? !d : d;
		if (c->h[dd].ended)
			continue;
		flush_half(r, c, dd, ts);
		end_half(r, c, dd, CAP_END_RST, ts);
	}
}

static struct conn *conn_new(struct cap_reasm *r, uint32_t hv,
			     const struct cap_segment *s)
{
	/* a SYN flood: the least recently active quiet one makes room */
	if (r->nquiet >= r->max_quiet)
		conn_evict(r, quiet_victim(r));
	if (r->count >= r->nbuckets && table_grow(r) != 0)
		return NULL;
	struct conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	const struct cap_endpoint *cl = &s->src, *sv = &s->dst;
	uint8_t sa = s->flags & (CAP_TCP_SYN | CAP_TCP_ACK);
	if (sa == (CAP_TCP_SYN | CAP_TCP_ACK) ||
	    (!(s->flags & CAP_TCP_SYN) && s->len == 0 && s->missing == 0 &&
	     s->dst.port > s->src.port)) {
		cl = &s->dst;
		sv = &s->src;
	}
	c->pub.id = ++r->next_id;
	c->pub.client = *cl;
	c->pub.server = *sv;
	c->pub.saw_syn = (s->flags & CAP_TCP_SYN) != 0;
	c->pub.first_us = c->pub.last_us = s->ts_us;
	c->hash = hv;
	c->hnext = r->buckets[hv & (r->nbuckets - 1)];
	r->buckets[hv & (r->nbuckets - 1)] = c;
	r->count++;
	list_append(&r->live, c);
	quiet_append(r, c);
	r->st.conns++;
	r->last = c;
	if (r->sink->open)
		r->sink->open(r->sink->ctx, &c->pub);
	return c;
}

static void expire_closed(struct cap_reasm *r, uint64_t now)
{
	struct conn *c;
	while ((c = r->closed.head) && c->closed_us + r->linger_us < now)
		conn_drop(r, c);
}

static void expire_quiet(struct cap_reasm *r, uint64_t now)
{
	for (int k = 0; k < 2; k++) {
		struct conn *c;
		while ((c = r->q[k].head) &&
		       c->pub.last_us + r->quiet_idle_us < now)
			conn_evict(r, c);
	}
}

int cap_reasm_segment(struct cap_reasm *r, const struct cap_segment *s)
{
	r->st.segments++;
	if (r->closed.head)
		expire_closed(r, s->ts_us);
	if (r->nquiet)
		expire_quiet(r, s->ts_us);
	/* The previous segment's connection first, before any hashing:
	 * consecutive segments mostly belong to one connection. */
	struct conn *c = r->last && conn_matches(r->last, s) ? r->last : NULL;
	uint32_t hv = c ? c->hash : tuple_hash(&s->src, &s->dst);
	if (!c)
		c = conn_lookup(r, hv, s);
	bool syn_only = (s->flags & (CAP_TCP_SYN | CAP_TCP_ACK)) == CAP_TCP_SYN;
	if (c && c->closed) {
		if (!syn_only) {
			r->st.after_close++;
			return 0;
		}
		conn_drop(r, c); /* the 4-tuple is reused */
		c = NULL;
	}
	if (!c) {
		if ((s->flags & CAP_TCP_RST) && s->len == 0) {
			r->st.after_close++; /* a stray reset */
			return 0;
		}
		c = conn_new(r, hv, s);
		if (!c) {
			r->st.nomem++;
			return PROTO_E_NOMEM;
		}
	}
	int d = ep_eq(&s->src, &c->pub.client) ? CAP_C2S : CAP_S2C;
	struct half *h = &c->h[d];
	if (s->ts_us > c->pub.last_us)
		c->pub.last_us = s->ts_us;
	if (s->flags & CAP_TCP_SYN)
		c->pub.saw_syn = true;
	if (c->quiet) {
		/* an ACK without SYN while the other side has spoken: the
		 * handshake's last packet (not the SYN flood's, whose
		 * SYN+ACKs go to spoofed addresses and get no answer) */
		bool est =
		    c->established ||
		    ((s->flags & (CAP_TCP_SYN | CAP_TCP_ACK | CAP_TCP_RST)) ==
			 CAP_TCP_ACK &&
		     c->h[!d].started);
		if (s->len || s->missing) {
			quiet_remove(r, c);
		} else if (est != c->established ||
			   c != r->q[c->established].tail) {
			quiet_remove(r, c); /* to the tail: the most recent */
			c->established = est;
			quiet_append(r, c);
		}
	}
	if (!h->started)
		half_start(h, s);
	if (s->flags & CAP_TCP_ACK)
		acked(r, c, !d, s->ack, s->ts_us);
	int rc = 0;
	if (s->len || s->missing)
		rc = payload(r, c, d, s);
	if (s->flags & CAP_TCP_FIN)
		fin(r, c, d, s);
	if (s->flags & CAP_TCP_RST)
		reset(r, c, d, s->ts_us);
	if (c->h[0].ended && c->h[1].ended)
		conn_close(r, c);
	return rc;
}

void cap_reasm_finish(struct cap_reasm *r)
{
	struct conn *c;
	while ((c = r->live.head)) {
		uint64_t ts = c->pub.last_us;
		for (int d = 0; d < 2; d++) {
			if (c->h[d].ended)
				continue;
			flush_half(r, c, d, ts);
			end_half(r, c, d, CAP_END_CAPTURE, ts);
		}
		conn_close(r, c);
	}
	while (r->closed.head)
		conn_drop(r, r->closed.head);
}

struct cap_reasm *cap_reasm_new(const struct cap_tcp_sink *sink,
				const struct cap_reasm_opts *opts)
{
	struct cap_reasm *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->sink = sink;
	r->ooo_limit =
	    opts && opts->ooo_limit ? opts->ooo_limit : DEFAULT_OOO_LIMIT;
	r->linger_us =
	    opts && opts->linger_us ? opts->linger_us : DEFAULT_LINGER_US;
	r->max_quiet =
	    opts && opts->max_quiet ? opts->max_quiet : DEFAULT_MAX_QUIET;
	r->quiet_idle_us = opts && opts->quiet_idle_us ? opts->quiet_idle_us
						       : DEFAULT_QUIET_IDLE_US;
	r->max_closed =
	    opts && opts->max_closed ? opts->max_closed : DEFAULT_MAX_CLOSED;
	r->nbuckets = 256;
	r->buckets = calloc(r->nbuckets, sizeof(*r->buckets));
	if (!r->buckets) {
		free(r);
		return NULL;
	}
	return r;
}

void cap_reasm_get_stats(const struct cap_reasm *r, struct cap_reasm_stats *out)
{
	*out = r->st;
}

size_t cap_reasm_held(const struct cap_reasm *r)
{
	return r->count;
}

size_t cap_reasm_quiet(const struct cap_reasm *r)
{
	return r->nquiet;
}

void cap_reasm_free(struct cap_reasm *r)
{
	if (!r)
		return;
	cap_reasm_finish(r);
	free(r->buckets);
	free(r);
}
