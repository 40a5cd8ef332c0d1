package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/jobs"
)

func stuckAlert(jobID int64, reason jobs.Reason, attempt int) jobs.Alert {
	a := jobs.Alert{JobID: jobID, Kind: "scan", Queue: "default", Reason: reason, JobState: jobs.StateAvailable,
		Attempt: attempt, ScheduledAt: T0.Add(-2 * time.Hour)}
	if reason == jobs.ReasonPastDeadline {
		started, deadline := T0.Add(-time.Hour), T0.Add(-50*time.Minute)
		a.JobState, a.AttemptedAt, a.Deadline = jobs.StateRunning, &started, &deadline
	}
	return a
}

// exerciseJobAlerts checks the stuck-job alert lifecycle: opened once,
// seen again, resolved when the job is no longer stuck, re-opened if it
// sticks again, a new alert for a new attempt; counts of open alerts; and
// concurrent checks (two leaders for a moment) opening each alert once.
func exerciseJobAlerts(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	overdue, late := stuckAlert(1, jobs.ReasonOverdue, 0), stuckAlert(2, jobs.ReasonPastDeadline, 1)

	opened, err := db.SyncJobAlerts(ctx, T0, []jobs.Alert{overdue, late})
	require.NoError(t, err)
	require.Len(t, opened, 2)
	for _, a := range opened {
		require.NotEmpty(t, a.ID)
		require.Equal(t, T0, a.FirstSeenAt)
	}

	t1 := T0.Add(5 * time.Minute)
	opened, err = db.SyncJobAlerts(ctx, t1, []jobs.Alert{overdue, late})
	require.NoError(t, err)
	require.Empty(t, opened, "a job still stuck opens nothing new")

	all, err := db.ListJobAlerts(ctx, jobs.AlertFilter{Limit: 10})
	require.NoError(t, err)
	require.Len(t, all, 2)
	byJob := map[int64]jobs.Alert{}
	for _, a := range all {
		byJob[a.JobID] = a
		require.Equal(t, T0, a.FirstSeenAt)
		require.Equal(t, t1, a.LastSeenAt)
		require.Nil(t, a.ResolvedAt)
	}
	want := late
	want.ID, want.FirstSeenAt, want.LastSeenAt = byJob[2].ID, T0, t1
	require.Empty(t, cmp.Diff(want, byJob[2]), "stored as written")

	counts, err := db.OpenJobAlertCounts(ctx)
	require.NoError(t, err)
	require.ElementsMatch(t, []jobs.AlertCount{{Kind: "scan", Reason: jobs.ReasonOverdue, Count: 1}, {Kind: "scan", Reason: jobs.ReasonPastDeadline, Count: 1}}, counts)

	// Job 1 ran; job 2 is still stuck.
	t2 := t1.Add(5 * time.Minute)
	opened, err = db.SyncJobAlerts(ctx, t2, []jobs.Alert{late})
	require.NoError(t, err)
	require.Empty(t, opened)
	openOnly, err := db.ListJobAlerts(ctx, jobs.AlertFilter{OpenOnly: true, Limit: 10})
	require.NoError(t, err)
	require.Len(t, openOnly, 1)
	require.Equal(t, int64(2), openOnly[0].JobID)
	all, err = db.ListJobAlerts(ctx, jobs.AlertFilter{Limit: 10})
	require.NoError(t, err)
	for _, a := range all {
		if a.JobID == 1 {
			require.NotNil(t, a.ResolvedAt)
			require.Equal(t, t2, *a.ResolvedAt)
		}
	}

	// Job 1 sticks again at the same attempt: its alert re-opens; at a new
	// attempt job 2 gets a second alert.
	t3 := t2.Add(5 * time.Minute)
	opened, err = db.SyncJobAlerts(ctx, t3, []jobs.Alert{overdue, late, stuckAlert(2, jobs.ReasonPastDeadline, 2)})
	require.NoError(t, err)
	require.Len(t, opened, 2)
	require.Equal(t, byJob[1].ID, opened[0].ID, "re-opened, same alert")
	require.Equal(t, 2, opened[1].Attempt)
	counts, err = db.OpenJobAlertCounts(ctx)
	require.NoError(t, err)
	require.ElementsMatch(t, []jobs.AlertCount{{Kind: "scan", Reason: jobs.ReasonOverdue, Count: 1}, {Kind: "scan", Reason: jobs.ReasonPastDeadline, Count: 2}}, counts)

	// Nothing stuck: everything resolves.
	_, err = db.SyncJobAlerts(ctx, t3.Add(time.Minute), nil)
	require.NoError(t, err)
	counts, err = db.OpenJobAlertCounts(ctx)
	require.NoError(t, err)
	require.Empty(t, counts)

	// Two checks at once open each new alert once.
	t4 := t3.Add(time.Hour)
	fresh := []jobs.Alert{stuckAlert(10, jobs.ReasonOverdue, 0), stuckAlert(11, jobs.ReasonOverdue, 0)}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
	)
	for range 4 {
		wg.Go(func() {
			got, err := db.SyncJobAlerts(ctx, t4, fresh)
			require.NoError(t, err)
			mu.Lock()
			total += len(got)
			mu.Unlock()
		})
	}
	wg.Wait()
	require.Equal(t, 2, total, "each alert opened by exactly one check")
}
