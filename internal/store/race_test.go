//go:build race

package store

// raceEnabled shrinks the long simulations when the race detector, which
// slows the store about twentyfold, is on.
const raceEnabled = true
