package main

import (
	"io"

	"github.com/podroutes/podroutes/apply/metrics"
	"github.com/podroutes/podroutes/internal/notify"
)

// newMetrics resolves --metrics-file and returns the metrics of apply or
// (watching) watch, logging to stderr. A bad flag is bad usage.
func newMetrics(file string, watching bool, stderr io.Writer) (*metrics.Metrics, error) {
	m, err := metrics.FromFlag(file, metrics.Options{Version: version, Watch: watching, Log: notify.NewLogger(stderr)})
	if err != nil {
		return nil, inputError(err)
	}
	return m, nil
}
