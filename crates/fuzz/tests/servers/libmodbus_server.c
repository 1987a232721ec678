/* A real Modbus/TCP server for otproof's tests: libmodbus (Debian libmodbus-dev 3.1.6),
 * around modbus_tcp_listen / modbus_receive / modbus_reply, serving several clients with
 * select(). Listens on 127.0.0.1 only.
 *
 * usage: libmodbus_server PORT [TIMEOUT [LEAK_KIB]]
 *   TIMEOUT     libmodbus's response and byte timeouts in ms, or in µs with a "us" suffix
 *               (default: libmodbus's own, 500 ms).
 *               The server sleeps this long before answering a request it finds invalid,
 *               and waits this long for the rest of a partial frame, blocking every client.
 *   LEAK_KIB    deliberately leak this much memory per request (tests of the memory monitor).
 */
#include <errno.h>
#include <modbus.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: %s PORT [TIMEOUT[us] [LEAK_KIB]]\n", argv[0]);
        return 2;
    }
    modbus_t *ctx = modbus_new_tcp("127.0.0.1", atoi(argv[1]));
    long leak_kib = argc > 3 ? atol(argv[3]) : 0;
    if (ctx != NULL && argc > 2) {
        char *unit = NULL;
        long us = strtol(argv[2], &unit, 10);
        if (unit == NULL || strcmp(unit, "us") != 0) us *= 1000;
        if (us < 1) us = 1;
        modbus_set_response_timeout(ctx, us / 1000000, us % 1000000);
        modbus_set_byte_timeout(ctx, us / 1000000, us % 1000000);
    }
    modbus_mapping_t *map = modbus_mapping_new(1000, 1000, 1000, 1000);
    if (ctx == NULL || map == NULL) {
        fprintf(stderr, "libmodbus setup failed\n");
        return 1;
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
                    modbus_reply(ctx, query, rc, map);
                } else if (rc == -1) {
                    close(fd);
                    FD_CLR(fd, &refset);
                }
            }
        }
    }
}
