/*
 * nop-baseline: the kernel's own per-operation floor for io_uring on this machine, the C baseline that the
 * scheduler's own cost (uring-bench nop_N) is compared with (compare.sh nop).
 *
 * A minimal program on raw io_uring syscalls (no liburing): one ring per thread, created on that thread with
 * IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN (falling back to COOP_TASKRUN, then to plain, if the
 * kernel refuses), each thread pinned to its own CPU. Each iteration fills BATCH IORING_OP_NOP entries, then makes
 * ONE io_uring_enter with to_submit = BATCH, min_complete = BATCH and IORING_ENTER_GETEVENTS, and reaps the BATCH
 * completions. Runs for SECONDS and prints NOPs/s.
 *
 *   nop-baseline [SECONDS] [BATCH] [THREADS]      defaults: 5 32 1
 *
 * The last line is machine-readable:  result nops_per_sec=<N> ops=<N> seconds=<S> batch=<B> threads=<T> flags=<F>
 * Build: src/UringScheduler.Bench/perf/build-nop-baseline.sh (gcc -O2; the binary goes to artifacts/perf/).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN (1U << 13)
#endif

struct ring {
    int fd;
    unsigned flags;
    unsigned sq_entries;
    unsigned cq_entries;
    unsigned *sq_tail;
    unsigned *sq_mask;
    unsigned *sq_array;
    struct io_uring_sqe *sqes;
    unsigned *cq_head;
    unsigned *cq_tail;
    unsigned *cq_mask;
    struct io_uring_cqe *cqes;
};

struct worker {
    pthread_t thread;
    int cpu;
    double seconds;
    unsigned batch;
    unsigned long long ops;
    double elapsed;
    unsigned flags;
    int error;
};

static int sys_setup(unsigned entries, struct io_uring_params *p)
{
    return (int)syscall(__NR_io_uring_setup, entries, p);
}

static int sys_enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags)
{
    return (int)syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, NULL, 0);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
        fd = sys_setup(entries, &p);
        if (fd >= 0) {
            r->flags = attempts[i];
            break;
        }
    }
    if (fd < 0) {
        return -errno;
    }

    r->fd = fd;
    r->sq_entries = p.sq_entries;
    r->cq_entries = p.cq_entries;
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

    /* Identity SQ array: slot i always points at SQE i. */
    for (unsigned i = 0; i < p.sq_entries; i++) {
        r->sq_array[i] = i;
    }
    return 0;
}

static void *run(void *arg)
{
    struct worker *w = arg;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(w->cpu, &set);
    sched_setaffinity(0, sizeof set, &set); /* best effort */

    struct ring r;
    memset(&r, 0, sizeof r);
    unsigned entries = 1;
    while (entries < w->batch) {
        entries <<= 1;
    }
    int rc = ring_open(&r, entries);
    if (rc < 0) {
        w->error = -rc;
        return NULL;
    }
    w->flags = r.flags;

    const unsigned mask = *r.sq_mask;
    const unsigned cq_mask = *r.cq_mask;
    unsigned long long ops = 0;
    unsigned long long user_data = 0;
    unsigned sq_tail = *r.sq_tail;
    unsigned cq_head = *r.cq_head;
    double start = now();
    double deadline = start + w->seconds;
    double end = start;

    for (unsigned long long iteration = 0;; iteration++) {
        for (unsigned i = 0; i < w->batch; i++) {
            struct io_uring_sqe *sqe = &r.sqes[sq_tail & mask];
            memset(sqe, 0, sizeof *sqe);
            sqe->opcode = IORING_OP_NOP;
            sqe->user_data = ++user_data;
            sq_tail++;
        }
        atomic_store_explicit((_Atomic unsigned *)r.sq_tail, sq_tail, memory_order_release);

        int submitted = sys_enter(r.fd, w->batch, w->batch, IORING_ENTER_GETEVENTS);
        if (submitted < 0) {
            w->error = errno;
            break;
        }

        unsigned reaped = 0;
        while (reaped < w->batch) {
            unsigned tail = atomic_load_explicit((_Atomic unsigned *)r.cq_tail, memory_order_acquire);
            while (cq_head != tail) {
                struct io_uring_cqe *cqe = &r.cqes[cq_head & cq_mask];
                if (cqe->res < 0) {
                    w->error = -cqe->res;
                }
                cq_head++;
                reaped++;
            }
            atomic_store_explicit((_Atomic unsigned *)r.cq_head, cq_head, memory_order_release);
            if (reaped < w->batch && sys_enter(r.fd, 0, w->batch - reaped, IORING_ENTER_GETEVENTS) < 0) {
                w->error = errno;
                break;
            }
        }
        ops += reaped;
        if (w->error) {
            break;
        }

        /* Look at the clock every 64 batches (~2000 NOPs): negligible next to the syscalls. */
        if ((iteration & 63) == 63) {
            end = now();
            if (end >= deadline) {
                break;
            }
        }
    }

    w->ops = ops;
    w->elapsed = end - start;
    close(r.fd);
    return NULL;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 5.0;
    unsigned batch = argc > 2 ? (unsigned)atoi(argv[2]) : 32;
    int threads = argc > 3 ? atoi(argv[3]) : 1;
    if (seconds <= 0 || batch == 0 || batch > 4096 || threads < 1) {
        fprintf(stderr, "usage: %s [SECONDS>0] [BATCH 1..4096] [THREADS>=1]\n", argv[0]);
        return 2;
    }

    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    sched_getaffinity(0, sizeof allowed, &allowed);
    int cpus[CPU_SETSIZE];
    int ncpus = 0;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (CPU_ISSET(c, &allowed)) {
            cpus[ncpus++] = c;
        }
    }

    struct worker *workers = calloc((size_t)threads, sizeof *workers);
    for (int t = 0; t < threads; t++) {
        workers[t].cpu = cpus[t % (ncpus > 0 ? ncpus : 1)];
        workers[t].seconds = seconds;
        workers[t].batch = batch;
        if (pthread_create(&workers[t].thread, NULL, run, &workers[t]) != 0) {
            perror("pthread_create");
            return 1;
        }
    }

    unsigned long long ops = 0;
    double rate = 0;
    double elapsed = 0;
    unsigned flags = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(workers[t].thread, NULL);
        if (workers[t].error) {
            fprintf(stderr, "thread %d: %s\n", t, strerror(workers[t].error));
            return 1;
        }
        ops += workers[t].ops;
        rate += workers[t].elapsed > 0 ? (double)workers[t].ops / workers[t].elapsed : 0;
        if (workers[t].elapsed > elapsed) {
            elapsed = workers[t].elapsed;
        }
        flags = workers[t].flags;
        printf("thread %d (cpu %d): %llu NOPs in %.3f s: %.0f NOPs/s\n", t, workers[t].cpu, workers[t].ops,
               workers[t].elapsed, workers[t].elapsed > 0 ? (double)workers[t].ops / workers[t].elapsed : 0);
    }

    const char *mode = flags == (IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN) ? "SINGLE_ISSUER|DEFER_TASKRUN"
                       : flags == IORING_SETUP_COOP_TASKRUN                                 ? "COOP_TASKRUN"
                                                                                            : "plain";
    printf("nop-baseline: %.0f NOPs/s (%.1f ns/NOP per thread), batch %u, %d thread(s), ring %s\n", rate,
           rate > 0 ? 1e9 * threads / rate : 0, batch, threads, mode);
    printf("result nops_per_sec=%.0f ops=%llu seconds=%.3f batch=%u threads=%d flags=%s\n", rate, ops, elapsed, batch,
           threads, mode);
    free(workers);
    return 0;
}
