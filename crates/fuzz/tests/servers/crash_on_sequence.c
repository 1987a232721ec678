/* A Modbus/TCP test target that crashes on one specific sequence, for otproof's minimizer
 * tests. Listens on 127.0.0.1 only and serves several clients with select().
 *
 * usage: crash_on_sequence PORT
 *
 * FC 3 (read holding registers) is answered normally (zeros). Every other request is read
 * and ignored (no answer). A connection that has sent FC 0x41 and then, later on the same
 * connection, FC 0x42 makes the process exit with status 1. Requests in between do not
 * matter; a connection that closes forgets what it sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF 1024

struct conn {
    int fd;
    size_t len;
    int saw41;
    uint8_t buf[BUF];
};

static struct conn conns[FD_SETSIZE];

static void drop_conn(int fd, fd_set *set) {
    close(fd);
    FD_CLR(fd, set);
    conns[fd].fd = -1;
    conns[fd].len = 0;
    conns[fd].saw41 = 0;
}

static int write_all(int fd, const uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Handle one complete frame; returns -1 to drop the connection. */
static int handle(struct conn *c, const uint8_t *f, size_t n) {
    if (n < 8) return 0;
    uint8_t fc = f[7];
    if (fc == 0x41) {
        c->saw41 = 1;
    } else if (fc == 0x42 && c->saw41) {
        exit(1);
    } else if (fc == 3 && n >= 12) {
        unsigned qty = ((unsigned)f[10] << 8) | f[11];
        if (qty < 1 || qty > 125) qty = 1;
        uint8_t r[9 + 250];
        memset(r, 0, sizeof r);
        r[0] = f[0];
        r[1] = f[1];
        unsigned len = 3 + 2 * qty;
        r[4] = (uint8_t)(len >> 8);
        r[5] = (uint8_t)len;
        r[6] = f[6];
        r[7] = 3;
        r[8] = (uint8_t)(2 * qty);
        if (write_all(c->fd, r, 6 + len) < 0) return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    for (int i = 0; i < FD_SETSIZE; i++) conns[i].fd = -1;
    int server = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)atoi(argv[1]));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (server < 0 || bind(server, (struct sockaddr *)&a, sizeof a) < 0 || listen(server, 16) < 0) {
        perror("listen");
        return 1;
    }
    fd_set refset;
    FD_ZERO(&refset);
    FD_SET(server, &refset);
    int fdmax = server;
    for (;;) {
        fd_set rdset = refset;
        if (select(fdmax + 1, &rdset, NULL, NULL, NULL) == -1) {
            if (errno == EINTR) continue;
            return 1;
        }
        for (int fd = 0; fd <= fdmax; fd++) {
            if (!FD_ISSET(fd, &rdset)) continue;
            if (fd == server) {
                int c = accept(server, NULL, NULL);
                if (c < 0) continue;
                if (c >= FD_SETSIZE) {
                    close(c);
                    continue;
                }
                conns[c].fd = c;
                conns[c].len = 0;
                conns[c].saw41 = 0;
                FD_SET(c, &refset);
                if (c > fdmax) fdmax = c;
                continue;
            }
            struct conn *c = &conns[fd];
            ssize_t r = read(fd, c->buf + c->len, BUF - c->len);
            if (r <= 0) {
                drop_conn(fd, &refset);
                continue;
            }
            c->len += (size_t)r;
            int bad = 0;
            while (c->len >= 6) {
                size_t flen = 6 + (((size_t)c->buf[4] << 8) | c->buf[5]);
                if (flen > BUF) {
                    bad = 1;
                    break;
                }
                if (c->len < flen) break;
                if (handle(c, c->buf, flen) < 0) {
                    bad = 1;
                    break;
                }
                memmove(c->buf, c->buf + flen, c->len - flen);
                c->len -= flen;
            }
            if (bad) drop_conn(fd, &refset);
        }
    }
}
