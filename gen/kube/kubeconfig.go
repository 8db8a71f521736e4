package kube

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

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
// reads them. With trusted, the files and the credential program its
// current context names are held to the kubeconfig's own rule: each
// decides, as much as the kubeconfig does, what root trusts or runs. A
// file it refuses or cannot make sense of is a *diag.Error naming path.
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
	if trusted {
		if err := trustNamed(path, kc); err != nil {
			return nil, err
		}
	}
	cfg, err := clientcmd.NewDefaultClientConfig(*kc, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, bad(err)
	}
	return cfg, nil
}

// trustNamed refuses, as a *diag.Error naming path, each file the current
// context of kc (its paths resolved) names that root could not trust
// (infile.Untrusted), by its field: the CA, the client certificate and
// key, the token file, and the exec credential plugin, found on $PATH as
// client-go runs it. (No auth-provider plugin is linked in, so client-go
// refuses an auth-provider user before it reads any of its files.)
func trustNamed(path string, kc *clientcmdapi.Config) error {
	type ref struct{ field, file string }
	var refs []ref
	ctx := kc.Contexts[kc.CurrentContext] // Validate found it
	if c := kc.Clusters[ctx.Cluster]; c != nil {
		refs = append(refs, ref{fmt.Sprintf("clusters[%s].cluster.certificate-authority", ctx.Cluster), c.CertificateAuthority})
	}
	l := diag.List{File: path}
	if u := kc.AuthInfos[ctx.AuthInfo]; u != nil {
		user := fmt.Sprintf("users[%s].user.", ctx.AuthInfo)
		refs = append(refs, ref{user + "client-certificate", u.ClientCertificate}, ref{user + "client-key", u.ClientKey},
			ref{user + "tokenFile", u.TokenFile})
		if u.Exec != nil && u.Exec.Command != "" {
			cmd, err := u.Exec.Command, error(nil)
			if !strings.ContainsRune(cmd, filepath.Separator) {
				cmd, err = exec.LookPath(cmd)
			}
			if err != nil {
				l.Addf(0, "refusing %sexec.command: %v", user, err)
			} else {
				refs = append(refs, ref{user + "exec.command", cmd})
			}
		}
	}
	for _, r := range refs {
		if r.file == "" {
			continue
		}
		why, err := infile.Untrusted(r.file)
		if err != nil {
			why = err.Error()
		}
		if why != "" {
			l.Addf(0, "refusing %s %s: %s", r.field, r.file, why)
		}
	}
	return l.Err()
}
