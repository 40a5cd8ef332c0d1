// Package zombie holds the waste ("zombie") rules: one file per rule, each a
// Rule value that decides, for one resource of a connection, whether it is
// waste (with the monthly savings of its remediation), not waste, or unknown
// for lack of data. Rules read three kinds of evidence through a Subject: the
// resource's inventory record (cloud.Resource), its ledger rows over the
// detection window (aggregated per line into a Usage), and monitoring metric
// windows that the engine fetched for the queries the rule asked for.
//
// Rules prefer billing evidence ("infer, don't query"); metric rules answer
// Unknown, never waste, when data is missing, throttled, denied or over
// budget. Rules is the registry: a plain list built by a function. Adding a
// rule is one file, one fixture in testdata/ and one line in Rules (see
// docs/checklists/add-a-rule.md).
//
// The package also holds the data structures the detection engine
// (internal/optimization) fills: Scope (a connection's inventory, relation
// indexes and per-resource ledger summaries) and Ledger (the compact,
// streaming aggregation of ledger rows). It imports valdrix, cloud,
// ingestion and reporting/carbon; never optimization, store, api or app.
package zombie
