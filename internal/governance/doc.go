// Package governance owns tenants, users and their memberships, API keys,
// sessions and invitations, the hash-chained audit log and encrypted tenant
// secrets: who may do what in which tenant, and the record of what was done.
//
// It declares the Store it needs and never imports store, api, cli or app.
package governance
