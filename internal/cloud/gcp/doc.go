// Package gcp is the Google Cloud adapter of the cloud seam: inventory
// through Cloud Asset Inventory (falling back to the Compute Engine and
// Cloud SQL Admin list calls), Cloud Monitoring metrics, the connection
// tester, and the billing export reader (BigQuery), all with credentials
// built only from the connection's service account key or workload
// identity federation configuration, never Application Default
// Credentials.
//
// It is one of the only packages that import Google Cloud client
// libraries. It imports cloud, ingestion (the billing record it fills) and
// valdrix; never the store, api, app or another module.
package gcp
