/* otproof's coverage runtime: link it into a target built with coverage instrumentation, and
 * otproof (launching it with --target-cmd) uses the target's edge coverage as feedback.
 *
 *   clang: clang -fsanitize-coverage=trace-pc-guard ... server.c otproof_cov.c
 *   gcc:   gcc -fsanitize-coverage=trace-pc ... server.c otproof_cov.c   (gcc 12 or later;
 *          with an older gcc, compile this file separately, without the flag)
 *
 * otproof creates a 64 KiB file and names it in the environment variable
 * OTPROOF_COVERAGE_MAP; this runtime maps it (MAP_SHARED) and counts each edge the program
 * takes in one byte of it (8-bit counters that wrap, as AFL does). With trace-pc-guard the
 * compiler numbers the edges (each guard gets a slot, 1..65535); with gcc's trace-pc, which
 * reports basic blocks, an edge is the pair (previous block, this block) hashed into a slot,
 * as AFL does, the blocks named by their offset in the program (the same in every run, so
 * the slots survive a restart). Without the variable (or if the file cannot be mapped) the
 * counts go to a private buffer: the program runs as without this file.
 *
 * The runtime never resets the map: otproof reads what each case adds.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define OTPROOF_MAP_SIZE 65536

#if defined(__clang__)
#define OTPROOF_NOCOV __attribute__((no_sanitize("coverage")))
#elif defined(__has_attribute)
#if __has_attribute(no_sanitize_coverage)
#define OTPROOF_NOCOV __attribute__((no_sanitize_coverage))
#endif
#endif
#ifndef OTPROOF_NOCOV
#define OTPROOF_NOCOV
#endif

static uint8_t otproof_private[OTPROOF_MAP_SIZE];
static uint8_t *otproof_map = otproof_private;
static int otproof_opened;

/* Map the file named by OTPROOF_COVERAGE_MAP (once). */
OTPROOF_NOCOV static void otproof_open(void) {
    if (otproof_opened) return;
    otproof_opened = 1;
    const char *path = getenv("OTPROOF_COVERAGE_MAP");
    if (path == NULL || path[0] == '\0') return;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) return;
    void *m = mmap(NULL, OTPROOF_MAP_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (m != MAP_FAILED) otproof_map = (uint8_t *)m;
}

__attribute__((constructor)) OTPROOF_NOCOV static void otproof_cov_init(void) {
    otproof_open();
}

/* clang -fsanitize-coverage=trace-pc-guard: number the guards once (the same numbers in every
 * run of the same program), then count each guard's edge. */
OTPROOF_NOCOV void __sanitizer_cov_trace_pc_guard_init(uint32_t *start, uint32_t *stop) {
    static uint32_t next;
    otproof_open();
    if (start == stop || *start != 0) return;
    for (uint32_t *g = start; g < stop; g++) {
        *g = 1 + next % (OTPROOF_MAP_SIZE - 1);
        next++;
    }
}

OTPROOF_NOCOV void __sanitizer_cov_trace_pc_guard(uint32_t *guard) {
    uint32_t slot = *guard;
    if (slot != 0) otproof_map[slot]++;
}

/* gcc -fsanitize-coverage=trace-pc: called at the start of every basic block. */
static uintptr_t otproof_prev;

OTPROOF_NOCOV void __sanitizer_cov_trace_pc(void) {
    /* The block, by its offset from this function (fixed in a given program). */
    uintptr_t pc = (uintptr_t)__builtin_return_address(0) - (uintptr_t)&__sanitizer_cov_trace_pc;
    uintptr_t cur = (uintptr_t)((uint32_t)pc * 2654435761u) >> 16; /* 16 bits */
    otproof_map[(cur ^ otproof_prev) & (OTPROOF_MAP_SIZE - 1)]++;
    otproof_prev = cur >> 1;
}
