/*
 * echo-load: a closed-loop ping-pong load client for TCP echo servers, written apart from every server it measures.
 *
 * THREADS threads, each with its own epoll instance, share CONNECTIONS connections (as evenly as they divide). Each
 * connection sends one message of SIZE bytes, waits until the whole echo is back (and checks it byte for byte), then
 * sends the next one at once: one request in flight per connection. After WARMUP seconds the client counts for
 * SECONDS: requests completed in that window and the latency of each (send of the first byte to receipt of the last)
 * in a log-linear histogram (32 sub-buckets per power of two: about 3 % resolution).
 *
 *   echo-load -p PORT [-H HOST] [-c CONNECTIONS] [-s SIZE] [-d SECONDS] [-w WARMUP] [-t THREADS] [-j JSON] [-q]
 *   defaults: -H 127.0.0.1 -c 64 -s 64 -d 5 -w 1 -t (CPUs this process may run on, at most CONNECTIONS)
 *
 * Partial writes wait for EPOLLOUT, partial reads for EPOLLIN (level-triggered, non-blocking sockets, TCP_NODELAY).
 * A connection that fails (refused, reset, closed by the server, wrong bytes echoed) is counted as an error and
 * closed; the others go on. The last line is machine-readable:
 *   result requests_per_sec=.. requests=.. total_requests=.. seconds=.. p50_ns=.. p99_ns=.. p999_ns=.. max_ns=..
 *          errors=.. connections=.. size=.. threads=.. cpu_ms=..
 * total_requests also counts the warm-up: it is what a server-side counter covering the whole run divides by.
 * cpu_ms is the client's own CPU time (user + system), for telling how much of the machine the others took.
 * Exit code: 0, or 1 if no connection could be made or no request completed in the window.
 *
 * Build: src/UringScheduler.Bench/perf/build-echo.sh (gcc -O2; binaries under artifacts/perf/bin).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SUB_BITS 5
#define SUB (1u << SUB_BITS)
#define NBUCKETS ((64 - SUB_BITS) * SUB)
#define MAX_EVENTS 256

struct histogram {
    uint64_t counts[NBUCKETS];
    uint64_t total;
    uint64_t max;
};

/* Values below 2*SUB have a bucket each; above, SUB buckets per power of two. */
static unsigned bucket_of(uint64_t v)
{
    if (v < 2 * SUB)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v);
    return (e - SUB_BITS) * SUB + (unsigned)(v >> (e - SUB_BITS));
}

/* The highest value that falls in bucket i. */
static uint64_t bucket_high(unsigned i)
{
    if (i < 2 * SUB)
        return i;
    unsigned shift = i / SUB - 1;
    uint64_t mantissa = i % SUB + SUB;
    return ((mantissa + 1) << shift) - 1;
}

static void hist_add(struct histogram *h, uint64_t v)
{
    h->counts[bucket_of(v)]++;
    h->total++;
    if (v > h->max)
        h->max = v;
}

static uint64_t hist_percentile(const struct histogram *h, double p)
{
    if (h->total == 0)
        return 0;
    uint64_t rank = (uint64_t)(p * (double)h->total + 0.999999);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < NBUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank)
            return bucket_high(i) < h->max ? bucket_high(i) : h->max;
    }
    return h->max;
}

struct conn {
    int fd;
    int id;
    int want_out;
    size_t sent;
    size_t received;
    uint64_t seq;
    uint64_t started_ns;
    unsigned char *message;
};

struct worker {
    pthread_t thread;
    int index;
    int nconns;
    struct conn *conns;
    struct histogram hist;
    uint64_t measured;
    uint64_t total;
    uint64_t connect_errors;
    uint64_t io_errors;
    uint64_t closed_by_peer;
    uint64_t mismatches;
    int live;
};

static struct sockaddr_in g_addr;
static size_t g_size = 64;
static pthread_barrier_t g_connected;
static pthread_barrier_t g_go;
static _Atomic uint64_t g_warm_end_ns;
static _Atomic uint64_t g_end_ns;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The message depends on the connection and the request number, so a stale or misrouted echo does not match. */
static void fill_message(struct conn *c)
{
    unsigned char base = (unsigned char)(c->seq * 131u + (uint64_t)c->id * 17u);
    for (size_t i = 0; i < g_size; i++)
        c->message[i] = (unsigned char)(base + i * 7u);
}

static void conn_close(struct worker *w, int ep, struct conn *c, uint64_t *counter)
{
    if (c->fd < 0)
        return;
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    (*counter)++;
    w->live--;
}

static void set_interest(int ep, struct conn *c, int want_out)
{
    if (c->want_out == want_out)
        return;
    struct epoll_event ev = { .events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = c };
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = want_out;
}

/* Writes what is left of the current message; waits for EPOLLOUT if the socket buffer is full. */
static void flush_send(struct worker *w, int ep, struct conn *c)
{
    while (c->sent < g_size) {
        ssize_t n = send(c->fd, c->message + c->sent, g_size - c->sent, MSG_NOSIGNAL);
        if (n > 0) {
            c->sent += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            set_interest(ep, c, 1);
            return;
        } else {
            conn_close(w, ep, c, &w->io_errors);
            return;
        }
    }
    set_interest(ep, c, 0);
}

static void start_request(struct worker *w, int ep, struct conn *c, uint64_t now)
{
    c->seq++;
    fill_message(c);
    c->sent = 0;
    c->received = 0;
    c->started_ns = now;
    flush_send(w, ep, c);
}

static void on_readable(struct worker *w, int ep, struct conn *c, unsigned char *scratch)
{
    while (c->fd >= 0) {
        ssize_t n = recv(c->fd, scratch, g_size - c->received, 0);
        if (n > 0) {
            if (c->received + (size_t)n > c->sent || memcmp(scratch, c->message + c->received, (size_t)n) != 0) {
                conn_close(w, ep, c, &w->mismatches);
                return;
            }
            c->received += (size_t)n;
            if (c->received == g_size) {
                uint64_t t = now_ns();
                w->total++;
                if (c->started_ns >= atomic_load_explicit(&g_warm_end_ns, memory_order_relaxed) &&
                    t <= atomic_load_explicit(&g_end_ns, memory_order_relaxed)) {
                    hist_add(&w->hist, t - c->started_ns);
                    w->measured++;
                }
                start_request(w, ep, c, t);
            }
        } else if (n == 0) {
            conn_close(w, ep, c, &w->closed_by_peer);
            return;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return;
        } else {
            conn_close(w, ep, c, &w->io_errors);
            return;
        }
    }
}

static int connect_one(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&g_addr, sizeof g_addr) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    unsigned char *scratch = malloc(g_size);
    if (ep < 0 || scratch == NULL) {
        perror("echo-load: epoll_create1/malloc");
        exit(1);
    }
    for (int i = 0; i < w->nconns; i++) {
        struct conn *c = &w->conns[i];
        c->message = malloc(g_size);
        if (c->message == NULL) {
            perror("echo-load: malloc");
            exit(1);
        }
        c->fd = connect_one();
        if (c->fd < 0) {
            w->connect_errors++;
            continue;
        }
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
        w->live++;
    }

    pthread_barrier_wait(&g_connected);
    pthread_barrier_wait(&g_go);

    uint64_t now = now_ns();
    for (int i = 0; i < w->nconns; i++)
        if (w->conns[i].fd >= 0)
            start_request(w, ep, &w->conns[i], now);

    struct epoll_event events[MAX_EVENTS];
    uint64_t end = atomic_load(&g_end_ns);
    while (w->live > 0 && now_ns() < end) {
        int n = epoll_wait(ep, events, MAX_EVENTS, 10);
        if (n < 0 && errno != EINTR) {
            perror("echo-load: epoll_wait");
            exit(1);
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (c->fd < 0)
                continue;
            if (events[i].events & EPOLLOUT)
                flush_send(w, ep, c);
            if (c->fd >= 0 && (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
                on_readable(w, ep, c, scratch);
        }
    }

    for (int i = 0; i < w->nconns; i++) {
        if (w->conns[i].fd >= 0)
            close(w->conns[i].fd);
        free(w->conns[i].message);
    }
    free(scratch);
    close(ep);
    return NULL;
}

static int allowed_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: echo-load -p PORT [-H HOST] [-c CONNECTIONS] [-s SIZE] [-d SECONDS] [-w WARMUP] [-t THREADS] [-j JSON] [-q]\n"
            "  closed-loop ping-pong against a TCP echo server; defaults -H 127.0.0.1 -c 64 -s 64 -d 5 -w 1 -t <CPUs>\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    const char *json = NULL;
    int port = -1, connections = 64, threads = 0, quiet = 0;
    double seconds = 5, warmup = 1;
    int opt;
    while ((opt = getopt(argc, argv, "H:p:c:s:d:w:t:j:q")) != -1) {
        switch (opt) {
        case 'H': host = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'c': connections = atoi(optarg); break;
        case 's': g_size = (size_t)strtoul(optarg, NULL, 10); break;
        case 'd': seconds = strtod(optarg, NULL); break;
        case 'w': warmup = strtod(optarg, NULL); break;
        case 't': threads = atoi(optarg); break;
        case 'j': json = optarg; break;
        case 'q': quiet = 1; break;
        default: usage();
        }
    }
    if (port <= 0 || port > 65535 || connections < 1 || g_size < 1 || seconds <= 0 || warmup < 0 || threads < 0)
        usage();
    memset(&g_addr, 0, sizeof g_addr);
    g_addr.sin_family = AF_INET;
    g_addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &g_addr.sin_addr) != 1) {
        fprintf(stderr, "echo-load: -H takes an IPv4 address, not '%s'\n", host);
        return 2;
    }
    if (threads == 0)
        threads = allowed_cpus();
    if (threads > connections)
        threads = connections;
    signal(SIGPIPE, SIG_IGN);

    struct worker *workers = calloc((size_t)threads, sizeof *workers);
    struct conn *conns = calloc((size_t)connections, sizeof *conns);
    if (workers == NULL || conns == NULL) {
        perror("echo-load: calloc");
        return 1;
    }
    pthread_barrier_init(&g_connected, NULL, (unsigned)threads + 1);
    pthread_barrier_init(&g_go, NULL, (unsigned)threads + 1);
    int next = 0;
    for (int t = 0; t < threads; t++) {
        struct worker *w = &workers[t];
        w->index = t;
        w->nconns = connections / threads + (t < connections % threads ? 1 : 0);
        w->conns = &conns[next];
        for (int i = 0; i < w->nconns; i++) {
            w->conns[i].id = next + i;
            w->conns[i].fd = -1;
        }
        next += w->nconns;
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            perror("echo-load: pthread_create");
            return 1;
        }
    }

    pthread_barrier_wait(&g_connected);
    int connected = 0;
    uint64_t connect_errors = 0;
    for (int t = 0; t < threads; t++) {
        connected += workers[t].live;
        connect_errors += workers[t].connect_errors;
    }
    uint64_t start = now_ns();
    atomic_store(&g_warm_end_ns, start + (uint64_t)(warmup * 1e9));
    atomic_store(&g_end_ns, start + (uint64_t)((warmup + seconds) * 1e9));
    if (!quiet)
        fprintf(stderr, "echo-load: %s:%d, %d of %d connection(s) on %d thread(s), %zu-byte messages, %.1f s warm-up + %.1f s\n",
                host, port, connected, connections, threads, g_size, warmup, seconds);
    pthread_barrier_wait(&g_go);

    struct histogram *all = calloc(1, sizeof *all);
    uint64_t measured = 0, total = 0, io_errors = 0, closed = 0, mismatches = 0;
    for (int t = 0; t < threads; t++) {
        struct worker *w = &workers[t];
        pthread_join(w->thread, NULL);
        for (unsigned i = 0; i < NBUCKETS; i++)
            all->counts[i] += w->hist.counts[i];
        all->total += w->hist.total;
        if (w->hist.max > all->max)
            all->max = w->hist.max;
        measured += w->measured;
        total += w->total;
        io_errors += w->io_errors;
        closed += w->closed_by_peer;
        mismatches += w->mismatches;
    }
    uint64_t errors = connect_errors + io_errors + closed + mismatches;
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    double cpu_ms = (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
                    (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
    double rps = (double)measured / seconds;
    uint64_t p50 = hist_percentile(all, 0.50), p99 = hist_percentile(all, 0.99), p999 = hist_percentile(all, 0.999);

    if (!quiet) {
        printf("requests/s %.0f  (%llu requests in %.1f s, %llu with the warm-up)\n", rps, (unsigned long long)measured,
               seconds, (unsigned long long)total);
        printf("latency us: p50 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n", p50 / 1e3, p99 / 1e3, p999 / 1e3, all->max / 1e3);
        printf("errors %llu (connect %llu, reset/io %llu, closed by server %llu, wrong echo %llu)\n",
               (unsigned long long)errors, (unsigned long long)connect_errors, (unsigned long long)io_errors,
               (unsigned long long)closed, (unsigned long long)mismatches);
    }
    printf("result requests_per_sec=%.0f requests=%llu total_requests=%llu seconds=%.3f p50_ns=%llu p99_ns=%llu "
           "p999_ns=%llu max_ns=%llu errors=%llu connections=%d size=%zu threads=%d cpu_ms=%.1f\n",
           rps, (unsigned long long)measured, (unsigned long long)total, seconds, (unsigned long long)p50,
           (unsigned long long)p99, (unsigned long long)p999, (unsigned long long)all->max, (unsigned long long)errors,
           connections, g_size, threads, cpu_ms);
    if (json != NULL) {
        FILE *f = fopen(json, "w");
        if (f == NULL) {
            perror(json);
            return 1;
        }
        fprintf(f,
                "{\"requests_per_sec\": %.1f, \"requests\": %llu, \"total_requests\": %llu, \"seconds\": %.3f, "
                "\"warmup_seconds\": %.3f, \"p50_ns\": %llu, \"p99_ns\": %llu, \"p999_ns\": %llu, \"max_ns\": %llu, "
                "\"errors\": %llu, \"connect_errors\": %llu, \"io_errors\": %llu, \"closed_by_server\": %llu, "
                "\"mismatches\": %llu, \"connections\": %d, \"connected\": %d, \"size\": %zu, \"threads\": %d, "
                "\"cpu_ms\": %.1f}\n",
                rps, (unsigned long long)measured, (unsigned long long)total, seconds, warmup, (unsigned long long)p50,
                (unsigned long long)p99, (unsigned long long)p999, (unsigned long long)all->max,
                (unsigned long long)errors, (unsigned long long)connect_errors, (unsigned long long)io_errors,
                (unsigned long long)closed, (unsigned long long)mismatches, connections, connected, g_size, threads,
                cpu_ms);
        fclose(f);
    }
    if (connected == 0) {
        fprintf(stderr, "echo-load: no connection to %s:%d could be made\n", host, port);
        return 1;
    }
    if (measured == 0) {
        fprintf(stderr, "echo-load: no request completed in the measured window\n");
        return 1;
    }
    return 0;
}
