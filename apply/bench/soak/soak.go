package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/podroutes/podroutes/internal/k8stest"
	"github.com/podroutes/podroutes/internal/logtest"
)

// sample is the watchers' resources at one moment, means over the hosts.
type sample struct {
	at         time.Duration
	rssMB      float64
	fds        float64
	threads    float64
	goroutines float64       // of the watchers whose metrics answered
	cpu        time.Duration // all watchers' CPU since the start
}

// convergence is how long after a burst's last fault every host's table was
// right again.
type convergence struct {
	at   time.Duration
	took time.Duration
}

type result struct {
	seed        uint64
	divergences int
	faults      int
	kinds       map[string]int
	converge    []convergence
	samples     []sample
	elapsed     time.Duration
	// conflicted counts the hosts' checks passed with another owner's
	// route at a wanted destination.
	conflicted int64
	labs       []*lab // for the summary's faults per lab
}

func (r *result) line() string {
	var p99, maxc float64
	if n := len(r.converge); n > 0 {
		ms := make([]float64, n)
		for i, c := range r.converge {
			ms[i] = float64(c.took) / float64(time.Millisecond)
		}
		slices.Sort(ms)
		p99 = ms[int(math.Ceil(0.99*float64(n)))-1]
		maxc = ms[n-1]
	}
	rss1, rss2 := r.tenths(func(s sample) float64 { return s.rssMB })
	fd1, fd2 := r.tenths(func(s sample) float64 { return s.fds })
	return fmt.Sprintf("soak: %d divergences, %d faults of %d kinds, converge p99 %.0f ms max %.0f ms, rss first %.1f MB last %.1f MB, fds first %.1f last %.1f",
		r.divergences, r.faults, len(r.kinds), p99, maxc, rss1, rss2, fd1, fd2)
}

// tenths is the mean of f over the samples of the run's first tenth and
// over those of its last.
func (r *result) tenths(f func(sample) float64) (first, last float64) {
	if len(r.samples) == 0 {
		return 0, 0
	}
	end := r.samples[len(r.samples)-1].at
	var a, b []float64
	for _, s := range r.samples {
		if s.at <= end/10 {
			a = append(a, f(s))
		}
		if s.at >= end-end/10 {
			b = append(b, f(s))
		}
	}
	return mean(a), mean(b)
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// flatMin is the shortest run whose resources are judged flat or not: in a
// shorter one, the first tenth is the watchers' warm-up (the Go heap
// growing to its working size), not a level to hold.
const flatMin = 5 * time.Minute

// run builds a lab for each source, injects faults in all of them at once
// for o.duration and checks each after every burst; it returns errDiverged
// after printing a divergence. A lab that diverges stops the others.
func run(ctx context.Context, o options) (*result, error) {
	// The labs run at once and each says what it sees: one writer, its
	// writes serialized (a bytes.Buffer, the tests', is no safer than
	// that).
	o.out = &logtest.Writer{W: o.out}
	res := &result{seed: o.seed, kinds: map[string]int{}}
	var labs []*lab
	defer func() {
		for _, l := range labs {
			l.cleanup()
		}
	}()
	for _, s := range o.sources {
		l, err := newLab(o, s)
		if err != nil {
			return nil, err
		}
		labs = append(labs, l)
		res.labs = append(res.labs, l)
	}
	fmt.Fprintf(o.out, "soak: seed %d, sources %s, %d hosts each, %v of faults, quiet %v, bound %v, namespaces prsoak-%d-*\n",
		o.seed, strings.Join(o.sources, " and "), o.hosts, o.duration, o.quiet, o.bound, os.Getpid())
	errs := make([]error, len(labs))
	var wg sync.WaitGroup
	for i, l := range labs {
		wg.Go(func() { errs[i] = l.build(ctx) })
	}
	if wg.Wait(); errors.Join(errs...) != nil {
		return nil, fmt.Errorf("building the lab: %w", errors.Join(errs...))
	}
	start := time.Now()
	// The labs' first state, before any fault, must be right too.
	diverged := make([][]string, len(labs))
	for i, l := range labs {
		if _, p := l.converge(ctx, start); p != nil {
			diverged[i] = append([]string{"at start:"}, p...)
		} else if p := l.verify(ctx); p != nil {
			diverged[i] = append([]string{"at start:"}, p...)
		}
	}
	if slices.ContainsFunc(diverged, func(p []string) bool { return p != nil }) {
		return res.diverge(o, labs, diverged)
	}
	start = time.Now()
	stopSampling := startSampling(labs, start, res)
	defer stopSampling()
	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	for i, l := range labs {
		// Each lab its own schedule from the seed: the inventory lab's
		// as before the kube variant came.
		r := rand.New(rand.NewPCG(o.seed, o.seed^(0x50a4+uint64(i))))
		switch l.source {
		case kubeSourceName:
			r = rand.New(rand.NewPCG(o.seed, o.seed^0x6b75))
		case segmentsSourceName:
			r = rand.New(rand.NewPCG(o.seed, o.seed^0x7365))
		}
		wg.Go(func() {
			if diverged[i] = l.soak(inner, start, r); diverged[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	stopSampling()
	res.elapsed = time.Since(start)
	for _, l := range labs {
		res.faults += l.nfaults
		for k, n := range l.kinds {
			res.kinds[k] += n
		}
		res.converge = append(res.converge, l.converged...)
		res.conflicted += l.conflicted.Load()
	}
	slices.SortFunc(res.converge, func(a, b convergence) int { return int(a.at - b.at) })
	if slices.ContainsFunc(diverged, func(p []string) bool { return p != nil }) {
		return res.diverge(o, labs, diverged)
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	var err error
	if notFlat := res.notFlat(); len(notFlat) > 0 && res.elapsed >= flatMin {
		// A leak is a divergence too: the run fails with it.
		res.divergences++
		fmt.Fprintf(o.out, "\nsoak: DIVERGENCE: resources not flat (last tenth of the run more than 10%% above the first): %s\n",
			strings.Join(notFlat, "; "))
		err = errDiverged
	}
	res.summary(o)
	if o.schedule != "" {
		var all []string
		for _, l := range labs {
			all = append(all, "# "+l.source)
			all = append(all, l.schedule...)
		}
		if err := os.WriteFile(o.schedule, []byte(strings.Join(all, "\n")+"\n"), 0o644); err != nil {
			return res, err
		}
	}
	return res, err
}

// diverge prints each diverged lab's problems, its schedule so far and
// each of its hosts' table, then the summary; it returns errDiverged.
func (r *result) diverge(o options, labs []*lab, diverged [][]string) (*result, error) {
	w := o.out
	for i, l := range labs {
		if diverged[i] == nil {
			continue
		}
		r.divergences++
		fmt.Fprintf(w, "\nsoak: DIVERGENCE in the %s lab (replay: -seed %d -hosts %d -quiet %v -api-gap %d -source %s)\n",
			l.source, o.seed, o.hosts, o.quiet, o.apiGap, strings.Join(o.sources, ","))
		for _, p := range diverged[i] {
			fmt.Fprintln(w, "  "+p)
		}
		fmt.Fprintln(w, "schedule so far:")
		for _, s := range l.schedule {
			fmt.Fprintln(w, "  "+s)
		}
		for _, h := range l.hosts {
			fmt.Fprintf(w, "%s (%s, uplink moved to br-up: %v):\n%s", h.name, h.addr, h.moved, table(h))
			if h.offLink {
				fmt.Fprint(w, tunnelTable(h))
			}
			if b, err := os.ReadFile(h.log); err == nil {
				lines := strings.Split(strings.TrimSpace(string(b)), "\n")
				fmt.Fprintf(w, "  its watch's last lines:\n    %s\n", strings.Join(lines[max(0, len(lines)-8):], "\n    "))
			}
		}
	}
	r.summary(o)
	return r, errDiverged
}

// soak injects the lab's faults in bursts until o.duration has passed since
// start, and checks after each; it returns the problems of a divergence,
// nil when the time is up or ctx is done.
func (l *lab) soak(ctx context.Context, start time.Time, r *rand.Rand) []string {
	for time.Since(start) < l.o.duration {
		if ctx.Err() != nil {
			return nil
		}
		nodeChange := false
		l.bursts++
		for n := 1 + r.IntN(4); n > 0; n-- {
			f := l.faults[r.IntN(len(l.faults))]
			for f.kind == "apiserver" && l.apiBurst > 0 && l.bursts-l.apiBurst < l.o.apiGap {
				f = l.faults[r.IntN(len(l.faults))] // see options.apiGap
			}
			if f.kind == "apiserver" {
				l.apiBurst = l.bursts
			}
			nodeChange = nodeChange || f.kind == "nodes"
			at := time.Since(start)
			what, err := f.do(ctx, l, r)
			l.schedule = append(l.schedule, fmt.Sprintf("%8.3fs %s", at.Seconds(), what))
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return []string{fmt.Sprintf("injecting %s: %v", f.kind, err)}
			}
			l.nfaults++
			l.kinds[f.kind]++
			if n > 1 {
				// Apart within a burst; convergence counts from the
				// end of the last one.
				time.Sleep(time.Duration(r.IntN(300)) * time.Millisecond)
			}
		}
		last := time.Now()
		l.deadline = last.Add(l.o.bound)
		if d := l.apiUp.Add(apiResume + l.o.bound); nodeChange && d.After(l.deadline) {
			// A Node changed while the watchers may still wait to
			// follow the Nodes after an API server restart (see
			// apiResume): they see the change when it ends.
			l.deadline = d
			l.backedOff++
		}
		took, problems := l.converge(ctx, last)
		l.deadline = time.Time{}
		if ctx.Err() != nil {
			return nil // another lab diverged, or a signal came
		}
		if problems != nil {
			return problems
		}
		l.converged = append(l.converged, convergence{at: last.Sub(start), took: took})
		l.schedule = append(l.schedule, fmt.Sprintf("%8.3fs converged in %v", time.Since(start).Seconds(), took.Round(time.Millisecond)))
		select {
		case <-time.After(time.Until(last.Add(l.o.quiet))):
		case <-ctx.Done():
			return nil
		}
		if problems := l.verify(ctx); problems != nil && ctx.Err() == nil {
			return problems
		}
	}
	return nil
}

// forHosts runs f for every host at once and gathers its problems, each
// prefixed with the host's name.
func (l *lab) forHosts(f func(h *host, inv map[string]node) []string) []string {
	inv, err := l.expected()
	if err != nil {
		return []string{err.Error()}
	}
	out := make([][]string, len(l.hosts))
	var wg sync.WaitGroup
	for i, h := range l.hosts {
		wg.Go(func() { out[i] = f(h, inv) })
	}
	wg.Wait()
	var problems []string
	for i, p := range out {
		for _, s := range p {
			problems = append(problems, l.hosts[i].name+": "+s)
		}
	}
	return problems
}

// converge polls every host's table until it is right, and returns how
// long that took since last; past o.bound (or l.deadline, if set) it
// returns the problems.
func (l *lab) converge(ctx context.Context, last time.Time) (time.Duration, []string) {
	for {
		poll := time.Now()
		problems := l.forHosts(func(h *host, inv map[string]node) []string {
			if err := h.alive(); err != nil {
				return []string{err.Error()}
			}
			_, p, err := kernelProblems(h, inv)
			if err != nil {
				return []string{err.Error()}
			}
			return p
		})
		took := time.Since(last)
		if problems == nil {
			if p := time.Since(poll); p > time.Second {
				// A poll takes some 100 ms: this one, the machine
				// stalled. Said, since it is in the figures.
				fmt.Fprintf(l.o.out, "soak: the poll that saw convergence took %v (the machine stalled?)\n", p.Round(time.Millisecond))
			}
			return took, nil
		}
		if now := time.Now(); (l.deadline.IsZero() && took > l.o.bound) || (!l.deadline.IsZero() && now.After(l.deadline)) || ctx.Err() != nil {
			return took, append([]string{fmt.Sprintf("not converged %v after the last fault:", took.Round(time.Millisecond))}, problems...)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// verify checks every host after a quiet period: its table, check's report
// and exit status, and its metrics file, which may lag the kernel by a pass
// (waited for up to o.bound).
func (l *lab) verify(ctx context.Context) []string {
	return l.forHosts(func(h *host, inv map[string]node) []string {
		deadline := time.Now().Add(l.o.bound)
		for {
			var problems []string
			if err := h.alive(); err != nil {
				return []string{err.Error()}
			}
			conflicts, problems, err := kernelProblems(h, inv)
			if err != nil {
				return []string{err.Error()}
			}
			if problems == nil {
				w := wanted(inv, h.addr)
				problems = append(metricsProblems(h, w, conflicts), checkProblems(l.o.bin, l.sourceArgs(), h, w, conflicts)...)
			}
			if problems == nil && len(conflicts) > 0 {
				// The conflict path was judged, not only the plain one.
				l.conflicted.Add(1)
			}
			if problems == nil || time.Now().After(deadline) || ctx.Err() != nil {
				return problems
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
}

// sample reads every watcher's RSS, open files, threads and CPU from /proc,
// and its goroutines from its metrics (go_goroutines), every two seconds
// into res until the returned stop is called.
func startSampling(labs []*lab, start time.Time, res *result) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	var once sync.Once
	type seen struct {
		pid int
		cpu time.Duration
	}
	last := map[string]seen{}
	var total time.Duration
	scrapers := map[string]*http.Client{}
	wg.Go(func() {
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			var rss, fds, threads, goroutines []float64
			for _, l := range labs {
				l.mu.Lock()
				hosts := make(map[*host]int, len(l.hosts))
				for _, h := range l.hosts {
					hosts[h] = h.cmd.Process.Pid
				}
				l.mu.Unlock()
				for _, h := range l.hosts {
					pid := hosts[h]
					r, th, ok := procStatus(pid)
					cpu, ok2 := procCPU(pid)
					fd, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
					if !ok || !ok2 || err != nil {
						continue // between a kill and its restart
					}
					rss, fds, threads = append(rss, r), append(fds, float64(len(fd))), append(threads, th)
					// CPU of a restarted watcher counts from its start.
					key := l.source + "/" + h.name
					if p := last[key]; p.pid == pid {
						total += cpu - p.cpu
					} else {
						total += cpu
					}
					last[key] = seen{pid, cpu}
					if scrapers[h.ns] == nil {
						scrapers[h.ns] = &http.Client{Timeout: time.Second, Transport: &http.Transport{
							DialContext: k8stest.DialIn(h.ns), DisableKeepAlives: true}}
					}
					if g, ok := goroutinesOf(scrapers[h.ns]); ok {
						goroutines = append(goroutines, g)
					}
				}
			}
			res.samples = append(res.samples, sample{at: time.Since(start), rssMB: mean(rss), fds: mean(fds),
				threads: mean(threads), goroutines: mean(goroutines), cpu: total})
		}
	})
	return func() { once.Do(func() { close(done); wg.Wait() }) }
}

// goroutinesOf is a watcher's go_goroutines, scraped from its
// --metrics-address.
func goroutinesOf(c *http.Client) (float64, bool) {
	resp, err := c.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			g, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return g, err == nil
		}
	}
	return 0, false
}

// procStatus is pid's VmRSS in MB and its threads.
func procStatus(pid int) (rssMB, threads float64, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, false
	}
	var got int
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rssMB, got = v/1024, got+1
		case "Threads:":
			threads, got = v, got+1
		}
	}
	return rssMB, threads, got == 2
}

// procCPU is pid's user and system time (/proc/PID/stat, in clock ticks of
// 10 ms: USER_HZ is 100 on Linux).
func procCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name, in parentheses, may hold spaces: fields count
	// from the last ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64) // utime, field 14
	s, err2 := strconv.ParseInt(f[12], 10, 64) // stime, field 15
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(u+s) * 10 * time.Millisecond, true
}

// notFlat says which of the watchers' RSS, open files and goroutines is
// not flat: its mean over the run's last tenth more than 10% above the
// first tenth's.
func (r *result) notFlat() []string {
	var out []string
	for _, m := range []struct {
		name string
		f    func(sample) float64
	}{
		{"RSS (MB)", func(s sample) float64 { return s.rssMB }},
		{"fds", func(s sample) float64 { return s.fds }},
		{"goroutines", func(s sample) float64 { return s.goroutines }},
	} {
		first, last := r.tenths(m.f)
		if !(first > 0 && last <= first*1.1) {
			out = append(out, fmt.Sprintf("%s %.1f -> %.1f", m.name, first, last))
		}
	}
	return out
}

// summary prints the run's figures and writes the plot.
func (r *result) summary(o options) {
	w := o.out
	fmt.Fprintf(w, "\nsoak summary: seed %d, %d hosts, %v\n", r.seed, o.hosts, r.elapsed.Round(time.Second))
	for _, l := range r.labs {
		for _, k := range sortedKeys(l.kinds) {
			fmt.Fprintf(w, "  faults %-9s %-11s %d\n", l.source, k, l.kinds[k])
		}
	}
	if n := len(r.converge); n > 0 {
		ds := make([]time.Duration, n)
		for i, c := range r.converge {
			ds[i] = c.took
		}
		slices.Sort(ds)
		fmt.Fprintf(w, "  hosts checked with another owner's route at a wanted destination, named by check and the metrics: %d\n", r.conflicted)
		for _, l := range r.labs {
			if l.backedOff > 0 {
				fmt.Fprintf(w, "  bursts of the %s lab with a Node change within %v of an API server restart, given until then plus %v to converge (the heartbeat's refusal retry): %d\n",
					l.source, apiResume, o.bound, l.backedOff)
			}
		}
		fmt.Fprintf(w, "  convergence after a burst (%d bursts): p50 %v p90 %v p99 %v max %v\n", n,
			ds[n/2].Round(time.Millisecond), ds[n*9/10].Round(time.Millisecond),
			ds[int(math.Ceil(0.99*float64(n)))-1].Round(time.Millisecond), ds[n-1].Round(time.Millisecond))
	}
	if len(r.samples) > 0 {
		rss1, rss2 := r.tenths(func(s sample) float64 { return s.rssMB })
		fd1, fd2 := r.tenths(func(s sample) float64 { return s.fds })
		th1, th2 := r.tenths(func(s sample) float64 { return s.threads })
		g1, g2 := r.tenths(func(s sample) float64 { return s.goroutines })
		fmt.Fprintf(w, "  per watcher (mean), first tenth -> last tenth: RSS %.1f -> %.1f MB, fds %.1f -> %.1f, goroutines %.1f -> %.1f, threads %.1f -> %.1f\n",
			rss1, rss2, fd1, fd2, g1, g2, th1, th2)
		switch nf := r.notFlat(); {
		case r.elapsed < flatMin:
			fmt.Fprintf(w, "  flatness not judged: the run is shorter than %v (%s)\n", flatMin, cond(len(nf) == 0, "flat", "not flat: "+strings.Join(nf, "; ")))
		case len(nf) > 0:
			fmt.Fprintf(w, "  resources NOT flat, counted as a divergence: %s\n", strings.Join(nf, "; "))
		default:
			fmt.Fprintln(w, "  resources flat: RSS, fds and goroutines of the last tenth within 10% of the first tenth's")
		}
		cpu := r.samples[len(r.samples)-1].cpu
		if r.faults > 0 {
			fmt.Fprintf(w, "  CPU (utime+stime) of all watchers: %v, %v per fault\n", cpu.Round(time.Millisecond), (cpu / time.Duration(r.faults)).Round(time.Millisecond))
		}
	}
	if o.svg != "" {
		if err := os.WriteFile(o.svg, r.plot(), 0o644); err != nil {
			fmt.Fprintln(w, "  plot:", err)
		} else {
			p, _ := filepath.Abs(o.svg)
			fmt.Fprintln(w, "  plot:", p)
		}
	}
}

func cond(c bool, yes, no string) string {
	if c {
		return yes
	}
	return no
}
