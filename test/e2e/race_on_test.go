//go:build race

package e2e

// raceEnabled: the tests run with -race, so the binaries under test are
// built with it too and a data race they report fails the test.
const raceEnabled = true
