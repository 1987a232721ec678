/* A Modbus/TCP test target with a deliberate memory-safety bug, built with
 * -fsanitize=address by otproof's feedback tests: libmodbus (Debian libmodbus-dev 3.1.6)
 * receives the requests and answers all but FC 3, which this server answers itself, with
 * the bug. Listens on 127.0.0.1 only and serves several clients with select(). libmodbus's
 * timeouts are 1 ms (no 500 ms stall on invalid requests).
 *
 * usage: asan_modbus_server PORT MODE
 *
 * MODE "end": 100 holding registers at addresses 4000..4099 (nothing else mapped). FC 3
 *   checks the quantity (1..125) and that the start address is mapped, but not that
 *   address + quantity stays inside the map: a read that starts inside and crosses the end
 *   reads past the heap array (heap-buffer-overflow). Reachable only with an address inside
 *   the mapped range.
 * MODE "quantity": 1000 registers of each table at 0. FC 3 accepts quantities up to 255
 *   (not 125) and copies the registers into a 127-word stack buffer: a quantity over 127
 *   overflows it (stack-buffer-overflow).
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

static int end_mode;
static uint16_t *regs; /* mode "end": the 100 registers at 4000, on the heap */

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

/* FC 3 with the bug; returns 0 when answered here. */
static int read_holding(modbus_t *ctx, modbus_mapping_t *map, const uint8_t *q, int len) {
    if (len < 12) return -1;
    unsigned addr = ((unsigned)q[8] << 8) | q[9];
    unsigned nb = ((unsigned)q[10] << 8) | q[11];
    uint8_t rsp[9 + 2 * 255];
    uint16_t words[127];
    if (end_mode) {
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

int main(int argc, char **argv) {
    if (argc != 3 || (strcmp(argv[2], "end") != 0 && strcmp(argv[2], "quantity") != 0)) {
        fprintf(stderr, "usage: %s PORT end|quantity\n", argv[0]);
        return 2;
    }
    end_mode = strcmp(argv[2], "end") == 0;
    modbus_t *ctx = modbus_new_tcp("127.0.0.1", atoi(argv[1]));
    modbus_mapping_t *map = end_mode
        ? modbus_mapping_new_start_address(0, 0, 0, 0, 4000, 100, 0, 0)
        : modbus_mapping_new(1000, 1000, 1000, 1000);
    if (ctx == NULL || map == NULL) {
        fprintf(stderr, "libmodbus setup failed\n");
        return 1;
    }
    modbus_set_response_timeout(ctx, 0, 1000);
    modbus_set_byte_timeout(ctx, 0, 1000);
    if (end_mode) {
        regs = malloc(100 * sizeof(uint16_t));
        if (regs == NULL) return 1;
        for (int i = 0; i < 100; i++) regs[i] = (uint16_t)(0x1000 + i);
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
                    if (query[7] != 3 || read_holding(ctx, map, query, rc) != 0)
                        modbus_reply(ctx, query, rc, map);
                } else if (rc == -1) {
                    close(fd);
                    FD_CLR(fd, &refset);
                }
            }
        }
    }
}
