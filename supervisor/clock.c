/* clock.c — see clock.h. */
#include "supervisor/clock.h"

#include <assert.h>
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

//  Wall time = the base (the host's UTC, or a virtual clock's own wall
//  time) + the offset the steer gives now, so the offset always means
//  "ahead of the base". The steer is three numbers read together: a
//  mutex keeps a reader from seeing half of a new one.
struct _cp_clock_t {
    bool virtual_;
    _Atomic int64_t mono_ms;        //  virtual only
    _Atomic int64_t wall_ms;        //  virtual only: the base
    pthread_mutex_t lock;
    cp_clock_steer_t steer;         //  under lock
};

static cp_clock_t *
s_new(bool virtual_, int64_t mono_ms, int64_t wall_ms)
{
    cp_clock_t *self = calloc(1, sizeof(cp_clock_t));
    if (!self)
        return NULL;
    if (pthread_mutex_init(&self->lock, NULL) != 0) {
        free(self);
        return NULL;
    }
    self->virtual_ = virtual_;
    self->mono_ms = mono_ms;
    self->wall_ms = wall_ms;
    return self;
}

cp_clock_t *
cp_clock_new_system(void)
{
    return s_new(false, 0, 0);
}

cp_clock_t *
cp_clock_new_virtual(int64_t mono_ms, int64_t wall_ms)
{
    return s_new(true, mono_ms, wall_ms);
}

cp_clock_t *
cp_clock_new_like(const cp_clock_t *model)
{
    assert(model);
    if (!model->virtual_)
        return cp_clock_new_system();
    return cp_clock_new_virtual(atomic_load(&model->mono_ms), atomic_load(&model->wall_ms));
}

void
cp_clock_destroy(cp_clock_t **self_p)
{
    assert(self_p);
    if (*self_p)
        pthread_mutex_destroy(&(*self_p)->lock);
    free(*self_p);
    *self_p = NULL;
}

static int64_t
s_read(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
cp_clock_mono_ms(const cp_clock_t *self)
{
    assert(self);
    return self->virtual_ ? atomic_load(&self->mono_ms) : s_read(CLOCK_MONOTONIC);
}

static int64_t
s_base_wall(const cp_clock_t *self)
{
    return self->virtual_ ? atomic_load(&self->wall_ms) : s_read(CLOCK_REALTIME);
}

int64_t
cp_clock_steer_at(const cp_clock_steer_t *steer, int64_t mono_ms)
{
    assert(steer);
    int64_t distance = steer->to_ms - steer->from_ms;
    int64_t elapsed = mono_ms - steer->start_ms;
    if (distance == 0 || elapsed <= 0)
        return distance == 0 ? steer->to_ms : steer->from_ms;
    //  elapsed * permille / 1000 without overflow for any sane elapsed
    int64_t moved = elapsed / 1000 * CP_CLOCK_SLEW_PERMILLE + elapsed % 1000 * CP_CLOCK_SLEW_PERMILLE / 1000;
    if (moved >= llabs(distance))
        return steer->to_ms;
    return steer->from_ms + (distance > 0 ? moved : -moved);
}

static cp_clock_steer_t
s_steer(const cp_clock_t *self)
{
    cp_clock_t *mutable_ = (cp_clock_t *) self;    //  the lock only
    pthread_mutex_lock(&mutable_->lock);
    cp_clock_steer_t steer = self->steer;
    pthread_mutex_unlock(&mutable_->lock);
    return steer;
}

static void
s_set_steer(cp_clock_t *self, cp_clock_steer_t steer)
{
    pthread_mutex_lock(&self->lock);
    self->steer = steer;
    pthread_mutex_unlock(&self->lock);
}

int64_t
cp_clock_offset_ms(const cp_clock_t *self)
{
    assert(self);
    cp_clock_steer_t steer = s_steer(self);
    return cp_clock_steer_at(&steer, cp_clock_mono_ms(self));
}

int64_t
cp_clock_wall_ms(const cp_clock_t *self)
{
    assert(self);
    return s_base_wall(self) + cp_clock_offset_ms(self);
}

void
cp_clock_set_offset_ms(cp_clock_t *self, int64_t offset_ms)
{
    assert(self);
    s_set_steer(self, (cp_clock_steer_t) { .from_ms = offset_ms, .to_ms = offset_ms });
}

void
cp_clock_set_wall_ms(cp_clock_t *self, int64_t wall_ms)
{
    assert(self);
    cp_clock_set_offset_ms(self, wall_ms - s_base_wall(self));
}

int64_t
cp_clock_target_offset_ms(const cp_clock_t *self)
{
    assert(self);
    return s_steer(self).to_ms;
}

int64_t
cp_clock_offset_for_wall_ms(const cp_clock_t *self, int64_t wall_ms)
{
    assert(self);
    return wall_ms - s_base_wall(self);
}

bool
cp_clock_steer_to(cp_clock_t *self, int64_t offset_ms)
{
    assert(self);
    int64_t now = cp_clock_offset_ms(self);
    if (llabs(offset_ms - now) >= CP_CLOCK_STEP_MS) {
        cp_clock_set_offset_ms(self, offset_ms);
        return true;
    }
    s_set_steer(self, (cp_clock_steer_t) { .from_ms = now, .to_ms = offset_ms,
                                           .start_ms = cp_clock_mono_ms(self) });
    return false;
}

void
cp_clock_steer(const cp_clock_t *self, cp_clock_steer_t *out)
{
    assert(self && out);
    *out = s_steer(self);
}

void
cp_clock_set_steer(cp_clock_t *self, const cp_clock_steer_t *steer)
{
    assert(self && steer);
    cp_clock_steer_t mine = s_steer(self);
    if (steer->from_ms == steer->to_ms && mine.to_ms == steer->to_ms)
        return;                     //  already heading there (clock.h)
    s_set_steer(self, *steer);
}

cp_clock_t *
cp_clock_new_following(const cp_clock_t *model)
{
    cp_clock_t *self = cp_clock_new_like(model);
    if (self)
        s_set_steer(self, s_steer(model));
    return self;
}

void
cp_clock_advance(cp_clock_t *self, int64_t ms)
{
    assert(self && self->virtual_ && ms >= 0);
    atomic_fetch_add(&self->mono_ms, ms);
    atomic_fetch_add(&self->wall_ms, ms);
}

void
cp_clock_format(int64_t wall_ms, char *out, size_t out_size)
{
    //  Floor, not truncate: -1 ms is 23:59:59.999 of the day before.
    int64_t ms = wall_ms % 1000;
    if (ms < 0)
        ms += 1000;
    time_t secs = (time_t) ((wall_ms - ms) / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(out, out_size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int) ms);
}

static int
s_digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (!isdigit((unsigned char) **p))
            return -1;
        v = v * 10 + (**p - '0');
    }
    return v;
}

int
cp_clock_parse(const char *text, int64_t *wall_ms)
{
    if (!text)
        return -1;
    const char *p = text;
    struct tm tm = { 0 };
    int year = s_digits(&p, 4);
    if (year < 0 || *p++ != '-') return -1;
    int mon = s_digits(&p, 2);
    if (mon < 1 || mon > 12 || *p++ != '-') return -1;
    int day = s_digits(&p, 2);
    //  A day the month does not have is refused, not normalized by timegm.
    static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (day < 1 || day > mdays[mon - 1] + (mon == 2 && leap)
    ||  (*p != 'T' && *p != 't' && *p != ' ')) return -1;
    p++;
    int hour = s_digits(&p, 2);
    if (hour < 0 || hour > 23 || *p++ != ':') return -1;
    int min = s_digits(&p, 2);
    if (min < 0 || min > 59 || *p++ != ':') return -1;
    int sec = s_digits(&p, 2);
    if (sec < 0 || sec > 60) return -1;
    int ms = 0;
    if (*p == '.') {
        p++;
        int scale = 100, any = 0;
        while (isdigit((unsigned char) *p)) {
            ms += (*p - '0') * scale;
            scale /= 10;
            p++;
            any = 1;
        }
        if (!any) return -1;
    }
    int offset_min = 0;
    if (*p == 'Z' || *p == 'z')
        p++;
    else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1;
        int oh = s_digits(&p, 2);
        if (oh < 0 || oh > 23 || *p++ != ':') return -1;
        int om = s_digits(&p, 2);
        if (om < 0 || om > 59) return -1;
        offset_min = sign * (oh * 60 + om);
    }
    else
        return -1;
    if (*p != '\0')
        return -1;
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    *wall_ms = ((int64_t) t - (int64_t) offset_min * 60) * 1000 + ms;
    return 0;
}
