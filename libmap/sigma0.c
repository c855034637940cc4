/* SPDX-License-Identifier: MIT */
/* The sigma0 client: one call per request of the sigma0 protocol. */
#include <libmap.h>
#include <sigma0.h>

/* Call sigma0; an error reply's code is returned. */
static word_t sigma0_call(word_t window)
{
	struct utcb *u = utcb();
	word_t err;

	msg_accept(window);
	err = ipc_call(libmap_kip->sigma0_id);
	if (err)
		return err;
	if (tag_label(u->mr[0]) == SIGMA0_REPLY_ERROR)
		return u->mr[1] ? u->mr[1] : E_BAD_ARGUMENT;
	return E_OK;
}

word_t sigma0_alloc(unsigned log2, unsigned rights, word_t window, word_t *pa)
{
	struct utcb *u = utcb();
	word_t err;

	msg_tag(SIGMA0_LABEL_ANY, 2, 0);
	u->mr[1] = log2;
	u->mr[2] = rights;
	if ((err = sigma0_call(window)))
		return err;
	if (pa)
		*pa = fpage_base(u->mr[2]);
	return E_OK;
}

word_t sigma0_phys(word_t fpage, word_t window)
{
	msg_tag(SIGMA0_LABEL_PHYS, 1, 0);
	utcb()->mr[1] = fpage;
	return sigma0_call(window);
}

word_t sigma0_device(word_t fpage, word_t window)
{
	msg_tag(SIGMA0_LABEL_DEVICE, 1, 0);
	utcb()->mr[1] = fpage;
	return sigma0_call(window);
}

word_t sigma0_free(word_t pa, unsigned log2)
{
	msg_tag(SIGMA0_LABEL_FREE, 1, 0);
	utcb()->mr[1] = fpage_make(pa, log2, 0);
	return sigma0_call(FPAGE_NIL);
}

word_t sigma0_stats(word_t *free_bytes, word_t *given_bytes)
{
	struct utcb *u = utcb();
	word_t err;

	msg_tag(SIGMA0_LABEL_STATS, 0, 0);
	if ((err = sigma0_call(FPAGE_NIL)))
		return err;
	if (free_bytes)
		*free_bytes = u->mr[1];
	if (given_bytes)
		*given_bytes = u->mr[2];
	return E_OK;
}
