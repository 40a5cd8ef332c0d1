package api

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiterSet is a token bucket per key (an IP, an API key, a user) with
// eviction of idle keys. Limits are per process.
type limiterSet struct {
	mu      sync.Mutex
	limit   rate.Limit
	burst   int
	entries map[string]*limiterEntry
	calls   int
}

type limiterEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiterSet(perSecond float64, burst int) *limiterSet {
	if perSecond <= 0 {
		return nil
	}
	return &limiterSet{limit: rate.Limit(perSecond), burst: max(burst, 1), entries: map[string]*limiterEntry{}}
}

func (l *limiterSet) entry(key string, now time.Time) *limiterEntry {
	l.calls++
	if l.calls%1024 == 0 || len(l.entries) > 100_000 {
		for k, e := range l.entries {
			if now.Sub(e.seen) > 10*time.Minute {
				delete(l.entries, k)
			}
		}
	}
	e := l.entries[key]
	if e == nil {
		e = &limiterEntry{lim: rate.NewLimiter(l.limit, l.burst)}
		l.entries[key] = e
	}
	e.seen = now
	return e
}

// allow takes one token for key, or reports how long to wait for one.
func (l *limiterSet) allow(key string, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.entry(key, now).lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Minute
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// failureLimiter throttles guessing: each failure spends a token; with none
// left the key is blocked until one refills. Success clears the key.
type failureLimiter struct{ set *limiterSet }

func newFailureLimiter(failures int, window time.Duration) *failureLimiter {
	if failures <= 0 {
		return &failureLimiter{}
	}
	return &failureLimiter{set: newLimiterSet(float64(failures)/window.Seconds(), failures)}
}

// blocked reports whether key has no failures left, and for how long.
func (f *failureLimiter) blocked(key string, now time.Time) (bool, time.Duration) {
	if f.set == nil {
		return false, 0
	}
	f.set.mu.Lock()
	defer f.set.mu.Unlock()
	e, ok := f.set.entries[key]
	if !ok {
		return false, 0
	}
	if tokens := e.lim.TokensAt(now); tokens < 1 {
		return true, time.Duration((1 - tokens) / float64(f.set.limit) * float64(time.Second))
	}
	return false, 0
}

func (f *failureLimiter) fail(key string, now time.Time) {
	if f.set == nil {
		return
	}
	f.set.mu.Lock()
	defer f.set.mu.Unlock()
	f.set.entry(key, now).lim.AllowN(now, 1)
}

func (f *failureLimiter) succeed(key string) {
	if f.set == nil {
		return
	}
	f.set.mu.Lock()
	defer f.set.mu.Unlock()
	delete(f.set.entries, key)
}
