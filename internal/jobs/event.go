package jobs

import (
	"sync"

	"github.com/riverqueue/river"
)

// EventKind says how an attempt ended.
type EventKind string

// Event kinds.
const (
	EventCompleted EventKind = "completed"
	EventFailed    EventKind = "failed" // it will be retried unless Job.State is discarded
	EventCancelled EventKind = "cancelled"
	EventSnoozed   EventKind = "snoozed"
)

// Event is the end of a job attempt worked by this process.
type Event struct {
	Kind EventKind
	Job  Info
}

// Subscribe returns the attempts this process finishes from now on, and a
// function that ends the subscription (and closes the channel). Events
// arriving while the buffer of 1,000 is full are dropped, so read promptly.
// A runtime that does not work jobs sends none.
func (rt *Runtime) Subscribe() (<-chan Event, func()) {
	out := make(chan Event, 1000)
	if !rt.cfg.Work {
		close(out)
		return out, func() {}
	}
	src, cancel := rt.client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled, river.EventKindJobSnoozed)
	done := make(chan struct{})
	go func() {
		defer close(out)
		for {
			select {
			case <-done:
				return
			case e, ok := <-src:
				if !ok {
					return
				}
				if e.Job == nil {
					continue
				}
				select {
				case out <- Event{Kind: eventKind(e.Kind), Job: infoOf(e.Job)}:
				case <-done:
					return
				}
			}
		}
	}()
	var once sync.Once
	return out, func() {
		once.Do(func() {
			cancel()
			close(done)
		})
	}
}

func eventKind(k river.EventKind) EventKind {
	switch k {
	case river.EventKindJobCompleted:
		return EventCompleted
	case river.EventKindJobCancelled:
		return EventCancelled
	case river.EventKindJobSnoozed:
		return EventSnoozed
	}
	return EventFailed
}
