// Package cloudtest holds test doubles for the cloud seam: Fake, an in-memory
// implementation of every capability with function fields for failure
// injection, and Exercise, the contract suite every adapter runs (against the
// cloud simulator) so that all providers behave alike.
//
// It imports cloud, valdrix and test libraries only; never an SDK.
package cloudtest
