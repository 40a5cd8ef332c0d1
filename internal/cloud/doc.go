// Package cloud is the seam between Valdrix and the cloud providers: the
// resource model, per-connection credentials, and small capability interfaces
// (Inventory, CostSource, Metrics) that the adapters in cloud/aws, cloud/azure
// and cloud/gcp implement. Only the adapters import cloud SDKs.
package cloud
