// Package inventory manages a tenant's cloud connections (their settings,
// encrypted credentials, the server-generated AWS ExternalId, onboarding
// templates and permission tests) and discovers their resources into the
// inventory, with one recorded scan per discovery: per-region and
// per-service status, partial results kept, resources that disappear marked
// gone.
//
// It uses the cloud adapters through the cloud seam and governance for
// secrets and the audit log; it never imports store, api, cli or app.
package inventory
