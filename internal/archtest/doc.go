// Package archtest holds tests of the code base's shape: the import graph
// between Valdrix's packages, where cloud SDKs may be imported, and that
// every package is documented. It has no non-test code and nothing imports it.
package archtest
