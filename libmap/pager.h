/* SPDX-License-Identifier: MIT */
/*
 * The pager framework: what a user-level pager is written with.
 *
 * A pager is a loop that receives page faults and requests and answers
 * them. The framework keeps, per client, a page table (client address ->
 * frame in the pager's own space, with rights) and a list of anonymous
 * regions; it obtains frames from the pager below (its own pager, or
 * sigma0 when its pager is the root task) with the ANY/FREE protocol, and serves the same
 * protocol to its own clients, so pagers stack. It also speaks the root
 * task's protocol (PAGER_CLIENT, PAGER_PAGE, PAGER_REGION, ...), so any
 * pager can be named in boot.cfg.
 *
 * The smallest pager:
 *
 *     int main(int argc, char **argv)
 *     {
 *             static struct pager p;
 *             (void)argc, (void)argv;
 *             pager_init(&p, "zero", NULL);
 *             return pager_run(&p);
 *     }
 *
 * serves zero-filled memory in every region its clients were given.
 * Hooks in struct pager_ops change what a fault does (pagers/cow.c) or add
 * requests of their own.
 */
#ifndef LIBMAP_PAGER_H
#define LIBMAP_PAGER_H

#include <libmap.h>

#define PAGER_CLIENTS_MAX 128
#define PAGER_REGIONS_MAX 8
#define PAGER_PAGES_MAX 65536                  /* page-table entries, all clients */
#ifndef HOST_TEST
#define PAGER_POOL_BASE 0x30000000000ull       /* frames: pool base + 4 KiB * index */
#else
extern word_t host_pool_base;                  /* host unit tests: the test's buffer */
#define PAGER_POOL_BASE host_pool_base
#endif
#define PAGER_POOL_FRAMES 32768                /* 128 MiB */
#define PAGER_POOL_KEEP 64                     /* free frames kept, not given back */
#define PAGER_POOL_BATCH_LOG2 18               /* new frames come 2^(18-12) = 64 at once */
#define PAGER_POOL_BATCH (1u << (PAGER_POOL_BATCH_LOG2 - 12))
#define PAGER_POOL_RETRY_MAX 512               /* most single frames between block requests */
#define PAGER_SCRATCH 0x2f000000000ull         /* where incoming pages land */
#define PAGER_CLIENT_FRAMES (PAGER_POOL_FRAMES / 2) /* a client's bound by default (64 MiB) */

struct pager_region {
	word_t va, size;
	unsigned rights;
};

struct pager_client {
	word_t tid;                      /* its thread (TID_NIL: free slot) */
	word_t parent;                   /* who learns of its end */
	unsigned nregions;
	struct pager_region region[PAGER_REGIONS_MAX];
	uint32_t pages;                  /* head of its page list (0: none) */
	uint32_t npages;
	word_t user;                     /* free for the pager's own use (0 when added) */
	/* The bound (pager.c, "Bounds"): a client pays for its frames from
	 * an account, its own or, for a fork child, its family's root's. */
	uint32_t frames;                 /* frames charged to it as an account */
	uint32_t frames_max;             /* the bound of its account (frames=) */
	struct pager_client *payer;      /* whose account pays: itself, or its
					  * family's root */
	uint8_t slot;                    /* its index in the pager's clients */
};

struct pager;

struct pager_ops {
	/* Resolve a fault of c at addr: return the frame (pool address) to
	 * map and its rights, or 0 to refuse. NULL: pager_fault_default. */
	word_t (*fault)(struct pager *p, struct pager_client *c, word_t addr, unsigned access,
			unsigned *rights);
	/* A request with a label the framework does not know (from a client,
	 * any other thread, or init's PAGER_OPTION): MR0 is its tag as
	 * received, MR1.. its words, unchecked (test tag_u first). Return
	 * true to reply with the message registers as set (a refusal:
	 * SIGMA0_REPLY_ERROR, u = 1, MR1 = error); false sends no reply now. */
	bool (*request)(struct pager *p, word_t from, word_t label);
	/* A client is going away: release what the pager keeps for it (the
	 * framework then drops its pages and regions). */
	void (*client_exit)(struct pager *p, struct pager_client *c);
	/* A client was registered (PAGER_CLIENT): set up what the pager keeps
	 * for it. E_OK, or an error the root task gets (the client is then
	 * forgotten again). NULL: nothing to set up. */
	word_t (*client_new)(struct pager *p, struct pager_client *c);
	/* PAGER_RELEASE of [va, va + size) (page-aligned) from c: free what
	 * the pager keeps for that range outside the framework's page table
	 * (a backing store, a cache), before the framework drops the table's
	 * pages there. E_OK, or an error the client gets, and then nothing is
	 * dropped: a pager that cannot give such memory back says so. NULL:
	 * the pager keeps nothing outside the table. */
	word_t (*release)(struct pager *p, struct pager_client *c, word_t va, word_t size);
	/* Frames of the pager's own (rt-alloc/colour.c: by colour), outside
	 * the pool: frame_alloc gives one for c's image page or for a frame
	 * c asks to borrow with ANY (0: none); it may also return a pool
	 * frame (pager_frame_alloc), to see or bound those frames
	 * (pagers/examples/lru.c);
	 * frame_free takes back a frame that is not a pool frame when its
	 * page goes (client exit, PAGER_RELEASE). NULL: the pool serves all. */
	word_t (*frame_alloc)(struct pager *p, struct pager_client *c);
	void (*frame_free)(struct pager *p, word_t frame);
	/* Fault-around, for data reads (access FPAGE_R) only: `fault` has
	 * resolved c's read fault at page va (its item is MR1..MR2); put up
	 * to PAGER_AROUND_PAGES - 1 more map items at MR3.. (msg_map_item),
	 * of pages c would get by faulting on them itself, and return how
	 * many. NULL: none. */
	unsigned (*around)(struct pager *p, struct pager_client *c, word_t va, unsigned access);
};

#define PAGER_AROUND_PAGES 16                  /* the aligned block fault-around covers */

struct pager {
	const char *name;
	const struct pager_ops *ops;
	word_t below;                    /* the memory server frames come from */
	bool trace;                      /* log every fault and request */
	word_t faults;                   /* faults served */
	word_t refusal;                  /* a fault hook returning 0 may set the
					  * refusal's label: the client's exception
					  * handler gets it as the reason (0: 1) */
	uint32_t client_frames;          /* a new client's bound (pager_init:
					  * PAGER_CLIENT_FRAMES; frames= changes it
					  * per client) */
	struct pager_client client[PAGER_CLIENTS_MAX];
};

void pager_init(struct pager *p, const char *name, const struct pager_ops *ops);
/* Serve forever (until PAGER_SHUTDOWN); returns the exit status. */
int pager_run(struct pager *p);

/* Clients. */
struct pager_client *pager_client_find(struct pager *p, word_t tid);
struct pager_client *pager_client_add(struct pager *p, word_t tid, word_t parent);
void pager_client_remove(struct pager *p, struct pager_client *c);
bool pager_client_region(struct pager_client *c, word_t va, unsigned *rights);
/* The bound on the frames a client holds through the pager: its pages
 * (faulted in, image), the frames it borrowed with ANY, and copies made
 * for it, each frame counted once, for the account (c, or its fork
 * family's root) that first had it in a table. pager_page_insert refuses
 * a frame past the bound (p->refusal = PAGER_REFUSE_NO_MEMORY). A hook
 * that allocates a frame for c before entering it (a copy) asks first
 * whether c's account is full. */
static inline bool pager_client_full(const struct pager_client *c)
{
	return c->payer->frames >= c->payer->frames_max;
}
/* The frames charged to c's account now. */
static inline uint32_t pager_client_frames(const struct pager_client *c)
{
	return c->payer->frames;
}
/* Every account's count is what it holds (tests; false if not). */
bool pager_bound_check(struct pager *p);

/* Answer with the framework's refusal: label SIGMA0_REPLY_ERROR, MR1 =
 * err, and with why (not NULL) its text in MR2.. (at most
 * PAGER_REASON_MAX bytes: the reason init prints for a refused
 * PAGER_OPTION, docs/abi.md §16.3b). */
void pager_refuse(word_t err, const char *why);

/* Frames (pool addresses): from the pager below; zeroed if asked. */
word_t pager_frame_alloc(struct pager *p, bool zero);
void pager_frame_get(word_t frame);              /* one more user */
bool pager_frame_put(word_t frame);              /* one less; true when it was freed */
unsigned pager_frame_users(word_t frame);
word_t pager_frames_in_use(void);               /* pool frames with a user, lent included */

/* A client's page table. Rights are FPAGE_RWX, plus PAGER_PAGE_LENT on the
 * entry for a frame lent to the client by ANY (keyed by the frame's pool
 * address, not by an address in the client's space). */
#define PAGER_PAGE_LENT 8u
bool pager_page_lookup(struct pager_client *c, word_t va, word_t *frame, unsigned *rights);
bool pager_page_insert(struct pager *p, struct pager_client *c, word_t va, word_t frame,
		       unsigned rights);
/* Fork's copy (to becomes one of from's family, paying from its account,
 * and nothing is charged: the family holds these frames already): enter every page of `from` but those lent (PAGER_PAGE_LENT)
 * in to's table, same address, frame and rights, each frame one user
 * more. The frames that were writable and now have exactly two users
 * (the ones whose mappings must lose W) are reported as runs of adjacent
 * frames [lo, hi), in the order they end. false if the table ran out:
 * `to` then has the pages entered so far, and the runs so far have been
 * reported. */
bool pager_page_share(struct pager_client *from, struct pager_client *to,
		      void (*now_shared)(word_t lo, word_t hi));
/* Change the frame and rights c's entry at va records (nothing if none).
 * Mappings already made are untouched: revoke them first if they differ.
 * A new frame is charged to c's account without refusal (check
 * pager_client_full before taking it). */
void pager_page_update(struct pager_client *c, word_t va, word_t frame, unsigned rights);
/* Visit every page of c: fn(p, c, va, frame, rights). */
void pager_page_each(struct pager *p, struct pager_client *c,
		     void (*fn)(struct pager *, struct pager_client *, word_t, word_t, unsigned));

/* The default fault handler: a page c already has, or a zero-filled frame
 * in one of its regions, entered in c's table (refused with
 * PAGER_REFUSE_NO_MEMORY when there is no frame or table entry left).
 * *rights = all the page may have (its entry's or its region's): a hook
 * calling it may narrow them before it returns the frame. */
word_t pager_fault_default(struct pager *p, struct pager_client *c, word_t addr,
			   unsigned access, unsigned *rights);

/* Revoke `rights` from every mapping derived from the pager's own mapping
 * of a frame (its clients'; the pager keeps its own). The accessed/dirty
 * status is dropped: to read it, call sys_unmap yourself (libmap.h). */
void pager_revoke(word_t frame, unsigned rights);

/*
 * Eviction and backing stores. The kernel records accessed (read or
 * written) and dirty (written) per mapping; unmap reports them, or-ed over
 * the pager's own mapping of the frame and every mapping derived from it,
 * and resets them. The pager's own accesses count: after filling a frame
 * (from a backing store, a file), reset its status before mapping it.
 * Once a page has been taken away, a later fault may bring it back in
 * another frame: a client must not rely on a page's frame.
 */
/* Revoke `rights` (0: none, only collect) from every mapping of frame
 * derived from the pager's and return the status since the last call:
 * FPAGE_R = accessed, FPAGE_W = dirty. The status is reset. */
unsigned pager_revoke_status(word_t frame, unsigned rights);
/* Remove c's page at va from its table; false if it has none there (or
 * only a frame lent by ANY). The frame's use count is unchanged: whoever
 * removes a page puts the frame (pager_frame_put). */
bool pager_page_remove(struct pager_client *c, word_t va);
/* Take c's page at va away in one call (eviction): remove it from c's
 * table and revoke every mapping of its frame (other users of a shared
 * frame fault theirs back in); *frame and *status (as
 * pager_revoke_status) say what it was. c's use of the frame passes to
 * the caller, who writes it back if dirty, then puts it. False if c has
 * no page at va. */
bool pager_page_take(struct pager_client *c, word_t va, word_t *frame, unsigned *status);

#endif
