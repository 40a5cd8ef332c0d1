// Package reporting answers questions about the ledger: costs grouped and
// filtered by any dimension, and (with reporting/carbon) emissions. It owns
// the query model and its validation; the store runs the cost queries, and
// the footprint streams the ledger through the carbon estimator.
//
// It imports valdrix, ingestion and reporting/carbon; never store, api, cli
// or app.
package reporting
