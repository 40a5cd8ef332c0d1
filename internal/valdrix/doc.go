// Package valdrix is the shared vocabulary of every Valdrix module: identifiers,
// roles and principals, the application error type, exact decimals for money
// and quantities, calendar dates and the clock.
//
// It is a leaf: it imports only the standard library, and nothing in it does I/O.
package valdrix
