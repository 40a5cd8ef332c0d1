// Package cloudsim is the cloud simulator: a generated, seeded estate of AWS
// accounts, Azure subscriptions and GCP projects with their resources, a known
// share of each kind of waste from the rule catalogue (and the ground truth
// saying which resource shows which), metric series, billing lines, and HTTP
// servers on loopback that speak the real wire protocols of the cloud APIs
// Valdrix calls, with fault injection at run time. The real SDKs reach it by
// endpoint override; tests, `valdrix demo` and the scale benchmarks use it.
//
// It imports valdrix, cloud and standard or format libraries (smithy-go's CBOR
// encoder, gofakes3 for S3 objects); never a cloud SDK client, the store or
// any module.
package cloudsim
