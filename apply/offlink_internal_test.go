package apply

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/apply/tunnel"
)

// tunnels is a Tunnels that takes every change.
type tunnels struct{ made int }

func (k *tunnels) Tunnel() (tunnel.Observed, error) { return tunnel.Observed{}, nil }
func (k *tunnels) ChangeTunnel(cs []tunnel.Change) error {
	k.made += len(cs)
	return nil
}

// lineLog keeps the lines logged.
type lineLog struct{ lines []string }

func (l *lineLog) Infof(format string, args ...any) {
	l.lines = append(l.lines, strings.Split(fmt.Sprintf(format, args...), "\n")...)
}
func (l *lineLog) Warnf(format string, args ...any)  { l.Infof(format, args...) }
func (l *lineLog) Errorf(format string, args ...any) { l.Infof(format, args...) }

// TestChangeTunnelLogsTheFirst100: a first apply with 2500 peers through
// the tunnel makes 5000 entries; the log lists the first 100 changes, as
// for the routes' writes, and counts the rest, where it put a line each
// in the journal; a few changes are all listed.
func TestChangeTunnelLogsTheFirst100(t *testing.T) {
	var changes []tunnel.Change
	for i := range 2500 {
		node := netip.AddrFrom4([4]byte{10, 241, byte(i >> 8), byte(i)})
		inner := netip.AddrFrom4([4]byte{10, byte(100 + i/256), byte(i), 0})
		changes = append(changes,
			tunnel.Change{Op: tunnel.AddFDB, FDB: tunnel.FDBEntry{MAC: tunnel.MAC(node), Dst: node}},
			tunnel.Change{Op: tunnel.AddNeighbour, Neighbour: tunnel.Neighbour{Inner: inner, MAC: tunnel.MAC(node)}})
	}
	for _, n := range []int{3, 100, 5000} {
		var k tunnels
		var log lineLog
		if err := changeTunnel(&k, changes[:n], &log); err != nil {
			t.Fatal(err)
		}
		if k.made != n {
			t.Errorf("%d changes: %d made", n, k.made)
		}
		want := min(n, 100)
		if n > 100 {
			want++
		}
		if len(log.lines) != want || log.lines[0] != "tunnel: "+changes[0].String() {
			t.Errorf("%d changes: %d lines logged, want %d, from %q", n, len(log.lines), want, changes[0])
		}
		if last := log.lines[len(log.lines)-1]; n > 100 && last != "tunnel: ... and 4900 more changes (the first 100 are listed)" {
			t.Errorf("%d changes: the last line logged %q", n, last)
		}
	}
}
