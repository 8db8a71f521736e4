package kube

import (
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/podroutes/podroutes/internal/diag"
	"github.com/podroutes/podroutes/internal/infile"
)

// MaxKubeconfig bounds the kubeconfig read: a kubelet's, with its
// certificates inline, is a few KB.
const MaxKubeconfig = 1 << 20

// LoadKubeconfig reads the kubeconfig at path as routes.yaml is read
// (infile: a regular file, bounded, and with trusted, which root sets,
// only one no other user could have written: its server and credentials
// decide which routes root installs), before client-go sees it, and
// returns the client configuration of its current context. Relative paths
// in it (certificate files) are relative to its directory, as kubectl
// reads them. A file it refuses or cannot make sense of is a
// *diag.Error naming path.
func LoadKubeconfig(path string, trusted bool) (*rest.Config, error) {
	data, err := infile.Read(path, infile.Options{What: "kubeconfig", Max: MaxKubeconfig, Trusted: trusted})
	if err != nil {
		return nil, err
	}
	bad := func(err error) error {
		l := diag.List{File: path}
		l.Addf(0, "%v", err)
		return l.Err()
	}
	kc, err := clientcmd.Load(data)
	if err != nil {
		return nil, bad(err)
	}
	for _, c := range kc.Clusters {
		c.LocationOfOrigin = path
	}
	for _, a := range kc.AuthInfos {
		a.LocationOfOrigin = path
	}
	if kc.CurrentContext == "" {
		return nil, bad(fmt.Errorf("no current-context: podroutes uses the current context's cluster and user"))
	}
	if err := clientcmd.ResolveLocalPaths(kc); err != nil {
		return nil, bad(fmt.Errorf("resolving its paths: %w", err))
	}
	// Validate names what is missing; ClientConfig only says that nothing
	// usable was found.
	if err := clientcmd.Validate(*kc); err != nil {
		return nil, bad(err)
	}
	cfg, err := clientcmd.NewDefaultClientConfig(*kc, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, bad(err)
	}
	return cfg, nil
}
