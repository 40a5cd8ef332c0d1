// Package azure is the Azure adapter of the cloud seam: inventory through
// Azure Resource Graph, Azure Monitor metrics, the connection tester, and
// the Cost Management export reader (Blob storage), all signed in as the
// connection's own app registration (client secret or workload identity
// federation) and never with ambient credentials.
//
// It is one of the only packages that import the Azure SDK for Go. It
// imports cloud and valdrix; never the store, api, app or another module.
package azure
