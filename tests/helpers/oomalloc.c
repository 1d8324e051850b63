/* oomalloc.c -- see oomalloc.h. */
#include "oomalloc.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <unicrm/unicrm.h>

/* The secret scan reads whole blocks, spare capacity included: tell valgrind those bytes are fine to read (only
 * when a block is let go of, so the library's own reads stay checked). */
#if defined(__has_include)
#  if __has_include(<valgrind/memcheck.h>)
#    include <valgrind/memcheck.h>
#  endif
#endif
#ifndef VALGRIND_MAKE_MEM_DEFINED
#  define VALGRIND_MAKE_MEM_DEFINED(p, n) ((void)(p), (void)(n))
#endif

typedef union hdr {
    size_t size;
    max_align_t align;
} hdr_t;

static struct {
    long count;     /* allocations attempted since arm */
    long fail_at;   /* 0: never fail */
    bool sticky;    /* fail every allocation from fail_at on */
    long failed;    /* failures injected since arm */
    bool absorbing; /* inside a call that absorbs failures by design */
    bool hard;      /* a failure was injected outside such a call */
    long live;      /* blocks allocated and not freed */
    long freed;     /* blocks let go of */
    const char *const *markers;
    long hits;
    char first_hit[128];
} A;

static bool should_fail(void) {
    A.count++;
    if (A.fail_at && (A.count == A.fail_at || (A.sticky && A.count > A.fail_at))) {
        A.failed++;
        A.hard |= !A.absorbing;
        return true;
    }
    return false;
}

static void scan(const hdr_t *h) {
    const char *p = (const char *)(h + 1);
    for (size_t i = 0; A.markers[i]; i++) {
        const char *m = memmem(p, h->size, A.markers[i], strlen(A.markers[i]));
        if (m) {
            if (!A.hits++) {
                size_t n = h->size - (size_t)(m - p);
                snprintf(A.first_hit, sizeof A.first_hit, "%.*s", (int)(n < 60 ? n : 60), m);
            }
            return;
        }
    }
}

static void release(hdr_t *h) {
    if (A.markers) {
        VALGRIND_MAKE_MEM_DEFINED(h + 1, h->size);
        scan(h);
    }
    A.live--;
    A.freed++;
    free(h);
}

static void *t_malloc(size_t n) {
    if (should_fail())
        return NULL;
    hdr_t *h = malloc(sizeof *h + n);
    if (!h)
        return NULL;
    h->size = n;
    A.live++;
    return h + 1;
}

static void t_free(void *p) {
    if (p)
        release((hdr_t *)p - 1);
}

/* Always moves: the old block is let go of (and scanned) like a freed one. */
static void *t_realloc(void *p, size_t n) {
    if (!p)
        return t_malloc(n);
    if (should_fail())
        return NULL;
    hdr_t *old = (hdr_t *)p - 1;
    hdr_t *h = malloc(sizeof *h + n);
    if (!h)
        return NULL;
    h->size = n;
    memcpy(h + 1, p, old->size < n ? old->size : n);
    A.live++;
    release(old);
    return h + 1;
}

int oomalloc_install(void) {
    ucrm_err_t rc = ucrm_global_set_allocator(t_malloc, t_realloc, t_free);
    if (rc != UCRM_OK) {
        fprintf(stderr, "cannot install the counting allocator: %s\n", ucrm_err_name(rc));
        return -1;
    }
    return 0;
}

void oomalloc_arm(long fail_at, bool sticky) {
    A.count = A.failed = 0;
    A.hard = false;
    A.fail_at = fail_at;
    A.sticky = sticky;
}

long oomalloc_count(void) {
    return A.count;
}

long oomalloc_fail_at(void) {
    return A.fail_at;
}

long oomalloc_failed(void) {
    return A.failed;
}

long oomalloc_live(void) {
    return A.live;
}

long oomalloc_freed(void) {
    return A.freed;
}

void oomalloc_absorbing(bool on) {
    A.absorbing = on;
}

bool oomalloc_hard_failure(void) {
    return A.hard;
}

void oomalloc_scan(const char *const *markers) {
    A.markers = markers;
}

long oomalloc_secret_hits(void) {
    return A.hits;
}

const char *oomalloc_first_hit(void) {
    return A.first_hit;
}

void oomalloc_reset_hits(void) {
    A.hits = 0;
    A.first_hit[0] = '\0';
}

const char *oomalloc_mode(bool sticky) {
    return sticky ? "sticky" : "single";
}

long oomalloc_torture(bool sticky, oomalloc_run_fn *run, void *ctx) {
    long n;
    for (n = 1;; n++) {
        long live = A.live;
        oomalloc_arm(n, sticky);
        run(n, ctx);
        bool injected = A.failed > 0;
        A.fail_at = 0;
        if (A.live != live)
            fail_msg("failing allocation %ld (%s): %ld block(s) leaked", n, oomalloc_mode(sticky), A.live - live);
        if (!injected)
            break;
    }
    return n - 1;
}
