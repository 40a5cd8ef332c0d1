package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/valdrix/valdrix/internal/jobs"
)

type listJobsInput struct {
	PageParams
	Kind  string `query:"kind" maxLength:"63" pattern:"^[a-z][a-z0-9_.]*$" doc:"Only jobs of this kind, e.g. scan"`
	State string `query:"state" enum:"available,scheduled,running,retryable,completed,cancelled,discarded,pending" doc:"Only jobs in this state"`
}

type jobPath struct {
	ID int64 `path:"id" minimum:"1" doc:"The job's id"`
}

type jobOutput struct {
	Body Job
}

func (s *Server) registerJobs() {
	handle(s, huma.Operation{
		OperationID: "list-jobs", Method: http.MethodGet, Path: "/api/v1/jobs", Tags: []string{"jobs"},
		Summary:     "List background jobs",
		Description: "The tenant's background jobs (scans, ingests, …), newest first, with their state, attempts, errors and timings. Jobs of other tenants and of the platform itself are not listed.",
	}, admin, func(ctx context.Context, c call, in *listJobsInput) (*listOutput[Job], error) {
		f := jobs.ListFilter{Tenant: c.Principal.TenantID, Limit: in.Limit, Cursor: in.Cursor}
		if in.Kind != "" {
			f.Kinds = []string{in.Kind}
		}
		if in.State != "" {
			f.States = []jobs.State{jobs.State(in.State)}
		}
		list, next, err := s.jobs.List(ctx, f)
		if err != nil {
			return nil, err
		}
		out := make([]Job, len(list))
		for i, j := range list {
			out[i] = jobOf(j)
		}
		return listOf(out, next), nil
	})
	handle(s, huma.Operation{
		OperationID: "get-job", Method: http.MethodGet, Path: "/api/v1/jobs/{id}", Tags: []string{"jobs"},
		Summary: "Get a background job",
	}, admin, func(ctx context.Context, c call, in *jobPath) (*jobOutput, error) {
		j, err := s.jobs.Get(ctx, c.Principal.TenantID, in.ID)
		if err != nil {
			return nil, err
		}
		return &jobOutput{Body: jobOf(j)}, nil
	})
}

// Job is a background job as a tenant's admin sees it.
type Job struct {
	ID          int64          `json:"id"`
	Kind        string         `json:"kind" doc:"What the job does, e.g. scan"`
	State       string         `json:"state" enum:"available,scheduled,running,retryable,completed,cancelled,discarded,pending" doc:"available: waiting for a worker; scheduled: waiting for its time; retryable: failed, waiting for its next attempt; discarded: failed its last attempt"`
	Queue       string         `json:"queue"`
	UniqueKey   string         `json:"unique_key,omitempty" doc:"What makes the job unique, e.g. <connection>/<day>"`
	Args        map[string]any `json:"args" doc:"The job's arguments"`
	Attempt     int            `json:"attempt" doc:"Attempts made so far"`
	MaxAttempts int            `json:"max_attempts"`
	Errors      []JobError     `json:"errors" nullable:"false" doc:"Failed attempts, oldest first"`
	Periodic    string         `json:"periodic,omitempty" doc:"The schedule that enqueued it, if any"`
	CreatedAt   time.Time      `json:"created_at"`
	ScheduledAt time.Time      `json:"scheduled_at"`
	AttemptedAt *time.Time     `json:"attempted_at,omitempty" doc:"Start of the latest attempt"`
	FinalizedAt *time.Time     `json:"finalized_at,omitempty" doc:"When it completed, was cancelled or was discarded"`
}

// JobError is a failed attempt.
type JobError struct {
	At      time.Time `json:"at"`
	Attempt int       `json:"attempt"`
	Error   string    `json:"error"`
}

func jobOf(j jobs.Info) Job {
	args := map[string]any{}
	_ = json.Unmarshal(j.Args, &args) // the runtime's own JSON; a non-object shows as {}
	out := Job{
		ID: j.ID, Kind: j.Kind, State: string(j.State), Queue: j.Queue, UniqueKey: j.Key, Args: args,
		Attempt: j.Attempt, MaxAttempts: j.MaxAttempts, Errors: make([]JobError, len(j.Errors)), Periodic: j.Periodic,
		CreatedAt: j.CreatedAt, ScheduledAt: j.ScheduledAt, AttemptedAt: j.AttemptedAt, FinalizedAt: j.FinalizedAt,
	}
	for i, e := range j.Errors {
		out.Errors[i] = JobError{At: e.At, Attempt: e.Attempt, Error: e.Error}
	}
	return out
}
