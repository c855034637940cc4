/* SPDX-License-Identifier: MIT */
/* The sigma0 client: one call per request of the sigma0 protocol, and the
 * same ANY/FREE requests to any memory server (a pager below). */
#include <libmap.h>
#include <sigma0.h>

/* Call a memory server; an error reply's code is returned. The window is
 * open for the server's reply only, and closed again before we return. */
static word_t memsrv_call(word_t server, word_t window)
{
	struct utcb *u = utcb();
	word_t err;

	msg_accept(window);
	err = ipc_call(server);
	msg_accept(FPAGE_NIL);
	if (err)
		return err;
	if (tag_label(u->mr[0]) == SIGMA0_REPLY_ERROR)
		return u->mr[1] ? u->mr[1] : E_BAD_ARGUMENT;
	return E_OK;
}

static word_t sigma0_call(word_t window)
{
	return memsrv_call(libmap_kip->sigma0_id, window);
}

word_t memsrv_alloc(word_t server, unsigned log2, unsigned rights, word_t window, word_t *handle)
{
	struct utcb *u = utcb();
	word_t err;

	msg_tag(SIGMA0_LABEL_ANY, 2, 0);
	u->mr[1] = log2;
	u->mr[2] = rights;
	if ((err = memsrv_call(server, window)))
		return err;
	if (handle)
		*handle = fpage_base(u->mr[2]);
	return E_OK;
}

word_t memsrv_free(word_t server, word_t handle, unsigned log2)
{
	msg_tag(SIGMA0_LABEL_FREE, 1, 0);
	utcb()->mr[1] = fpage_make(handle, log2, 0);
	return memsrv_call(server, FPAGE_NIL);
}

word_t sigma0_alloc(unsigned log2, unsigned rights, word_t window, word_t *pa)
{
	return memsrv_alloc(libmap_kip->sigma0_id, log2, rights, window, pa);
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
	return memsrv_free(libmap_kip->sigma0_id, pa, log2);
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

word_t sigma0_reclaim(word_t tid)
{
	msg_tag(SIGMA0_LABEL_RECLAIM, 1, 0);
	utcb()->mr[1] = tid;
	return sigma0_call(FPAGE_NIL);
}

word_t sigma0_allow_devices(word_t tid)
{
	msg_tag(SIGMA0_LABEL_DEVICES, 1, 0);
	utcb()->mr[1] = tid;
	return sigma0_call(FPAGE_NIL);
}

word_t sigma0_allow_ram(word_t tid, word_t bytes)
{
	msg_tag(SIGMA0_LABEL_RAM, 2, 0);
	utcb()->mr[1] = tid;
	utcb()->mr[2] = bytes;
	return sigma0_call(FPAGE_NIL);
}
