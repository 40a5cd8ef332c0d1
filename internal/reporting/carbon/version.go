package carbon

// CoefficientsVersion names the coefficient tables and the method revision
// an Estimate was computed with: "ccf-<YYYY.MM of the CCF table snapshot>-m<n>".
// Store it with every figure; recomputing a figure needs the same version.
//
// Bump the snapshot part whenever a file under data/ changes (the test
// TestCoefficientsVersionPinsData fails until dataDigest and this constant are
// updated together) and the method part whenever the arithmetic or the
// classification code changes results.
const CoefficientsVersion = "ccf-2026.11-m1"

// dataDigest is the SHA-256 over the embedded data files (sorted by name,
// each as "name\x00content\x00"), pinned by a test so that the tables cannot
// change without a new CoefficientsVersion.
const dataDigest = "2310ee19c1652c8f53d1acc4e5c5f6082f17467587ce8923fa05f059019cb9a6"
