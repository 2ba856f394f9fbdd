//go:build !linux

package edge

import "net"

// eventLoop exists on Linux only (eventloop_linux.go); elsewhere every
// fast-path connection has a goroutine.
type eventLoop struct{}

// startLoops starts none: fs.loops stays nil, and accept gives every
// connection a goroutine, as documented for every OS but Linux (no warning
// at each start for what the flag's default asks).
func (fs *fastServer) startLoops(int) error { return nil }

func (fs *fastServer) toLoop(net.Conn) bool { return false }

func (l *eventLoop) wakeUp() {}
