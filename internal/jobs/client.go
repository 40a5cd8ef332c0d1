package jobs

import (
	"context"
	"errors"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// riverClient is what the runtime uses of a River client, the same on both
// drivers (River's client is generic over the transaction type).
type riverClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	InsertMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobCancel(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobRetry(ctx context.Context, id int64) (*rivertype.JobRow, error)
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
	PeriodicJobs() *river.PeriodicJobBundle
	Queues() *river.QueueBundle

	// insertTx inserts in the store transaction that ctx carries.
	insertTx(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	// executor runs driver-level statements (tests insert crafted rows).
	executor() riverdriver.Executor
}

// errNoTx is returned by EnqueueTx outside a read-write store scope.
var errNoTx = errors.New("EnqueueTx needs a read-write store transaction in the context (store.Atomic or store.System)")

// txClient is River's client on one driver; tx finds the store
// transaction of that driver's type in a context.
type txClient[TTx any] struct {
	*river.Client[TTx]
	tx func(ctx context.Context) (TTx, bool)
}

func (c txClient[TTx]) insertTx(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	tx, ok := c.tx(ctx)
	if !ok {
		return nil, errNoTx
	}
	return c.InsertManyTx(ctx, tx, params)
}

func (c txClient[TTx]) executor() riverdriver.Executor { return c.Driver().GetExecutor() }
