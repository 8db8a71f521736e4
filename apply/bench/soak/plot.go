package main

import (
	"bytes"
	"fmt"
	"time"
)

// plot is an SVG of the watchers' mean RSS (above) and each burst's
// convergence time (below) over the run, drawn by hand: two panels sharing
// the time axis.
func (r *result) plot() []byte {
	const w, h, left, right, top, panel, gap = 900.0, 520.0, 70.0, 20.0, 30.0, 200.0, 60.0
	end := r.elapsed
	if n := len(r.samples); n > 0 && r.samples[n-1].at > end {
		end = r.samples[n-1].at
	}
	if end <= 0 {
		end = time.Second
	}
	x := func(t time.Duration) float64 { return left + (w-left-right)*float64(t)/float64(end) }
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12">`+"\n", w, h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="18" font-size="14">podroutes soak, seed %d: %d faults, %d divergences</text>`+"\n", left, r.seed, r.faults, r.divergences)
	axes := func(y0 float64, label string, maxv float64) func(float64) float64 {
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" fill="none" stroke="#888"/>`+"\n", left, y0, w-left-right, panel)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="end">%.4g</text>`+"\n", left-4, y0+10, maxv)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="end">0</text>`+"\n", left-4, y0+panel)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f">%s</text>`+"\n", left+4, y0+14, label)
		return func(v float64) float64 { return y0 + panel - panel*v/maxv }
	}
	maxRSS := 1.0
	for _, s := range r.samples {
		maxRSS = max(maxRSS, s.rssMB*1.1)
	}
	y := axes(top, "RSS per watcher, mean (MB)", maxRSS)
	if len(r.samples) > 0 {
		b.WriteString(`<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="`)
		for _, s := range r.samples {
			fmt.Fprintf(&b, "%.1f,%.1f ", x(s.at), y(s.rssMB))
		}
		b.WriteString("\"/>\n")
	}
	maxMS := 100.0
	for _, c := range r.converge {
		maxMS = max(maxMS, float64(c.took)/1e6*1.1)
	}
	y = axes(top+panel+gap, "convergence after a burst of faults (ms)", maxMS)
	for _, c := range r.converge {
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="#d62728"/>`+"\n", x(c.at), y(float64(c.took)/1e6))
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="middle">time (s), 0 to %.0f</text>`+"\n", (left+w-right)/2, top+2*panel+gap+20, end.Seconds())
	b.WriteString("</svg>\n")
	return b.Bytes()
}
