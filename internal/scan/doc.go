// Package scan runs the per-connection pipeline: fetch and import the
// connection's billing export, discover its resources, and detect waste. The
// CLI's one-shot `valdrix scan`, the job runtime's scan jobs and the demo all
// run it.
//
// It composes modules (inventory, ingestion, optimization) and imports the
// cloud seam; never store, api, cli or app.
package scan
