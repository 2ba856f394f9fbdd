// Package listen binds one port number over both TCP and UDP, as HTTPS
// with HTTP/3 and DNS need.
package listen

import (
	"fmt"
	"net"
	"strconv"
)

// attempts bounds the retries when port 0 lets the kernel pick a TCP port
// that is taken over UDP.
const attempts = 20

// TCPAndUDP listens on addr over TCP and over UDP on the same port. With
// port 0 the kernel picks the TCP port; when that port is taken over UDP
// another is tried.
func TCPAndUDP(addr string) (net.Listener, net.PacketConn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", addr, err)
	}
	for range attempts {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("%s (tcp): %w", addr, err)
		}
		p := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
		pc, err := net.ListenPacket("udp", net.JoinHostPort(host, p))
		if err == nil {
			return l, pc, nil
		}
		l.Close()
		if port != "0" {
			return nil, nil, fmt.Errorf("%s (udp): %w", addr, err)
		}
	}
	return nil, nil, fmt.Errorf("%s: no port free over both TCP and UDP", addr)
}
