package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// sample is the watchers' resources at one moment, means over the hosts.
type sample struct {
	at      time.Duration
	rssMB   float64
	fds     float64
	threads float64
	cpu     time.Duration // all watchers' CPU since the start
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

// run builds the lab, injects faults for o.duration and checks after each
// burst; it returns errDiverged after printing a divergence.
func run(ctx context.Context, o options) (*result, error) {
	l, err := newLab(o)
	if err != nil {
		return nil, err
	}
	defer l.cleanup()
	res := &result{seed: o.seed, kinds: map[string]int{}}
	fmt.Fprintf(o.out, "soak: seed %d, %d hosts, %v of faults, quiet %v, bound %v, namespaces %s*\n",
		o.seed, o.hosts, o.duration, o.quiet, o.bound, l.prefix)
	if err := l.build(ctx); err != nil {
		return nil, fmt.Errorf("building the lab: %w", err)
	}
	var schedule []string
	start := time.Now()
	stopSampling := func() {}
	diverge := func(problems []string) (*result, error) {
		stopSampling()
		res.elapsed = time.Since(start)
		res.conflicted = l.conflicted.Load()
		res.divergences++
		w := o.out
		fmt.Fprintf(w, "\nsoak: DIVERGENCE (replay: -seed %d -hosts %d -quiet %v)\n", o.seed, o.hosts, o.quiet)
		for _, p := range problems {
			fmt.Fprintln(w, "  "+p)
		}
		fmt.Fprintln(w, "schedule so far:")
		for _, s := range schedule {
			fmt.Fprintln(w, "  "+s)
		}
		for _, h := range l.hosts {
			fmt.Fprintf(w, "%s (%s, uplink moved to br-up: %v):\n%s", h.name, h.addr, h.moved, table(h))
			if b, err := os.ReadFile(h.log); err == nil {
				lines := strings.Split(strings.TrimSpace(string(b)), "\n")
				fmt.Fprintf(w, "  its watch's last lines:\n    %s\n", strings.Join(lines[max(0, len(lines)-8):], "\n    "))
			}
		}
		res.summary(o)
		return res, errDiverged
	}
	// The lab's first state, before any fault, must be right too.
	if _, problems := l.converge(ctx, start); problems != nil {
		return diverge(append([]string{"at start:"}, problems...))
	}
	if problems := l.verify(ctx); problems != nil {
		return diverge(append([]string{"at start:"}, problems...))
	}
	start = time.Now()
	stopSampling = l.sample(start, res)
	defer stopSampling()
	r := rand.New(rand.NewPCG(o.seed, o.seed^0x50a4))
	for time.Since(start) < o.duration {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		for n := 1 + r.IntN(4); n > 0; n-- {
			f := faults[r.IntN(len(faults))]
			at := time.Since(start)
			what, err := f.do(ctx, l, r)
			schedule = append(schedule, fmt.Sprintf("%8.3fs %s", at.Seconds(), what))
			if err != nil {
				return diverge([]string{fmt.Sprintf("injecting %s: %v", f.kind, err)})
			}
			res.faults++
			res.kinds[f.kind]++
			if n > 1 {
				// Apart within a burst; convergence counts from the
				// end of the last one.
				time.Sleep(time.Duration(r.IntN(300)) * time.Millisecond)
			}
		}
		last := time.Now()
		took, problems := l.converge(ctx, last)
		if problems != nil {
			return diverge(problems)
		}
		res.converge = append(res.converge, convergence{at: last.Sub(start), took: took})
		schedule = append(schedule, fmt.Sprintf("%8.3fs converged in %v", time.Since(start).Seconds(), took.Round(time.Millisecond)))
		select {
		case <-time.After(time.Until(last.Add(o.quiet))):
		case <-ctx.Done():
			return res, ctx.Err()
		}
		if problems := l.verify(ctx); problems != nil {
			return diverge(problems)
		}
	}
	stopSampling()
	res.elapsed = time.Since(start)
	res.conflicted = l.conflicted.Load()
	res.summary(o)
	if o.schedule != "" {
		if err := os.WriteFile(o.schedule, []byte(strings.Join(schedule, "\n")+"\n"), 0o644); err != nil {
			return res, err
		}
	}
	return res, nil
}

// forHosts runs f for every host at once and gathers its problems, each
// prefixed with the host's name.
func (l *lab) forHosts(f func(h *host, inv map[string]node) []string) []string {
	inv, err := readInventory(l.inv)
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
// long that took since last; past o.bound it returns the problems.
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
		if took > l.o.bound || ctx.Err() != nil {
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
				problems = append(metricsProblems(h, w, conflicts), checkProblems(l.o.bin, l.inv, h, w, conflicts)...)
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

// sample reads every watcher's RSS, open files, threads and CPU once a
// second into res until the returned stop is called.
func (l *lab) sample(start time.Time, res *result) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	var once sync.Once
	type seen struct {
		pid int
		cpu time.Duration
	}
	last := map[string]seen{}
	var total time.Duration
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			var rss, fds, threads []float64
			l.mu.Lock()
			for _, h := range l.hosts {
				pid := h.cmd.Process.Pid
				r, th, ok := procStatus(pid)
				cpu, ok2 := procCPU(pid)
				fd, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
				if !ok || !ok2 || err != nil {
					continue // between a kill and its restart
				}
				rss, fds, threads = append(rss, r), append(fds, float64(len(fd))), append(threads, th)
				// CPU of a restarted watcher counts from its start.
				if p := last[h.name]; p.pid == pid {
					total += cpu - p.cpu
				} else {
					total += cpu
				}
				last[h.name] = seen{pid, cpu}
			}
			l.mu.Unlock()
			res.samples = append(res.samples, sample{at: time.Since(start), rssMB: mean(rss), fds: mean(fds), threads: mean(threads), cpu: total})
		}
	})
	return func() { once.Do(func() { close(done); wg.Wait() }) }
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

// summary prints the run's figures and writes the plot.
func (r *result) summary(o options) {
	w := o.out
	fmt.Fprintf(w, "\nsoak summary: seed %d, %d hosts, %v\n", r.seed, o.hosts, r.elapsed.Round(time.Second))
	for _, k := range sortedKeys(r.kinds) {
		fmt.Fprintf(w, "  faults %-10s %d\n", k, r.kinds[k])
	}
	if n := len(r.converge); n > 0 {
		ds := make([]time.Duration, n)
		for i, c := range r.converge {
			ds[i] = c.took
		}
		slices.Sort(ds)
		fmt.Fprintf(w, "  hosts checked with another owner's route at a wanted destination, named by check and the metrics: %d\n", r.conflicted)
		fmt.Fprintf(w, "  convergence after a burst (%d bursts): p50 %v p90 %v max %v\n", n,
			ds[n/2].Round(time.Millisecond), ds[n*9/10].Round(time.Millisecond), ds[n-1].Round(time.Millisecond))
	}
	if len(r.samples) > 0 {
		rss1, rss2 := r.tenths(func(s sample) float64 { return s.rssMB })
		fd1, fd2 := r.tenths(func(s sample) float64 { return s.fds })
		th1, th2 := r.tenths(func(s sample) float64 { return s.threads })
		flat := func(a, b float64) string {
			if a > 0 && b <= a*1.1 {
				return "flat"
			}
			return "NOT flat"
		}
		fmt.Fprintf(w, "  per watcher, first tenth -> last tenth: RSS %.1f -> %.1f MB (%s), fds %.1f -> %.1f (%s), threads %.1f -> %.1f\n",
			rss1, rss2, flat(rss1, rss2), fd1, fd2, flat(fd1, fd2), th1, th2)
		cpu := r.samples[len(r.samples)-1].cpu
		if r.faults > 0 {
			fmt.Fprintf(w, "  CPU of all watchers: %v, %v per fault\n", cpu.Round(time.Millisecond), (cpu / time.Duration(r.faults)).Round(time.Millisecond))
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
