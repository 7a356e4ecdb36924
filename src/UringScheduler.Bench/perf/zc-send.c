/*
 * zc-send: IORING_OP_SEND against IORING_OP_SEND_ZC over a TCP connection, on raw io_uring syscalls (no liburing).
 *
 * For each payload size and each mode a fresh TCP connection is made (loopback by default, or to a listener bound to
 * BIND_ADDR, e.g. the far end of a veth pair in another network namespace). A receiver thread, pinned to the last
 * allowed CPU, drains it with recv() into a 1 MiB buffer; the sender, pinned to the first allowed CPU, owns one ring
 * (SINGLE_ISSUER | DEFER_TASKRUN when the kernel has them) and keeps DEPTH sends in flight for SECONDS, each from its
 * own buffer slot (ZC_PEER_NETNS: see connect_pair):
 *   send  IORING_OP_SEND: a slot is free again at its completion.
 *   zc    IORING_OP_SEND_ZC with IORING_SEND_ZC_REPORT_USAGE: the completion (IORING_CQE_F_MORE set) says how many
 *         bytes went out; the slot is free only at the second completion, the notification (IORING_CQE_F_NOTIF), whose
 *         res has IORING_NOTIF_USAGE_ZC_COPIED set when the kernel copied the data after all.
 * Rounds interleave the modes (send first in even rounds, zc first in odd ones) and the sizes.
 *
 * Per run it prints GB/s (bytes the receiver got, over the sender's wall time), sends/s, the process's CPU time
 * (user + system, both threads, and any io-wq worker) per byte and per send, and for zc how many notifications said
 * "copied". The last lines are machine-readable ("result ...", one per run, and "median ..." per mode and size).
 *
 *   zc-send [SECONDS] [ROUNDS] [DEPTH] [SIZES] [NODELAY] [BIND_ADDR]   defaults: 1 3 8 64,1k,4k,16k,64k,256k,1m 1 127.0.0.1
 *
 * NODELAY 1 sets TCP_NODELAY on the sending socket (as latency-minded servers do); 0 leaves Nagle's algorithm on.
 *
 * Build: src/UringScheduler.Bench/perf/build-zc-send.sh (gcc -O2; the binary goes to artifacts/perf/bin).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN (1U << 13)
#endif

#define MAX_SIZES 16
#define MAX_ROUNDS 64
#define MAX_DEPTH 64

struct ring {
    int fd;
    unsigned flags;
    unsigned *sq_tail;
    unsigned *sq_mask;
    unsigned *sq_array;
    struct io_uring_sqe *sqes;
    unsigned *cq_head;
    unsigned *cq_tail;
    unsigned *cq_mask;
    struct io_uring_cqe *cqes;
};

struct receiver {
    pthread_t thread;
    int fd;
    int cpu;
    unsigned long long bytes;
};

struct outcome {
    double gbps;
    double sends_per_sec;
    double cpu_ns_per_byte;
    double cpu_ns_per_send;
    unsigned long long notifs;
    unsigned long long copied;
};

static int cpu_first;
static int nodelay = 1;
static int cpu_last;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double process_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set); /* best effort */
}

static void die(const char *what, int err)
{
    fprintf(stderr, "zc-send: %s: %s\n", what, strerror(err));
    exit(1);
}

static int ring_open(struct ring *r, unsigned entries)
{
    static const unsigned attempts[] = {
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
        IORING_SETUP_COOP_TASKRUN,
        0,
    };
    struct io_uring_params p;
    int fd = -1;
    for (size_t i = 0; i < sizeof attempts / sizeof attempts[0]; i++) {
        memset(&p, 0, sizeof p);
        p.flags = attempts[i];
        fd = (int)syscall(__NR_io_uring_setup, entries, &p);
        if (fd >= 0) {
            r->flags = attempts[i];
            break;
        }
    }
    if (fd < 0) {
        return -errno;
    }

    r->fd = fd;
    size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    size_t cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    if (p.features & IORING_FEAT_SINGLE_MMAP) {
        if (cq_size > sq_size) {
            sq_size = cq_size;
        }
        cq_size = sq_size;
    }
    char *sq = mmap(NULL, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
    if (sq == MAP_FAILED) {
        return -errno;
    }
    char *cq = sq;
    if (!(p.features & IORING_FEAT_SINGLE_MMAP)) {
        cq = mmap(NULL, cq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
        if (cq == MAP_FAILED) {
            return -errno;
        }
    }
    void *sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
    if (sqes == MAP_FAILED) {
        return -errno;
    }

    r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
    r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
    r->sq_array = (unsigned *)(sq + p.sq_off.array);
    r->sqes = sqes;
    r->cq_head = (unsigned *)(cq + p.cq_off.head);
    r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
    r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
    r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
    for (unsigned i = 0; i < p.sq_entries; i++) {
        r->sq_array[i] = i;
    }
    return 0;
}

static void *drain(void *arg)
{
    struct receiver *rx = arg;
    pin(rx->cpu);
    size_t size = 1 << 20;
    char *buffer = malloc(size);
    for (;;) {
        ssize_t n = recv(rx->fd, buffer, size, 0);
        if (n <= 0) {
            break;
        }
        rx->bytes += (unsigned long long)n;
    }
    free(buffer);
    return NULL;
}

/* A connected pair: *client connects to a listener bound to addr (port 0), *server is the accepted end. */
static void connect_pair(const char *addr, int *client, int *server)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
        die("bad BIND_ADDR", EINVAL);
    }
    /* ZC_PEER_NETNS names another network namespace (e.g. /proc/PID/ns/net) to listen in: the connection then
       leaves through a real device pair (veth) instead of loopback. */
    const char *peer_ns = getenv("ZC_PEER_NETNS");
    int home_ns = -1;
    if (peer_ns) {
        int ns = open(peer_ns, O_RDONLY);
        home_ns = open("/proc/self/ns/net", O_RDONLY);
        if (ns < 0 || home_ns < 0 || setns(ns, CLONE_NEWNET) < 0) {
            die("setns ZC_PEER_NETNS", errno);
        }
        close(ns);
    }
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (home_ns >= 0) {
        if (setns(home_ns, CLONE_NEWNET) < 0) {
            die("setns back", errno);
        }
        close(home_ns);
    }
    if (listener < 0 || bind(listener, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(listener, 1) < 0) {
        die("listen", errno);
    }
    socklen_t len = sizeof sa;
    getsockname(listener, (struct sockaddr *)&sa, &len);
    *client = socket(AF_INET, SOCK_STREAM, 0);
    if (*client < 0 || connect(*client, (struct sockaddr *)&sa, sizeof sa) < 0) {
        die("connect", errno);
    }
    if (setsockopt(*client, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay) < 0) {
        die("TCP_NODELAY", errno);
    }
    *server = accept(listener, NULL, NULL);
    if (*server < 0) {
        die("accept", errno);
    }
    close(listener);
}

static void run_one(const char *addr, int zc, size_t size, unsigned depth, double seconds, char *slots,
                    struct outcome *out)
{
    int client, server;
    connect_pair(addr, &client, &server);
    struct receiver rx = {.fd = server, .cpu = cpu_last};
    if (pthread_create(&rx.thread, NULL, drain, &rx) != 0) {
        die("pthread_create", errno);
    }

    struct ring r;
    memset(&r, 0, sizeof r);
    int rc = ring_open(&r, 2 * MAX_DEPTH);
    if (rc < 0) {
        die("io_uring_setup", -rc);
    }

    const unsigned mask = *r.sq_mask;
    const unsigned cq_mask = *r.cq_mask;
    unsigned sq_tail = *r.sq_tail;
    unsigned cq_head = *r.cq_head;
    int busy[MAX_DEPTH] = {0};   /* slot's buffer owned by the kernel */
    unsigned in_flight = 0;      /* slots busy */
    unsigned long long sends = 0, notifs = 0, copied = 0;
    int stopping = 0;
    double cpu0 = process_cpu();
    double start = now();
    double deadline = start + seconds;

    for (;;) {
        unsigned queued = 0;
        if (!stopping) {
            for (unsigned s = 0; s < depth; s++) {
                if (busy[s]) {
                    continue;
                }
                struct io_uring_sqe *sqe = &r.sqes[sq_tail & mask];
                memset(sqe, 0, sizeof *sqe);
                sqe->opcode = zc ? IORING_OP_SEND_ZC : IORING_OP_SEND;
                sqe->fd = client;
                sqe->addr = (unsigned long long)(uintptr_t)(slots + (size_t)s * size);
                sqe->len = (unsigned)size;
                if (zc) {
                    sqe->ioprio = IORING_SEND_ZC_REPORT_USAGE;
                }
                sqe->user_data = s;
                sq_tail++;
                busy[s] = 1;
                in_flight++;
                queued++;
            }
            atomic_store_explicit((_Atomic unsigned *)r.sq_tail, sq_tail, memory_order_release);
        }
        if (in_flight == 0) {
            break;
        }
        if (syscall(__NR_io_uring_enter, r.fd, queued, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0 && errno != EINTR) {
            die("io_uring_enter", errno);
        }

        unsigned tail = atomic_load_explicit((_Atomic unsigned *)r.cq_tail, memory_order_acquire);
        while (cq_head != tail) {
            struct io_uring_cqe *cqe = &r.cqes[cq_head & cq_mask];
            unsigned s = (unsigned)cqe->user_data;
            if (cqe->flags & IORING_CQE_F_NOTIF) {
                notifs++;
                if ((unsigned)cqe->res & IORING_NOTIF_USAGE_ZC_COPIED) {
                    copied++;
                }
                busy[s] = 0;
                in_flight--;
            } else {
                if (cqe->res < 0) {
                    die(zc ? "send_zc" : "send", -cqe->res);
                }
                sends++;
                if (!(cqe->flags & IORING_CQE_F_MORE)) {
                    busy[s] = 0;
                    in_flight--;
                }
            }
            cq_head++;
        }
        atomic_store_explicit((_Atomic unsigned *)r.cq_head, cq_head, memory_order_release);
        if (!stopping && now() >= deadline) {
            stopping = 1;
        }
    }

    double elapsed = now() - start;
    shutdown(client, SHUT_WR);
    pthread_join(rx.thread, NULL);
    double cpu = process_cpu() - cpu0;
    close(r.fd);
    close(client);
    close(server);

    out->gbps = (double)rx.bytes / elapsed / 1e9;
    out->sends_per_sec = (double)sends / elapsed;
    out->cpu_ns_per_byte = cpu * 1e9 / (double)rx.bytes;
    out->cpu_ns_per_send = cpu * 1e9 / (double)sends;
    out->notifs = notifs;
    out->copied = copied;
}

static size_t parse_size(const char *s)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*end == 'k' || *end == 'K') {
        v <<= 10;
    } else if (*end == 'm' || *end == 'M') {
        v <<= 20;
    }
    return v;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, compare_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    int rounds = argc > 2 ? atoi(argv[2]) : 3;
    unsigned depth = argc > 3 ? (unsigned)atoi(argv[3]) : 8;
    char sizes_arg[256];
    snprintf(sizes_arg, sizeof sizes_arg, "%s", argc > 4 ? argv[4] : "64,1k,4k,16k,64k,256k,1m");
    nodelay = argc > 5 ? atoi(argv[5]) != 0 : 1;
    const char *addr = argc > 6 ? argv[6] : "127.0.0.1";
    if (seconds <= 0 || rounds < 1 || rounds > MAX_ROUNDS || depth < 1 || depth > MAX_DEPTH) {
        fprintf(stderr, "usage: %s [SECONDS>0] [ROUNDS 1..%d] [DEPTH 1..%d] [SIZES e.g. 64,4k,1m] [NODELAY 0|1] [BIND_ADDR]\n",
                argv[0], MAX_ROUNDS, MAX_DEPTH);
        return 2;
    }

    size_t sizes[MAX_SIZES];
    int nsizes = 0;
    for (char *t = strtok(sizes_arg, ","); t && nsizes < MAX_SIZES; t = strtok(NULL, ",")) {
        sizes[nsizes] = parse_size(t);
        if (sizes[nsizes] == 0) {
            fprintf(stderr, "bad size %s\n", t);
            return 2;
        }
        nsizes++;
    }

    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    sched_getaffinity(0, sizeof allowed, &allowed);
    cpu_first = -1;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (CPU_ISSET(c, &allowed)) {
            if (cpu_first < 0) {
                cpu_first = c;
            }
            cpu_last = c;
        }
    }
    pin(cpu_first);

    size_t largest = 0;
    for (int i = 0; i < nsizes; i++) {
        largest = sizes[i] > largest ? sizes[i] : largest;
    }
    /* Every slot's bytes touched once, so neither mode pays first-touch page faults in its run. */
    char *slots = mmap(NULL, largest * depth, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (slots == MAP_FAILED) {
        die("mmap", errno);
    }
    memset(slots, 'z', largest * depth);

    static struct outcome results[MAX_ROUNDS][MAX_SIZES][2];
    printf("zc-send: %.1f s per run, %d rounds, %u sends in flight, %s, TCP_NODELAY %d, sender cpu %d, receiver cpu %d\n",
           seconds, rounds, depth, addr, nodelay, cpu_first, cpu_last);
    for (int round = 0; round < rounds; round++) {
        for (int i = 0; i < nsizes; i++) {
            for (int k = 0; k < 2; k++) {
                int zc = (k + round) % 2;
                struct outcome *o = &results[round][i][zc];
                run_one(addr, zc, sizes[i], depth, seconds, slots, o);
                printf("result round=%d mode=%s size=%zu gbps=%.3f sends_per_sec=%.0f cpu_ns_per_byte=%.4f "
                       "cpu_ns_per_send=%.0f notifs=%llu copied=%llu\n",
                       round, zc ? "zc" : "send", sizes[i], o->gbps, o->sends_per_sec, o->cpu_ns_per_byte,
                       o->cpu_ns_per_send, o->notifs, o->copied);
                fflush(stdout);
            }
        }
    }

    printf("\n%8s | %-24s | %-24s | %-22s | %s\n", "size", "GB/s send / zc", "sends/s send / zc",
           "CPU ns/B send / zc", "zc copied");
    for (int i = 0; i < nsizes; i++) {
        double v[2][4][MAX_ROUNDS];
        unsigned long long notifs = 0, copied = 0;
        for (int zc = 0; zc < 2; zc++) {
            for (int round = 0; round < rounds; round++) {
                struct outcome *o = &results[round][i][zc];
                v[zc][0][round] = o->gbps;
                v[zc][1][round] = o->sends_per_sec;
                v[zc][2][round] = o->cpu_ns_per_byte;
                v[zc][3][round] = o->cpu_ns_per_send;
                if (zc) {
                    notifs += o->notifs;
                    copied += o->copied;
                }
            }
        }
        double m[2][4];
        for (int zc = 0; zc < 2; zc++) {
            for (int q = 0; q < 4; q++) {
                m[zc][q] = median(v[zc][q], rounds);
            }
        }
        printf("%8zu | %10.3f / %-11.3f | %10.0f / %-11.0f | %9.4f / %-10.4f | %llu of %llu\n", sizes[i], m[0][0],
               m[1][0], m[0][1], m[1][1], m[0][2], m[1][2], copied, notifs);
        for (int zc = 0; zc < 2; zc++) {
            printf("median mode=%s size=%zu gbps=%.3f sends_per_sec=%.0f cpu_ns_per_byte=%.4f cpu_ns_per_send=%.0f\n",
                   zc ? "zc" : "send", sizes[i], m[zc][0], m[zc][1], m[zc][2], m[zc][3]);
        }
    }
    return 0;
}
