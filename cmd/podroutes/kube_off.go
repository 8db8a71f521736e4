//go:build nokube

package main

import (
	"os"

	"github.com/urfave/cli/v2"

	"github.com/podroutes/podroutes/internal/kubeexec"
)

// kubeExec makes c, given --kubeconfig, become podroutes-kube (the build
// with the Kubernetes source, kubeexec.Exec) as soon as its flags are
// read, before it takes a lock or does anything: this build has none.
func kubeExec(c *cli.Command) {
	c.Before = func(ctx *cli.Context) error {
		if !ctx.IsSet("kubeconfig") {
			return nil
		}
		return inputError(kubeexec.Exec(os.Args))
	}
}
