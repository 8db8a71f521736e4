package main

import (
	"fmt"
	"io"

	"github.com/podroutes/podroutes/apply/metrics"
	"github.com/podroutes/podroutes/internal/notify"
)

// newMetrics resolves --metrics-file and returns the metrics of apply or
// (watching) watch, logging to stderr. A bad flag is bad usage.
func newMetrics(file string, watching bool, stderr io.Writer) (*metrics.Metrics, error) {
	log := notify.NewLogger(stderr)
	path, err := metrics.Path(file, log)
	if err != nil {
		return nil, inputError(err)
	}
	return metrics.New(metrics.Options{Version: version, Watch: watching, File: path, Guarded: file == metrics.Auto, Log: log}), nil
}

// checkAddress refuses a --metrics-address that is not HOST:PORT.
func checkAddress(addr string) error {
	if err := metrics.CheckAddress(addr); err != nil {
		return inputError(fmt.Errorf("--metrics-address %q: want HOST:PORT (127.0.0.1:9157, [::1]:9157, :9157 for every address): %w", addr, err))
	}
	return nil
}
