/*
 * echo-epoll: a minimal TCP echo server in C on epoll, the reference point for the .NET echo servers.
 *
 * THREADS threads, each with its own listening socket on the same port (SO_REUSEPORT: the kernel spreads new
 * connections over them by a hash of the address pair) and its own epoll instance, level-triggered. A connection
 * stays on the thread that accepted it. Per readable event: one read into the connection's 16 KiB buffer, then one
 * write of what was read; if the write is short, the connection waits for EPOLLOUT (and reads nothing) until the
 * rest is written. No threads are pinned: pin the whole process from outside (taskset) if wanted.
 *
 *   echo-epoll [-p PORT] [-H ADDR] [-t THREADS] [-b BACKLOG]
 *   defaults: -p 0 (a free port) -H 127.0.0.1 -t (CPUs this process may run on) -b 1024
 *
 * Once it accepts connections it prints a line containing `ready` and `port=N`. On SIGINT or SIGTERM it closes
 * everything and prints one line:  stats: engine=c-epoll signal=.. connections=.. bytes=.. cpu_ms=.. seconds=..
 *
 * Build: src/UringScheduler.Bench/perf/build-echo.sh (gcc -O2; binaries under artifacts/perf/bin).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUFFER_SIZE (16 * 1024)
#define MAX_EVENTS 256

enum kind { LISTENER, STOP, CONNECTION };

struct endpoint {
    enum kind kind;
    int fd;
};

struct conn {
    enum kind kind;
    int fd;
    struct conn *prev, *next;   /* the thread's open connections, to close them on stop */
    size_t pending_off;
    size_t pending_len;
    unsigned char buffer[BUFFER_SIZE];
};

struct worker {
    pthread_t thread;
    struct endpoint listener;
    struct conn *open;
    uint64_t connections;
    uint64_t bytes;
};

static int g_stop_fd = -1;
static volatile sig_atomic_t g_signal;
static struct endpoint g_stop = { STOP, -1 };

static void on_signal(int sig)
{
    uint64_t one = 1;
    g_signal = sig;
    /* Level-triggered and never read: every thread's epoll sees it until the end. */
    ssize_t ignored = write(g_stop_fd, &one, sizeof one);
    (void)ignored;
}

static int listen_on(const struct sockaddr_in *addr, int backlog)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
        bind(fd, (const struct sockaddr *)addr, sizeof *addr) != 0 || listen(fd, backlog) != 0) {
        perror("echo-epoll: socket/bind/listen");
        exit(1);
    }
    return fd;
}

static void conn_close(struct worker *w, int ep, struct conn *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        w->open = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c);
}

static void accept_all(struct worker *w, int ep)
{
    for (;;) {
        int fd = accept4(w->listener.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                perror("echo-epoll: accept4");
            return;
        }
        struct conn *c = malloc(sizeof *c);
        if (c == NULL) {
            close(fd);
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->kind = CONNECTION;
        c->fd = fd;
        c->pending_off = c->pending_len = 0;
        c->prev = NULL;
        c->next = w->open;
        if (w->open)
            w->open->prev = c;
        w->open = c;
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        w->connections++;
    }
}

/* Writes the pending bytes; returns 1 when all are written, 0 if the socket is full, -1 on error. */
static int flush(struct conn *c)
{
    while (c->pending_off < c->pending_len) {
        ssize_t n = send(c->fd, c->buffer + c->pending_off, c->pending_len - c->pending_off, MSG_NOSIGNAL);
        if (n > 0)
            c->pending_off += (size_t)n;
        else if (n < 0 && errno == EINTR)
            continue;
        else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        else
            return -1;
    }
    c->pending_off = c->pending_len = 0;
    return 1;
}

static void on_event(struct worker *w, int ep, struct conn *c, uint32_t events)
{
    if (c->pending_len > 0) {
        /* Waiting for EPOLLOUT: finish the write, then go back to reading. */
        int r = flush(c);
        if (r < 0) {
            conn_close(w, ep, c);
        } else if (r > 0) {
            struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
            epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        }
        return;
    }
    if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
        return;
    ssize_t n = recv(c->fd, c->buffer, BUFFER_SIZE, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        conn_close(w, ep, c);
        return;
    }
    w->bytes += (uint64_t)n;
    c->pending_off = 0;
    c->pending_len = (size_t)n;
    int r = flush(c);
    if (r < 0) {
        conn_close(w, ep, c);
    } else if (r == 0) {
        struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        perror("echo-epoll: epoll_create1");
        exit(1);
    }
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &w->listener };
    epoll_ctl(ep, EPOLL_CTL_ADD, w->listener.fd, &ev);
    ev.data.ptr = &g_stop;
    epoll_ctl(ep, EPOLL_CTL_ADD, g_stop_fd, &ev);

    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(ep, events, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("echo-epoll: epoll_wait");
            exit(1);
        }
        int stop = 0;
        for (int i = 0; i < n; i++) {
            enum kind kind = *(enum kind *)events[i].data.ptr;
            if (kind == STOP)
                stop = 1;
            else if (kind == LISTENER)
                accept_all(w, ep);
            else
                on_event(w, ep, events[i].data.ptr, events[i].events);
        }
        if (stop)
            break;
    }
    while (w->open)
        conn_close(w, ep, w->open);
    close(w->listener.fd);
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

static double seconds_of(const struct timeval *tv)
{
    return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    int port = 0, threads = 0, backlog = 1024, opt;
    while ((opt = getopt(argc, argv, "H:p:t:b:")) != -1) {
        switch (opt) {
        case 'H': host = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 't': threads = atoi(optarg); break;
        case 'b': backlog = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: echo-epoll [-p PORT] [-H ADDR] [-t THREADS] [-b BACKLOG]\n");
            return 2;
        }
    }
    if (port < 0 || port > 65535 || threads < 0 || backlog < 1) {
        fprintf(stderr, "usage: echo-epoll [-p PORT] [-H ADDR] [-t THREADS] [-b BACKLOG]\n");
        return 2;
    }
    if (threads == 0)
        threads = allowed_cpus();

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        fprintf(stderr, "echo-epoll: -H takes an IPv4 address, not '%s'\n", host);
        return 2;
    }

    g_stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    g_stop.fd = g_stop_fd;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct worker *workers = calloc((size_t)threads, sizeof *workers);
    if (workers == NULL || g_stop_fd < 0) {
        perror("echo-epoll: calloc/eventfd");
        return 1;
    }
    /* The first listener picks the port (when it is 0); the others join it on that port. */
    for (int t = 0; t < threads; t++) {
        workers[t].listener.kind = LISTENER;
        workers[t].listener.fd = listen_on(&addr, backlog);
        if (t == 0) {
            socklen_t len = sizeof addr;
            getsockname(workers[0].listener.fd, (struct sockaddr *)&addr, &len);
        }
    }
    for (int t = 0; t < threads; t++) {
        if (pthread_create(&workers[t].thread, NULL, worker_main, &workers[t]) != 0) {
            perror("echo-epoll: pthread_create");
            return 1;
        }
    }

    struct timespec started, ended;
    clock_gettime(CLOCK_MONOTONIC, &started);
    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    printf("echo-epoll ready: engine=c-epoll endpoint=%s:%d port=%d workers=%d pid=%d\n", host, ntohs(addr.sin_port),
           ntohs(addr.sin_port), threads, (int)getpid());
    fflush(stdout);

    uint64_t connections = 0, bytes = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(workers[t].thread, NULL);
        connections += workers[t].connections;
        bytes += workers[t].bytes;
    }
    getrusage(RUSAGE_SELF, &after);
    clock_gettime(CLOCK_MONOTONIC, &ended);
    double cpu = seconds_of(&after.ru_utime) + seconds_of(&after.ru_stime) - seconds_of(&before.ru_utime) -
                 seconds_of(&before.ru_stime);
    double elapsed = (double)(ended.tv_sec - started.tv_sec) + (double)(ended.tv_nsec - started.tv_nsec) / 1e9;
    printf("stats: engine=c-epoll signal=%s connections=%llu bytes=%llu cpu_ms=%.1f seconds=%.3f\n",
           g_signal == SIGTERM ? "SIGTERM" : "SIGINT", (unsigned long long)connections, (unsigned long long)bytes,
           cpu * 1e3, elapsed);
    return 0;
}
