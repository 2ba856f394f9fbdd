package listen

import (
	"net"
	"testing"
)

func TestTCPAndUDPSamePort(t *testing.T) {
	l, pc, err := TCPAndUDP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	defer pc.Close()
	tp := l.Addr().(*net.TCPAddr).Port
	up := pc.LocalAddr().(*net.UDPAddr).Port
	if tp != up || tp == 0 {
		t.Fatalf("tcp port %d, udp port %d: want one port", tp, up)
	}
}

func TestTCPAndUDPTakenPort(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if l, pc2, err := TCPAndUDP(pc.LocalAddr().String()); err == nil {
		l.Close()
		pc2.Close()
		t.Fatal("a port taken over UDP was bound")
	}
	if _, _, err := TCPAndUDP("not an address"); err == nil {
		t.Fatal("a bad address was accepted")
	}
}
