package gotune

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

// settings are the runtime's memory limit, GOGC and GOMAXPROCS, as read
// without changing them.
func settings() (limit int64, gc, procs int) {
	limit = debug.SetMemoryLimit(-1)
	gc = debug.SetGCPercent(-1)
	debug.SetGCPercent(gc)
	return limit, gc, runtime.GOMAXPROCS(0)
}

func TestRuntime(t *testing.T) {
	limit, gc, procs := settings()
	t.Cleanup(func() {
		debug.SetMemoryLimit(limit)
		debug.SetGCPercent(gc)
		runtime.GOMAXPROCS(procs)
	})
	for _, tt := range []struct {
		args      []string
		env       map[string]string
		wantLimit int64
		wantGC    int
		wantProcs int
	}{
		{[]string{"podroutes", "apply"}, nil, MemoryLimit, -1, procs},
		{[]string{"podroutes", "check"}, map[string]string{"GOGC": "50"}, MemoryLimit, gc, procs},
		{[]string{"podroutes", "remove"}, map[string]string{"GOMEMLIMIT": "1GiB"}, math.MaxInt64, gc, procs},
		{[]string{"podroutes", "watch"}, nil, WatchMemoryLimit, gc, 1},
		{[]string{"podroutes", "watch"}, map[string]string{"GOMAXPROCS": "2"}, WatchMemoryLimit, gc, procs},
		{[]string{"podroutes", "gen"}, nil, math.MaxInt64, gc, procs},
		{[]string{"podroutes"}, nil, math.MaxInt64, gc, procs},
	} {
		debug.SetMemoryLimit(math.MaxInt64)
		debug.SetGCPercent(gc)
		runtime.GOMAXPROCS(procs)
		for _, k := range []string{"GOMEMLIMIT", "GOGC", "GOMAXPROCS"} {
			t.Setenv(k, tt.env[k])
		}
		Runtime(tt.args)
		if l, g, p := settings(); l != tt.wantLimit || g != tt.wantGC || p != tt.wantProcs {
			t.Errorf("%v %v: memory limit %d, GOGC %d, GOMAXPROCS %d; want %d, %d, %d",
				tt.args, tt.env, l, g, p, tt.wantLimit, tt.wantGC, tt.wantProcs)
		}
	}
}
