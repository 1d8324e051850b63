/*
 * oomalloc.h -- a counting allocator for allocation-failure torture and secret scans (STYLE rule 40).
 *
 * oomalloc_install() hands it to ucrm_global_set_allocator(), so unicrm and cJSON allocate through it. That only
 * works before unicrm's first allocation: call it first thing in main(), and keep each torture its own binary.
 *
 * It counts every allocation attempted since the last oomalloc_arm(), fails the Nth one (or, sticky, every one
 * from the Nth on), and keeps the number of live blocks. Every block carries its size, and realloc always moves,
 * so that every block unicrm lets go of (freed or left behind by realloc) can be scanned for secret markers.
 *
 * oomalloc_torture() runs a scenario with N = 1, 2, ... failing until a run injects no failure, and fails the
 * test at the first run that leaks a block. Not thread-safe: torture scenarios run on one thread.
 */
#ifndef UCRM_TESTS_OOMALLOC_H
#define UCRM_TESTS_OOMALLOC_H

#include <stdbool.h>
#include <stddef.h>

/* Installs the allocator (before unicrm's first allocation). Returns 0, or -1 after a message on stderr. */
int oomalloc_install(void);

/* Starts a run: the count of attempts starts again at 0, the fail_at-th fails (0: none does), and with sticky
 * every later one too. The live block count carries on. */
void oomalloc_arm(long fail_at, bool sticky);
long oomalloc_count(void);   /* allocations attempted since oomalloc_arm */
long oomalloc_fail_at(void); /* as armed */
long oomalloc_failed(void);  /* failures injected since oomalloc_arm */
long oomalloc_live(void);    /* blocks allocated through the allocator and not freed yet */
long oomalloc_freed(void);   /* blocks freed (or left behind by realloc) since oomalloc_install */

/* Failures injected between oomalloc_absorbing(true) and (false) are ones the code under test absorbs by design
 * (a best-effort detail it may go without); oomalloc_hard_failure() tells whether one was injected outside. */
void oomalloc_absorbing(bool on);
bool oomalloc_hard_failure(void);

/* Scans every block let go of for the NULL-terminated markers (NULL: no scan; the array must outlive the scan).
 * oomalloc_secret_hits counts blocks that held one; oomalloc_first_hit shows the first, from the marker on. */
void oomalloc_scan(const char *const *markers);
long oomalloc_secret_hits(void);
const char *oomalloc_first_hit(void);
void oomalloc_reset_hits(void);

/* The torture loop: for n = 1, 2, ...: arms (n, sticky), runs run(n, ctx), disarms, and fails the test when the
 * run left more live blocks than it found; stops after the first run that injected no failure. The run judges
 * its own result (oomalloc_failed() tells whether a failure was injected). Returns the number of allocations of
 * the scenario run through (the last n minus one). */
typedef void oomalloc_run_fn(long n, void *ctx);
long oomalloc_torture(bool sticky, oomalloc_run_fn *run, void *ctx);

/* "single" or "sticky", for messages. */
const char *oomalloc_mode(bool sticky);

/* In a scenario returning ucrm_err_t rc with an `out:` cleanup label: run x, go to out unless it returned 0. */
#define STEP(x)                                                                                                \
    do {                                                                                                       \
        if ((rc = (x)) != 0)                                                                                   \
            goto out;                                                                                          \
    } while (0)

#endif
