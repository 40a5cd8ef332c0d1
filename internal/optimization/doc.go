// Package optimization detects waste: the Engine runs the rules of
// optimization/zombie over one connection's inventory, its ledger rows over
// a window and (for metric rules) monitoring metrics under a budget, and
// returns findings with their billed monthly cost, monthly savings, CO2e per
// month and evidence, plus the resources a rule could not decide. It holds
// no state between runs; the findings ledger (persistence, lifecycle) is
// built on its result types.
//
// It imports optimization/zombie, reporting/carbon, ingestion, cloud and
// valdrix; never store, api or app.
package optimization
