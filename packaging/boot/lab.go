package boot

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
)

// Lab is two network namespaces joined by a veth pair named eth0 at both
// ends: Host (where the booted machine lives) and Peer (the gateway).
type Lab struct {
	Host, Peer string
}

var serial atomic.Int32

// prefix names everything this process creates; Sweep parses it back.
func prefix() string { return fmt.Sprintf("prboot-%d-", os.Getpid()) }

// NewLab creates the namespaces and the veth pair, and gives Peer's end
// peerAddr (CIDR) and sets it up. Host's end stays down, without address:
// the caller decides when and how the host's uplink comes up.
func NewLab(ctx context.Context, peerAddr string) (*Lab, error) {
	n := serial.Add(1)
	l := &Lab{
		Host: fmt.Sprintf("%s%d-host", prefix(), n),
		Peer: fmt.Sprintf("%s%d-peer", prefix(), n),
	}
	steps := [][]string{
		{"netns", "add", l.Host},
		{"netns", "add", l.Peer},
		{"-n", l.Host, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", l.Peer},
		{"-n", l.Peer, "addr", "add", peerAddr, "dev", "eth0"},
		{"-n", l.Peer, "link", "set", "eth0", "up"},
		{"-n", l.Host, "link", "set", "lo", "up"},
		{"-n", l.Peer, "link", "set", "lo", "up"},
	}
	for _, s := range steps {
		if _, err := run(ctx, "ip", s...); err != nil {
			l.Close()
			return nil, fmt.Errorf("creating lab: %w", err)
		}
	}
	return l, nil
}

// IP runs `ip -n Host ARGS...` and returns its output.
func (l *Lab) IP(ctx context.Context, args ...string) (string, error) {
	return run(ctx, "ip", append([]string{"-n", l.Host}, args...)...)
}

// Routes returns Host's IPv4 routes with rtnetlink protocol proto, one line
// each, trimmed.
func (l *Lab) Routes(ctx context.Context, proto int) ([]string, error) {
	out, err := l.IP(ctx, "-4", "route", "show", "proto", strconv.Itoa(proto))
	return lines(out), err
}

// Close deletes both namespaces (and so the veth pair).
func (l *Lab) Close() {
	for _, ns := range []string{l.Host, l.Peer} {
		if _, err := os.Stat("/run/netns/" + ns); err == nil {
			run(context.Background(), "ip", "netns", "del", ns) //nolint:errcheck // best effort
		}
	}
}

// nhid matches the nexthop object id `ip route` shows for a route that uses
// one (podroutes' own); networkd's routes carry their gateway inline. Either
// is the same route to the tests, which compare destination, gateway and
// metric.
var nhid = regexp.MustCompile(`\bnhid [0-9]+ `)

// lines splits `ip` output into trimmed lines, without nexthop ids.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(nhid.ReplaceAllString(l, "")); l != "" {
			out = append(out, l)
		}
	}
	return out
}
