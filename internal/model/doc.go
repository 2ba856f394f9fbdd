// Package model holds Pharos's configuration types (distributions, origins,
// cache behaviours, policies), their defaults and their validation. It is
// pure: no I/O, and it imports nothing else of Pharos's.
package model
