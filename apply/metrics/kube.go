package metrics

import "github.com/prometheus/client_golang/prometheus"

// kubeMetrics are the metrics of `watch --kubeconfig` (and apply's):
// registered by the first call of Nodes or Answering, so that only a
// process whose routes come from the Nodes has them.
type kubeMetrics struct {
	nodes *prometheus.GaugeVec
	up    prometheus.Gauge
}

func (m *Metrics) kube() *kubeMetrics {
	m.kubeOnce.Do(func() {
		m.k = &kubeMetrics{
			nodes: gaugeVec("podroutes_kubernetes_nodes", "state", "The Nodes of the last list: routed, or not_routed (a problem each, logged: overlapping podCIDR, malformed or missing InternalIP, no podCIDR yet). A routed Node's route that this host's links make wrong is podroutes_routes{state=\"left_out\"}."),
			up:    gauge("podroutes_kubernetes_api_up", "1 while the Kubernetes API server answers podroutes' list and watch of Nodes, 0 while it fails (unreachable, frozen: a probe unanswered for 10 s, credentials rejected, no rights): the routes then stay as they are."),
		}
		m.reg.MustRegister(m.k.nodes, m.k.up)
	})
	return m.k
}

// Nodes records how many Nodes the last list routes and how many it does
// not, and writes the textfile. It may be called from any goroutine.
func (m *Metrics) Nodes(routed, notRouted int) {
	k := m.kube()
	k.nodes.WithLabelValues("routed").Set(float64(routed))
	k.nodes.WithLabelValues("not_routed").Set(float64(notRouted))
	m.export()
}

// Answering records whether the API server answers, and writes the
// textfile. It may be called from any goroutine.
func (m *Metrics) Answering(up bool) {
	v := 0.0
	if up {
		v = 1
	}
	m.kube().up.Set(v)
	m.export()
}
