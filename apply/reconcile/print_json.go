package reconcile

import (
	"encoding/json"
	"io"

	"github.com/podroutes/podroutes/apply/tunnel"
)

// WriteJSON prints the report WriteReport prints as JSON Lines (what
// `podroutes check --output json` shows): one object a line, for the same
// routes in the same order, with the same state words. Every key is
// always there:
//
//	{"state":"in place","destination":"10.200.1.0/24","path":"direct","peer":"node-1","note":"",
//	 "want":{"route":"10.200.1.0/24 via 10.240.0.21 proto podroutes metric 100",...},
//	 "kernel":[{"route":"10.200.1.0/24 via 10.240.0.21 dev eth0 proto podroutes metric 100",...}]}
//
// want is null for a stale route; kernel is [] when the kernel has no
// route to the destination. docs/check.md documents the schema.
func (p Plan) WriteJSON(out io.Writer) error {
	return p.printLines(out, func(w io.Writer) func(line) error {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false) // a peer "a&b" stays as written
		return func(l line) error {
			out := jsonLine{State: l.label, Destination: l.kernelOrWant().Dst.String(), Path: Path(l.kernelOrWant()), Peer: l.peer, Note: l.note,
				Kernel: make([]jsonRoute, 0, len(l.kernel))}
			if l.state != Stale {
				out.Want = newJSONRoute(l.want)
			}
			for _, r := range l.kernel {
				out.Kernel = append(out.Kernel, *newJSONRoute(r))
			}
			return enc.Encode(out)
		}
	})
}

// Path is how r reaches its peer: "vxlan" through podroutes' tunnel
// device, else "direct".
func Path(r Route) string {
	if r.Dev == tunnel.Name {
		return "vxlan"
	}
	return "direct"
}

// kernelOrWant is the route that names l's destination.
func (l line) kernelOrWant() Route {
	if l.state == Stale {
		return l.kernel[0]
	}
	return l.want
}

type jsonLine struct {
	State       string      `json:"state"`
	Destination string      `json:"destination"`
	Path        string      `json:"path"`
	Peer        string      `json:"peer"`
	Note        string      `json:"note"`
	Want        *jsonRoute  `json:"want"`
	Kernel      []jsonRoute `json:"kernel"`
}

// jsonRoute is a route's fields, and the route as `ip route` (and the text
// report) prints it, which also says what the fields do not: a type, TOS,
// source or nexthops of another owner's route.
type jsonRoute struct {
	Route       string `json:"route"`
	Destination string `json:"destination"`
	Gateway     string `json:"gateway"` // "" for none
	Device      string `json:"device"`  // "" when the kernel chooses (wanted routes)
	Protocol    uint8  `json:"protocol"`
	Metric      uint32 `json:"metric"`
	OnLink      bool   `json:"onlink"`
}

func newJSONRoute(r Route) *jsonRoute {
	gw := ""
	if r.Gw.IsValid() {
		gw = r.Gw.String()
	}
	return &jsonRoute{Route: r.String(), Destination: r.Dst.String(), Gateway: gw, Device: r.Dev,
		Protocol: uint8(r.Protocol), Metric: r.Metric, OnLink: r.OnLink}
}
