// Package ingestion turns cloud billing exports (AWS CUR 2.0 and legacy CUR,
// Azure Cost Management exports, GCP billing export, FOCUS files) into the
// ledger: one FOCUS 1.2-shaped row per charge day and natural key, with exact
// decimal costs. It reads streams with bounded memory, rolls hourly lines up
// to days, and swaps billing periods into the store atomically.
//
// It imports valdrix, cloud and standard or format libraries; never store,
// api or app.
package ingestion
