/* bench.h — what the C benchmarks share: the summary of a run of timed
 * samples (mean, median, 99th percentile) and the table row the µs
 * benchmarks print, and their state directories (which the unit tests'
 * test/unit/bench.h makes its own from). Header-only: each bench_*.c is a
 * program of its own.
 */
#ifndef CP_BENCH_BENCH_H
#define CP_BENCH_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

//  A fresh state directory for a benchmark's store, /tmp/bench-<name>-
//  and a unique suffix (mkdtemp's template), in dir (size ≥ 64). 0, or -1.
static inline int
bench_dir_new(char *dir, size_t size, const char *name)
{
    snprintf(dir, size, "/tmp/bench-%.20s-XXXXXX", name);
    return mkdtemp(dir) ? 0 : -1;
}

//  Remove a directory made by bench_dir_new, with what is in it. 0, or -1.
static inline int
bench_dir_remove(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

//  Monotonic time in µs, for timing one sample.
static inline double
bench_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

typedef struct {
    double mean;
    double p50;
    double p99;
} bench_stats_t;

static inline int
bench_compare(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

//  Sorts the n samples (n > 0) and summarises them.
static inline bench_stats_t
bench_stats(double *samples, int n)
{
    qsort(samples, (size_t) n, sizeof(double), bench_compare);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += samples[i];
    return (bench_stats_t) { sum / n, samples[n / 2], samples[(n * 99) / 100] };
}

//  "| what | < 1000 | mean | median | p99 |" for samples in µs against the
//  1 ms goal of the auth and composite benchmarks.
static inline void
bench_row_us(const char *what, double *us, int n)
{
    bench_stats_t st = bench_stats(us, n);
    printf("| %s | < 1000 | %.1f | %.1f | %.1f |\n", what, st.mean, st.p50, st.p99);
}
#endif
