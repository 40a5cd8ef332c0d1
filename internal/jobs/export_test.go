package jobs

import (
	"context"
	"encoding/json"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// InsertRunningForTest writes a job row as if a worker had started it at
// attemptedAt and then died: the state a crashed process leaves behind.
func InsertRunningForTest(ctx context.Context, rt *Runtime, args Args, attemptedAt time.Time) (int64, error) {
	enc, err := json.Marshal(envelope{kind: args.Kind(), Args: args})
	if err != nil {
		return 0, err
	}
	k := rt.kind(args.Kind())
	row, err := rt.client.executor().JobInsertFull(ctx, &riverdriver.JobInsertFullParams{
		Attempt: 1, AttemptedAt: &attemptedAt, AttemptedBy: []string{"dead-worker"}, CreatedAt: &attemptedAt,
		EncodedArgs: enc, Kind: args.Kind(), MaxAttempts: k.maxAttempts, Metadata: []byte("{}"), Priority: 1,
		Queue: k.queue, ScheduledAt: &attemptedAt, State: rivertype.JobStateRunning, Tags: []string{},
	})
	if err != nil {
		return 0, err
	}
	return row.ID, nil
}
