//go:build !linux

package edge

import (
	"errors"
	"net"
)

// eventLoop exists on Linux only (eventloop_linux.go); elsewhere every
// fast-path connection has a goroutine.
type eventLoop struct{}

func (fs *fastServer) startLoops(int) error {
	return errors.New("edge: event loops need Linux")
}

func (fs *fastServer) toLoop(net.Conn) bool { return false }

func (l *eventLoop) wakeUp() {}
