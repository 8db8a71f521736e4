package apply

import (
	"context"
	"errors"
	"fmt"

	"github.com/podroutes/podroutes/apply/reconcile"
)

// batchChunk is how many writes of a batch go to the kernel between two
// looks at the context: small enough to stop within milliseconds, large
// enough to keep the pipelining.
const batchChunk = 256

// guarded is a Kernel whose writes fail with the context's error once it is
// done, so that a signal stops reconcile.Execute between two writes, and
// that tells wrote about each write made. Execute adds before it deletes and
// skips the deletes whose add failed, so an interrupted run leaves only
// wanted routes and podroutes' stale ones: nothing `check` cannot explain,
// and the next apply finishes the job.
type guarded struct {
	reconcile.Kernel
	ctx   context.Context
	wrote func(reconcile.Write) // may be nil
}

func (g guarded) Add(r reconcile.Route) error {
	return g.write(reconcile.Write{Op: reconcile.Add, Route: r}, g.Kernel.Add)
}

func (g guarded) Replace(r reconcile.Route) error {
	return g.write(reconcile.Write{Op: reconcile.Replace, Route: r}, g.Kernel.Replace)
}

func (g guarded) Delete(r reconcile.Route) error {
	return g.write(reconcile.Write{Op: reconcile.Delete, Route: r}, g.Kernel.Delete)
}

func (g guarded) write(w reconcile.Write, f func(reconcile.Route) error) error {
	if err := g.ctx.Err(); err != nil {
		return err
	}
	err := f(w.Route)
	g.made(w, err)
	return err
}

func (g guarded) made(w reconcile.Write, err error) {
	if err == nil && g.wrote != nil {
		g.wrote(w)
	}
}

// guardedBatcher is guarded for a kernel that writes in batches: it passes
// each batch on in chunks, looking at the context between them.
type guardedBatcher struct {
	guarded
	b reconcile.Batcher
}

func (g guardedBatcher) WriteBatch(ws []reconcile.Write, log reconcile.Logger) []error {
	errs := make([]error, 0, len(ws))
	for len(ws) > 0 {
		if err := g.ctx.Err(); err != nil {
			for range ws {
				errs = append(errs, err)
			}
			break
		}
		n := min(len(ws), batchChunk)
		for i, err := range g.b.WriteBatch(ws[:n], log) {
			g.made(ws[i], err)
			errs = append(errs, err)
		}
		ws = ws[n:]
	}
	return errs
}

func (g guardedBatcher) Finish(log reconcile.Logger) error { return g.b.Finish(log) }

// execute runs the plan on k, stopping between writes when ctx is done;
// the writes it then skipped are counted in one error, not one each.
func execute(ctx context.Context, k reconcile.Kernel, p reconcile.Plan, log reconcile.Logger, wrote func(reconcile.Write)) reconcile.Result {
	g := guarded{Kernel: k, ctx: ctx, wrote: wrote}
	var gk reconcile.Kernel = g
	if b, ok := k.(reconcile.Batcher); ok {
		gk = guardedBatcher{guarded: g, b: b}
	}
	res := reconcile.Execute(gk, p, log)
	if ctx.Err() == nil {
		return res
	}
	skipped := 0
	errs := res.Errs[:0:0]
	for _, err := range res.Errs {
		if errors.Is(err, ctx.Err()) {
			skipped++
			continue
		}
		errs = append(errs, err)
	}
	res.Errs = append(errs, fmt.Errorf("interrupted with %d writes left undone (%d routes in place; run apply again): %w",
		skipped, res.InPlace, ctx.Err()))
	return res
}
