/* The filter sink of cap_tls.h: a cap_tcp_sink in front of another one
 * that replaces the bytes of decryptable TLS connections by their
 * plaintext. A connection whose client bytes begin like a TLS record gets
 * a decryptor; its raw bytes are held (not passed on) until the
 * decryptor either decrypts a first record (then only plaintext goes on)
 * or gives up (then the held bytes and everything after go on untouched,
 * so the inner sink sees the TLS connection as it was). Ends that arrive
 * while undecided wait with the bytes. Before a TLS connection's close,
 * the inner sink hears what became of it (its `tls` event). */
#include <stdlib.h>
#include <string.h>

#include "cap_tls.h"
#include "proto_buf.h"

#define HOLD_MAX (8u << 20)

enum tf_mode {
	TF_DETECT, /* no client bytes yet, or too few to tell */
	TF_TLS,	   /* a decryptor runs; raw bytes held until decided */
	TF_PLAIN,  /* decrypting: plaintext goes on */
	TF_PASS,   /* everything goes on untouched */
};

struct tf_conn {
	struct cap_tls_filter *f;
	struct cap_conn *cc;
	struct tf_conn *prev, *next;
	void *inner_user; /* the inner sink's cc->user */
	enum tf_mode mode;
	struct cap_tls *tls;
	bool was_tls;		   /* a decryptor ran: tell inner at close */
	struct cap_tls_info final; /* its info when it was freed */
	struct proto_buf held[2];
	uint64_t ts[2];
	bool end_pending[2];
	enum cap_end end_how[2];
	uint64_t end_ts[2];
	uint64_t gap_sent[2]; /* undecrypted bytes already passed as gaps */
};

struct cap_tls_filter {
	const struct cap_keylog *kl;
	struct cap_tcp_sink *inner;
	struct cap_tcp_sink sink;
	cap_tls_report_cb report;
	void *report_ctx;
	struct tf_conn *conns;
	struct cap_tls_filter_stats st;
};

/* Calls into the inner sink with its own cc->user in place. */
#define INNER(tc, call)                                                        \
	do {                                                                   \
		struct cap_conn *cc_ = (tc)->cc;                               \
		struct cap_tcp_sink *in_ = (tc)->f->inner;                     \
		cc_->user = (tc)->inner_user;                                  \
		in_->call;                                                     \
		(tc)->inner_user = cc_->user;                                  \
		cc_->user = (tc);                                              \
	} while (0)

static void inner_data(struct tf_conn *tc, enum cap_dir dir, const uint8_t *p,
		       size_t n, uint64_t ts)
{
	if (n)
		INNER(tc, data(in_->ctx, cc_, dir, p, n, ts));
}

static void on_plaintext(void *ctx, enum cap_dir dir, const uint8_t *p,
			 size_t n)
{
	struct tf_conn *tc = ctx;
	inner_data(tc, dir, p, n, tc->ts[dir]);
}

static void on_report(void *ctx, enum cap_dir dir, int err, const char *msg)
{
	struct tf_conn *tc = ctx;
	if (tc->f->report)
		tc->f->report(tc->f->report_ctx, tc->cc, dir, err, msg);
}

static void flush_ends(struct tf_conn *tc)
{
	for (int i = 0; i < 2; i++) {
		if (!tc->end_pending[i])
			continue;
		tc->end_pending[i] = false;
		INNER(tc, end(in_->ctx, cc_, (enum cap_dir)i, tc->end_how[i],
			      tc->end_ts[i]));
	}
}

/* Give the held bytes on untouched and pass everything from now on; a
 * decryptor's info is kept, with `err` (found in `dir`) as the reason
 * where the decryptor had none (the filter gives up itself). */
static void go_pass(struct tf_conn *tc, enum cap_dir dir, int err)
{
	tc->mode = TF_PASS;
	if (tc->tls) {
		tc->final = *cap_tls_info(tc->tls);
		if (err && !tc->final.err) {
			tc->final.err = err;
			tc->final.err_dir = dir;
		}
	}
	cap_tls_free(tc->tls);
	tc->tls = NULL;
	for (int i = 0; i < 2; i++) {
		if (proto_buf_size(&tc->held[i]))
			inner_data(tc, (enum cap_dir)i,
				   proto_buf_head(&tc->held[i]),
				   proto_buf_size(&tc->held[i]), tc->ts[i]);
		proto_buf_free(&tc->held[i]);
	}
	flush_ends(tc);
}

/* After feeding the decryptor: decided yet? */
static void check_state(struct tf_conn *tc)
{
	struct cap_tls_filter *f = tc->f;
	switch (cap_tls_info(tc->tls)->state) {
	case CAP_TLS_HELLO:
	case CAP_TLS_KEYS:
		if (proto_buf_size(&tc->held[0]) +
			proto_buf_size(&tc->held[1]) >
		    HOLD_MAX) {
			f->st.failed++;
			on_report(tc, CAP_S2C, CAP_TLS_E_TOO_BIG,
				  "no record decrypted in the first 8 MiB; "
				  "not decrypted");
			go_pass(tc, CAP_S2C, CAP_TLS_E_TOO_BIG);
		}
		return;
	case CAP_TLS_DECRYPTING:
		tc->mode = TF_PLAIN;
		f->st.decrypted++;
		for (int i = 0; i < 2; i++)
			proto_buf_free(&tc->held[i]);
		flush_ends(tc);
		return;
	case CAP_TLS_NOT_TLS:
		f->st.tls--;
		break;
	case CAP_TLS_NO_KEY:
		f->st.no_key++;
		break;
	case CAP_TLS_UNSUPPORTED:
	case CAP_TLS_FAILED:
		f->st.failed++;
		break;
	}
	go_pass(tc, CAP_C2S, 0);
}

/* Undecrypted bytes of a stopped direction go on as one gap. */
static void pass_gap(struct tf_conn *tc, enum cap_dir dir, uint64_t ts)
{
	uint64_t u = cap_tls_info(tc->tls)->undecrypted[dir];
	if (u > tc->gap_sent[dir]) {
		uint64_t n = u - tc->gap_sent[dir];
		tc->gap_sent[dir] = u;
		INNER(tc, gap(in_->ctx, cc_, dir, n, ts));
	}
}

static void tf_open(void *ctx, struct cap_conn *cc)
{
	struct cap_tls_filter *f = ctx;
	struct tf_conn *tc = calloc(1, sizeof(*tc));
	cc->user = tc;
	if (!tc)
		return; /* out of memory: the connection is dropped */
	tc->f = f;
	tc->cc = cc;
	proto_buf_init(&tc->held[0]);
	proto_buf_init(&tc->held[1]);
	tc->next = f->conns;
	if (f->conns)
		f->conns->prev = tc;
	f->conns = tc;
	cc->user = tc;
	INNER(tc, open(in_->ctx, cc_));
}

static void tf_data(void *ctx, struct cap_conn *cc, enum cap_dir dir,
		    const uint8_t *p, size_t n, uint64_t ts)
{
	struct cap_tls_filter *f = ctx;
	struct tf_conn *tc = cc->user;
	if (!tc) { /* see tf_open */
		f->inner->data(f->inner->ctx, cc, dir, p, n, ts);
		return;
	}
	tc->ts[dir] = ts;
	switch (tc->mode) {
	case TF_PASS:
		inner_data(tc, dir, p, n, ts);
		return;
	case TF_DETECT:
		if (proto_buf_append(&tc->held[dir], p, n) < 0) {
			go_pass(tc, dir, 0);
			return;
		}
		size_t cn = proto_buf_size(&tc->held[CAP_C2S]);
		if (cn == 0) {
			/* the server spoke first */
			if (proto_buf_size(&tc->held[CAP_S2C]))
				go_pass(tc, dir, 0);
			return;
		}
		const uint8_t *h = proto_buf_head(&tc->held[CAP_C2S]);
		if (h[0] != 0x16 || (cn >= 2 && h[1] != 0x03)) {
			go_pass(tc, dir, 0);
			return;
		}
		if (cn < 2)
			return;
		struct cap_tls_cbs cbs = {tc, on_plaintext, on_report};
		if (!(tc->tls = cap_tls_new(f->kl, &cbs))) {
			go_pass(tc, dir, 0);
			return;
		}
		tc->mode = TF_TLS;
		tc->was_tls = true;
		f->st.tls++;
		for (int i = 0; i < 2 && tc->mode == TF_TLS; i++) {
			struct proto_buf *b = &tc->held[i];
			if (proto_buf_size(b) &&
			    cap_tls_feed(tc->tls, (enum cap_dir)i,
					 proto_buf_head(b),
					 proto_buf_size(b)) < 0) {
				f->st.failed++;
				go_pass(tc, (enum cap_dir)i, CAP_TLS_E_NOMEM);
				return;
			}
			check_state(tc);
		}
		return;
	case TF_TLS:
		if (proto_buf_append(&tc->held[dir], p, n) < 0 ||
		    cap_tls_feed(tc->tls, dir, p, n) < 0) {
			f->st.failed++;
			on_report(tc, dir, CAP_TLS_E_NOMEM,
				  "out of memory; not decrypted");
			go_pass(tc, dir, CAP_TLS_E_NOMEM);
			return;
		}
		check_state(tc);
		return;
	case TF_PLAIN:
		if (cap_tls_feed(tc->tls, dir, p, n) < 0)
			cap_tls_gap(tc->tls, dir, n);
		return;
	}
}

static void tf_gap(void *ctx, struct cap_conn *cc, enum cap_dir dir, uint64_t n,
		   uint64_t ts)
{
	struct cap_tls_filter *f = ctx;
	struct tf_conn *tc = cc->user;
	if (!tc)
		return;
	if (tc->mode == TF_DETECT || tc->mode == TF_TLS) {
		if (tc->mode == TF_TLS) {
			f->st.failed++;
			on_report(tc, dir, CAP_TLS_E_GAP,
				  "data missing before decryption began; not "
				  "decrypted");
		}
		go_pass(tc, dir, CAP_TLS_E_GAP);
	}
	if (tc->mode == TF_PASS) {
		INNER(tc, gap(in_->ctx, cc_, dir, n, ts));
		return;
	}
	cap_tls_gap(tc->tls, dir, n);
	pass_gap(tc, dir, ts);
}

static void tf_end(void *ctx, struct cap_conn *cc, enum cap_dir dir,
		   enum cap_end how, uint64_t ts)
{
	(void)ctx;
	struct tf_conn *tc = cc->user;
	if (!tc)
		return;
	if (tc->mode == TF_DETECT || tc->mode == TF_TLS) {
		tc->end_pending[dir] = true;
		tc->end_how[dir] = how;
		tc->end_ts[dir] = ts;
		return;
	}
	if (tc->mode == TF_PLAIN)
		pass_gap(tc, dir, ts);
	INNER(tc, end(in_->ctx, cc_, dir, how, ts));
}

static void tc_free(struct tf_conn *tc)
{
	struct cap_tls_filter *f = tc->f;
	if (tc->prev)
		tc->prev->next = tc->next;
	else
		f->conns = tc->next;
	if (tc->next)
		tc->next->prev = tc->prev;
	cap_tls_free(tc->tls);
	proto_buf_free(&tc->held[0]);
	proto_buf_free(&tc->held[1]);
	free(tc);
}

static void tf_close(void *ctx, struct cap_conn *cc)
{
	struct cap_tls_filter *f = ctx;
	struct tf_conn *tc = cc->user;
	if (!tc)
		return;
	if (tc->mode == TF_TLS) {
		const struct cap_tls_info *in = cap_tls_info(tc->tls);
		if (in->state == CAP_TLS_KEYS)
			f->st.failed++;
	}
	if (tc->mode == TF_DETECT || tc->mode == TF_TLS)
		go_pass(tc, CAP_C2S, 0);
	if (tc->was_tls && f->inner->tls) {
		const struct cap_tls_info *in =
		    tc->tls ? cap_tls_info(tc->tls) : &tc->final;
		INNER(tc, tls(in_->ctx, cc_, in));
	}
	INNER(tc, close(in_->ctx, cc_));
	cc->user = tc->inner_user;
	tc_free(tc);
}

/* A quiet connection evicted (cap_stream.h): no bytes came, so nothing
 * is held; the inner sink forgets it too. */
static void tf_forget(void *ctx, struct cap_conn *cc)
{
	struct cap_tls_filter *f = ctx;
	struct tf_conn *tc = cc->user;
	if (!tc) { /* see tf_open */
		if (f->inner->forget)
			f->inner->forget(f->inner->ctx, cc);
		return;
	}
	if (f->inner->forget)
		INNER(tc, forget(in_->ctx, cc_));
	cc->user = tc->inner_user;
	tc_free(tc);
}

struct cap_tls_filter *cap_tls_filter_new(const struct cap_keylog *kl,
					  struct cap_tcp_sink *inner,
					  cap_tls_report_cb report,
					  void *report_ctx)
{
	struct cap_tls_filter *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->kl = kl;
	f->inner = inner;
	f->report = report;
	f->report_ctx = report_ctx;
	f->sink = (struct cap_tcp_sink){f,	tf_open,  tf_data, tf_gap,
					tf_end, tf_close, NULL,	   tf_forget};
	return f;
}

struct cap_tcp_sink *cap_tls_filter_sink(struct cap_tls_filter *f)
{
	return &f->sink;
}

void cap_tls_filter_get_stats(const struct cap_tls_filter *f,
			      struct cap_tls_filter_stats *st)
{
	*st = f->st;
}

void cap_tls_filter_free(struct cap_tls_filter *f)
{
	if (!f)
		return;
	while (f->conns) {
		struct tf_conn *tc = f->conns;
		tc->cc->user = tc->inner_user;
		tc_free(tc);
	}
	free(f);
}
