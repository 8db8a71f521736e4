package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unsafe"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/podroutes/podroutes/gen/inventory"
	"github.com/podroutes/podroutes/internal/k8stest"
	"github.com/podroutes/podroutes/internal/logtest"
)

// TestSlim: a kubelet's Node loses everything but what podroutes reads,
// and says the same to it and to the store.
func TestSlim(t *testing.T) {
	full := k8stest.KubeletNode(k8stest.Fleet(8)[7], 7)
	full.CreationTimestamp = metav1.NewTime(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	full.ResourceVersion, full.UID = "42", "u-7"
	s := slim(full)
	if got := nodeOf(s); got.Name != "node-7" || !got.Created.Equal(full.CreationTimestamp.Time) ||
		len(got.PodCIDRs) != 1 || got.PodCIDRs[0] != "10.200.7.0/24" || got.PodCIDR != "10.200.7.0/24" ||
		len(got.Addresses) != 2 || got.Addresses[0] != (inventory.NodeAddress{Type: "InternalIP", Address: "10.240.0.27"}) {
		t.Fatalf("slim Node reads as %+v", got)
	}
	m, err := meta.Accessor(s)
	if err != nil || m.GetName() != "node-7" || m.GetResourceVersion() != "42" || !m.GetCreationTimestamp().Time.Equal(full.CreationTimestamp.Time) {
		t.Fatalf("the store reads %v (%v), want node-7, version 42", m, err)
	}
	if key, err := cache.MetaNamespaceKeyFunc(s); key != "node-7" || err != nil {
		t.Errorf("the store keys it %q (%v), want node-7", key, err)
	}
	fullJSON, _ := json.Marshal(full)
	t.Logf("a kubelet's Node: %d bytes of JSON, a corev1.Node %d+ bytes in memory; slim, %d+ bytes",
		len(fullJSON), unsafe.Sizeof(*full), unsafe.Sizeof(*s))
	if size := unsafe.Sizeof(*s); size > 128 {
		t.Errorf("a slim Node is %d bytes, want 128 at most", size)
	}
	for _, a := range s.addresses {
		if c := string(a.Type); unsafe.StringData(c) != unsafe.StringData(string(corev1.NodeInternalIP)) && unsafe.StringData(c) != unsafe.StringData(string(corev1.NodeHostName)) {
			t.Errorf("address type %q is a copy, not the constant", c)
		}
	}
	if again, _ := transform(full); !sameNode(again, s) {
		t.Errorf("transform slims otherwise: %+v", again)
	}
	for _, other := range []any{s, "not a Node"} {
		if got, _ := transform(other); got != other {
			t.Errorf("transform changed %v", other)
		}
	}
	if c := s.DeepCopyObject().(*node); !sameNode(c, s) || &c.addresses[0] == &s.addresses[0] {
		t.Errorf("a deep copy is %+v, or shares its addresses", c)
	}
	moved := slim(full)
	moved.addresses[0].Address = "10.240.0.99"
	if sameNode(s, moved) {
		t.Error("sameNode misses a new InternalIP")
	}
}

// TestSource follows the Nodes of a real API server: the first snapshot,
// then one after each change, each measured; a burst is one snapshot; a
// status change podroutes does not read is none; a Node's problem is
// logged once; the API server killed and started again.
func TestSource(t *testing.T) {
	c := controlPlane(t)
	fleet := k8stest.Fleet(4)
	for _, n := range fleet[:3] {
		c.CreateNode(t, n)
	}
	c.CreateNode(t, k8stest.Node{Name: "joining", InternalIPs: []netip.Addr{netip.MustParseAddr("10.240.1.1")}})
	r := run(t, c, c.Tokens.Podroutes)

	first := r.next(t, 30*time.Second)
	three := "joining [10.240.1.1] []\n" +
		"node-0 [10.240.0.20] [10.200.0.0/24]\nnode-1 [10.240.0.21] [10.200.1.0/24]\nnode-2 [10.240.0.22] [10.200.2.0/24]\n"
	if got := hosts(first); got != three || first.Nodes != 4 || first.Resync {
		t.Fatalf("first snapshot (%d Nodes, resync %v):\n%swant:\n%s", first.Nodes, first.Resync, got, three)
	}
	if r.log.Count(`node "joining": no podCIDR yet (not routed)`) != 1 {
		t.Errorf("the Node without a podCIDR is not reported once:\n%s", r.log)
	}

	start := time.Now()
	c.CreateNode(t, fleet[3])
	four := three + "node-3 [10.240.0.23] [10.200.3.0/24]\n"
	t.Logf("a Node joins: a snapshot after %s", r.until(t, start, four).Round(time.Millisecond))

	start = time.Now()
	c.SetNodeAddresses(t, "node-1", netip.MustParseAddr("10.240.0.31"))
	moved := strings.Replace(four, "node-1 [10.240.0.21]", "node-1 [10.240.0.31]", 1)
	t.Logf("a Node re-addressed: a snapshot after %s", r.until(t, start, moved).Round(time.Millisecond))

	start = time.Now()
	c.DeleteNode(t, "node-3")
	left := strings.Replace(moved, "node-3 [10.240.0.23] [10.200.3.0/24]\n", "", 1)
	t.Logf("a Node leaves: a snapshot after %s", r.until(t, start, left).Round(time.Millisecond))

	t.Run("a status heartbeat is no change", func(t *testing.T) {
		patch := `{"status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady","lastHeartbeatTime":"` +
			time.Now().UTC().Format(time.RFC3339) + `"}]}}`
		if _, err := c.Admin().CoreV1().Nodes().Patch(context.Background(), "node-0", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}, "status"); err != nil {
			t.Fatal(err)
		}
		r.quiet(t, time.Second, "after a heartbeat")
	})

	t.Run("a burst is one snapshot", func(t *testing.T) {
		burst := k8stest.Fleet(60)[40:] // addresses and subnets of their own
		start := time.Now()
		c.CreateNodes(t, burst)
		created := time.Since(start)
		snaps := 1
		for snap := r.next(t, 5*time.Second); len(snap.Inventory.Hosts) < 3+1+len(burst); snap = r.next(t, 5*time.Second) {
			snaps++
		}
		r.quiet(t, 500*time.Millisecond, "after the burst")
		t.Logf("%d Nodes created in %s: %d snapshots", len(burst), created.Round(time.Millisecond), snaps)
		if max := 1 + int(created/DefaultDebounce); snaps > max {
			t.Errorf("%d snapshots for a burst of %s, want %d at most", snaps, created.Round(time.Millisecond), max)
		}
		for _, n := range burst {
			c.DeleteNode(t, n.Name)
		}
		for len(r.next(t, 5*time.Second).Inventory.Hosts) > 4 {
		}
	})

	t.Run("an overlapping Node is refused and reported once", func(t *testing.T) {
		// Named to sort after node-1: second to it whatever the clock.
		clash := k8stest.Node{Name: "node-8", InternalIPs: []netip.Addr{netip.MustParseAddr("10.240.0.40")},
			PodCIDRs: []netip.Prefix{netip.MustParsePrefix("10.200.1.0/24")}}
		c.CreateNode(t, clash)
		snap := r.next(t, 5*time.Second)
		if want := left + "node-8 [10.240.0.40] []\n"; hosts(snap) != want {
			t.Fatalf("with an overlapping Node:\n%swant:\n%s", hosts(snap), want)
		}
		const msg = `node "node-8": duplicate subnet 10.200.1.0/24 (also Node "node-1", created first) (not routed)`
		c.CreateNode(t, fleet[3]) // another change: clash is not reported again
		r.next(t, 5*time.Second)
		if n := r.log.Count(msg); n != 1 {
			t.Errorf("the overlap is logged %d times, want once:\n%s", n, r.log)
		}
		c.DeleteNode(t, "node-8")
		c.DeleteNode(t, "node-3")
		r.next(t, 5*time.Second)
	})

	t.Run("the API server killed and started again", func(t *testing.T) {
		c.StopAPI(t)
		r.log.Wait(t, "is unreachable", 30*time.Second)
		r.quiet(t, 2*time.Second, "while the API server is down")
		if n := r.log.Count("is unreachable"); n != 1 {
			t.Errorf("the outage is logged %d times, want once:\n%s", n, r.log)
		}
		c.StartAPI(t)
		began := time.Now()
		snap := r.next(t, ProbeEvery+5*time.Second)
		t.Logf("a resync snapshot %s after the API server is ready again", time.Since(began).Round(time.Millisecond))
		if !snap.Resync || r.log.Count("answers again") != 1 {
			t.Errorf("after the restart: resync %v; the log:\n%s", snap.Resync, r.log)
		}
		start := time.Now()
		c.CreateNode(t, k8stest.Node{Name: "after", InternalIPs: []netip.Addr{netip.MustParseAddr("10.240.0.90")},
			PodCIDRs: []netip.Prefix{netip.MustParsePrefix("10.200.90.0/24")}})
		for !strings.Contains(hosts(r.next(t, 5*time.Second)), "after [10.240.0.90] [10.200.90.0/24]") {
		}
		t.Logf("a Node created after the restart: in a snapshot after %s; the log:\n%s", time.Since(start).Round(time.Millisecond), r.log)
	})

	t.Run("restarted again and again", func(t *testing.T) {
		// Each restart cuts the watch, and client-go's reflector waits
		// out its backoff before it lists again: 0.8 s doubling, with a
		// jitter of up to as much again, reset only after two minutes
		// without one. The heartbeat ends it when the API server
		// answers: every restart is followed within ProbeEvery of the
		// API server being ready, where the backoff alone grew past it.
		const within = ProbeEvery + 5*time.Second
		for i := range 6 {
			c.StopAPI(t)
			c.StartAPI(t)
			start := time.Now()
			name := fmt.Sprintf("again-%d", i)
			c.CreateNode(t, k8stest.Node{Name: name, InternalIPs: []netip.Addr{netip.AddrFrom4([4]byte{10, 240, 0, byte(100 + i)})},
				PodCIDRs: []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 200, byte(100 + i), 0}), 24)}})
			for !strings.Contains(hosts(r.next(t, within)), name) {
			}
			t.Logf("restart %d: a Node created after it in a snapshot after %s", i+1, time.Since(start).Round(time.Millisecond))
		}
		// A restarted API server refuses for a moment, until its
		// authorizer is ready: not the kubeconfig's user's fault.
		if n := r.log.Count("bind it to a ClusterRole"); n != 0 {
			t.Errorf("a restart's refusal was taken for the user's rights %d times:\n%s", n, r.log)
		}
	})

	t.Run("the store holds slim Nodes", func(t *testing.T) {
		s, err := New(c.RESTConfig(c.Tokens.Podroutes), Options{Log: &logtest.Lines{}, PageSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		snap, err := s.List(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		objs := s.store.List()
		if len(objs) != snap.Nodes || snap.Nodes < 4 {
			t.Fatalf("%d objects in the store, %d Nodes listed", len(objs), snap.Nodes)
		}
		for _, o := range objs {
			if _, ok := o.(*node); !ok {
				t.Fatalf("the store holds %T %+v, not a slim Node", o, o)
			}
		}
	})
}

// TestList lists once: with rights, a snapshot; without, or with a token
// the API server does not know, an error that says so at once.
func TestList(t *testing.T) {
	c := controlPlane(t)
	c.CreateNode(t, k8stest.Fleet(1)[0])
	log := &logtest.Lines{}
	list := func(token string) (Snapshot, time.Duration, error) {
		s, err := New(c.RESTConfig(token), Options{Log: log})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		start := time.Now()
		snap, err := s.List(ctx)
		return snap, time.Since(start), err
	}
	if snap, _, err := list(c.Tokens.Podroutes); err != nil || hosts(snap) != "node-0 [10.240.0.20] [10.200.0.0/24]\n" {
		t.Errorf("List: %v\n%s", err, hosts(snap))
	}
	for token, want := range map[string]string{
		c.Tokens.Nobody: `may not list and watch Nodes at https://10.240.0.10:6443: nodes is forbidden: User "nobody" cannot list resource "nodes"`,
		"not-a-token":   "rejects the kubeconfig's credentials: Unauthorized",
	} {
		_, took, err := list(token)
		if err == nil || !strings.HasPrefix(err.Error(), "listing the Nodes: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("List: %v, want %q", err, want)
		}
		// It gives up at once: no line may say it retries.
		if log.Count("asking it again") != 0 {
			t.Errorf("List logged a retry it does not make:\n%s", log)
		}
		if took > 5*time.Second {
			t.Errorf("List took %s to fail with %v", took, err)
		}
	}
}

// TestNodeOf: a snapshot reads each slim Node as it is kept, allocating
// nothing per Node.
func TestNodeOf(t *testing.T) {
	s := slim(k8stest.KubeletNode(k8stest.Fleet(2)[1], 1))
	if n := testing.AllocsPerRun(100, func() { _ = nodeOf(s) }); n != 0 {
		t.Errorf("nodeOf allocates %v times a Node", n)
	}
	if got := nodeOf(s); len(got.Addresses) != 2 || got.Addresses[1] != (inventory.NodeAddress{Type: "Hostname", Address: "node-1"}) {
		t.Errorf("nodeOf reads the addresses as %+v", got.Addresses)
	}
}
