// Package edge is the edge server: it answers viewers from its cache and
// fetches what it lacks from the origin.
//
// A configuration snapshot is compiled into an immutable routing Table
// (host → distribution → ordered behaviours, each with its stage chain
// already built) and swapped in with one atomic store; requests never wait
// for a compile. pipeline.go lists the stages in the order a request meets
// them.
package edge
