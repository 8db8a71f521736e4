package source

import (
	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/networkd"
)

// Drift is each way a podroutes drop-in in systemd-networkd's directories
// disagrees with cfg, s's config (networkd.FindDrift), as check and each
// (re)load of apply and watch look: none for the Nodes of the API, which
// have no drop-in.
func (s *Source) Drift(cfg config.Config) []string {
	if s.PerNode() {
		return nil
	}
	return networkd.FindDrift(cfg)
}
