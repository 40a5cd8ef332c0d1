// Package jobs is Valdrix's background-job runtime: a small wrapper over
// River (riverqueue/river v0.47) on the same SQLite or PostgreSQL database as
// the store. Modules register job kinds with their worker function, timeout,
// attempts and backoff (Register); enqueue jobs, optionally unique by an
// explicit key, alone or inside the store's current transaction (Enqueue,
// EnqueueTx); and add periodic jobs, including one job a day per item spread
// over the day by a deterministic offset (AddPeriodic, AddDailySpread).
//
// River supplies the queue, retries, unique inserts, leader election (only
// the leader enqueues periodic jobs) and the rescue of jobs whose worker
// died. On top of it the runtime adds a stuck-job detector that flags, but
// never touches, jobs left waiting or running too long and stores an alert
// for each; Prometheus metrics (queue depth, wait and run times, failures,
// rescues, stuck jobs); and an OpenTelemetry span per job.
//
// Callers see River only through this package's types. jobs imports valdrix
// and never store, api, app or cli: the database handles, the store's
// transaction hook and the alert store are injected by app.
package jobs
