/* A real Modbus/TCP server for otproof's tests: libmodbus (Debian libmodbus-dev 3.1.6),
 * around modbus_tcp_listen / modbus_receive / modbus_reply, serving several clients with
 * select(). Listens on 127.0.0.1 only. One source for every libmodbus-based test target: the
 * tests build it plain, with AddressSanitizer, or with coverage instrumentation
 * (crates/fuzz/tests/common/mod.rs, compile_c).
 *
 * usage: libmodbus_server PORT [TIMEOUT [LEAK_KIB]] [--bug end|quantity|chain]
 *   TIMEOUT     libmodbus's response and byte timeouts in ms, or in µs with a "us" suffix
 *               (default: libmodbus's own, 500 ms).
 *               The server sleeps this long before answering a request it finds invalid,
 *               and waits this long for the rest of a partial frame, blocking every client.
 *   LEAK_KIB    deliberately leak this much memory per request (tests of the memory monitor).
 *   --bug NAME  plant a memory-safety bug (the tests build these targets with ASan):
 *
 *   end       100 holding registers at addresses 4000..4099 (nothing else mapped). FC 3 is
 *             answered here: it checks the quantity (1..125) and that the start address is
 *             mapped, but not that address + quantity stays inside the map: a read that
 *             starts inside and crosses the end reads past the heap array
 *             (heap-buffer-overflow). Reachable only with an address inside the mapped range.
 *   quantity  FC 3 is answered here: it accepts quantities up to 255 (not 125) and copies
 *             the registers into a 127-word stack buffer: a quantity over 127 overflows it
 *             (stack-buffer-overflow).
 *   chain     an FC 22 (mask write register) request whose AND mask is 0x0000 and OR mask
 *             0xFFFF "resets the unit's shadow register": a write to a heap array of one
 *             register per unit 0..254, indexed by the unit id, so unit id 255 writes past
 *             its end (heap-buffer-overflow, WRITE). The masks are a chain of four byte
 *             conditions, each its own branch: a request that meets some of them takes new
 *             branches, so coverage feedback can climb the chain one condition at a time;
 *             blind generation (one field mutated per case) does not meet all of them with
 *             unit 255 at once.
 *
 * Without --bug: 1000 coils, discrete inputs, holding and input registers at 0.
 */
#include <errno.h>
#include <modbus.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

enum bug { BUG_NONE, BUG_END, BUG_QUANTITY, BUG_CHAIN };

static enum bug bug = BUG_NONE;
static uint16_t *regs;   /* bug "end": the 100 registers at 4000, on the heap */
static uint16_t *shadow; /* bug "chain": one shadow register per unit 0..254, on the heap */
static volatile int chain_depth; /* how far the last FC 22 got along the chain */

static void send_all(int fd, const uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

/* FC 3 with the bug of "end" or "quantity"; returns 0 when answered here. */
static int read_holding(modbus_t *ctx, modbus_mapping_t *map, const uint8_t *q, int len) {
    if (len < 12) return -1;
    unsigned addr = ((unsigned)q[8] << 8) | q[9];
    unsigned nb = ((unsigned)q[10] << 8) | q[11];
    uint8_t rsp[9 + 2 * 255];
    uint16_t words[127];
    if (bug == BUG_END) {
        if (nb < 1 || nb > 125) {
            modbus_reply_exception(ctx, q, MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE);
            return 0;
        }
        if (addr < 4000 || addr >= 4100) {
            modbus_reply_exception(ctx, q, MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS);
            return 0;
        }
        for (unsigned i = 0; i < nb; i++) {
            uint16_t v = regs[addr - 4000 + i]; /* BUG: addr + nb may cross 4100 */
            rsp[9 + 2 * i] = (uint8_t)(v >> 8);
            rsp[10 + 2 * i] = (uint8_t)v;
        }
    } else {
        if (nb < 1 || nb > 255) { /* BUG: the limit is 125 */
            modbus_reply_exception(ctx, q, MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE);
            return 0;
        }
        if (addr + nb > 1000) {
            modbus_reply_exception(ctx, q, MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS);
            return 0;
        }
        for (unsigned i = 0; i < nb; i++) words[i] = map->tab_registers[addr + i]; /* BUG */
        for (unsigned i = 0; i < nb && i < 127; i++) {
            rsp[9 + 2 * i] = (uint8_t)(words[i] >> 8);
            rsp[10 + 2 * i] = (uint8_t)words[i];
        }
        if (nb > 125) nb = 125;
    }
    unsigned n = 3 + 2 * nb;
    memcpy(rsp, q, 4);
    rsp[4] = (uint8_t)(n >> 8);
    rsp[5] = (uint8_t)n;
    rsp[6] = q[6];
    rsp[7] = 3;
    rsp[8] = (uint8_t)(2 * nb);
    send_all(modbus_get_socket(ctx), rsp, 6 + n);
    return 0;
}

/* Bug "chain", looked at before libmodbus answers an FC 22 request (which it then does as
 * usual). Each condition is its own branch with a side effect between them, so that a
 * compiler does not fold them into one comparison. */
static void mask_write_chain(const uint8_t *q, int len) {
    if (len < 14 || q[7] != 22) return;
    chain_depth = 0;
    if (q[10] == 0x00) { /* AND mask high byte */
        chain_depth = 1;
        if (q[11] == 0x00) { /* AND mask low byte: the register is cleared */
            chain_depth = 2;
            if (q[12] == 0xFF) { /* OR mask high byte */
                chain_depth = 3;
                if (q[13] == 0xFF) { /* OR mask low byte: then set to 0xFFFF */
                    chain_depth = 4;
                    /* "reset the unit's shadow register": BUG, unit 255 is past the end */
                    shadow[q[6]] = 0xFFFF;
                    chain_depth = 5;
                }
            }
        }
    }
}

static int usage(const char *prog) {
    fprintf(stderr, "usage: %s PORT [TIMEOUT[us] [LEAK_KIB]] [--bug end|quantity|chain]\n", prog);
    return 2;
}

int main(int argc, char **argv) {
    const char *pos[3] = {NULL, NULL, NULL};
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--bug") == 0 && i + 1 < argc) {
            const char *b = argv[++i];
            if (strcmp(b, "end") == 0) bug = BUG_END;
            else if (strcmp(b, "quantity") == 0) bug = BUG_QUANTITY;
            else if (strcmp(b, "chain") == 0) bug = BUG_CHAIN;
            else return usage(argv[0]);
        } else if (argv[i][0] == '-' || npos == 3) {
            return usage(argv[0]);
        } else {
            pos[npos++] = argv[i];
        }
    }
    if (npos < 1) return usage(argv[0]);
    modbus_t *ctx = modbus_new_tcp("127.0.0.1", atoi(pos[0]));
    long leak_kib = pos[2] != NULL ? atol(pos[2]) : 0;
    if (ctx != NULL && pos[1] != NULL) {
        char *unit = NULL;
        long us = strtol(pos[1], &unit, 10);
        if (unit == NULL || strcmp(unit, "us") != 0) us *= 1000;
        if (us < 1) us = 1;
        modbus_set_response_timeout(ctx, us / 1000000, us % 1000000);
        modbus_set_byte_timeout(ctx, us / 1000000, us % 1000000);
    }
    modbus_mapping_t *map = bug == BUG_END
        ? modbus_mapping_new_start_address(0, 0, 0, 0, 4000, 100, 0, 0)
        : modbus_mapping_new(1000, 1000, 1000, 1000);
    if (ctx == NULL || map == NULL) {
        fprintf(stderr, "libmodbus setup failed\n");
        return 1;
    }
    if (bug == BUG_END) {
        regs = malloc(100 * sizeof(uint16_t));
        if (regs == NULL) return 1;
        for (int i = 0; i < 100; i++) regs[i] = (uint16_t)(0x1000 + i);
    }
    if (bug == BUG_CHAIN) {
        shadow = calloc(255, sizeof(uint16_t));
        if (shadow == NULL) return 1;
    }
    int server = modbus_tcp_listen(ctx, 16);
    if (server < 0) {
        fprintf(stderr, "listen: %s\n", modbus_strerror(errno));
        return 1;
    }
    fd_set refset;
    FD_ZERO(&refset);
    FD_SET(server, &refset);
    int fdmax = server;
    uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
    for (;;) {
        fd_set rdset = refset;
        if (select(fdmax + 1, &rdset, NULL, NULL, NULL) == -1) {
            if (errno == EINTR) continue;
            return 1;
        }
        for (int fd = 0; fd <= fdmax; fd++) {
            if (!FD_ISSET(fd, &rdset)) continue;
            if (fd == server) {
                struct sockaddr_in addr;
                socklen_t len = sizeof(addr);
                int client = accept(server, (struct sockaddr *)&addr, &len);
                if (client >= 0) {
                    FD_SET(client, &refset);
                    if (client > fdmax) fdmax = client;
                }
            } else {
                modbus_set_socket(ctx, fd);
                int rc = modbus_receive(ctx, query);
                if (rc > 0) {
                    if (leak_kib > 0) {
                        char *lost = malloc((size_t)leak_kib * 1024);
                        if (lost != NULL) for (long i = 0; i < leak_kib * 1024; i += 4096) lost[i] = 1;
                    }
                    if (bug == BUG_CHAIN) mask_write_chain(query, rc);
                    int mine = (bug == BUG_END || bug == BUG_QUANTITY) && query[7] == 3 &&
                               read_holding(ctx, map, query, rc) == 0;
                    if (!mine) modbus_reply(ctx, query, rc, map);
                } else if (rc == -1) {
                    close(fd);
                    FD_CLR(fd, &refset);
                }
            }
        }
    }
}
