// Package control is the control plane: it validates configuration, keeps
// it in the engine (bus), and serves the management API.
package control
