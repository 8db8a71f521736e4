package bins

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// buildEtcd builds etcd's server, a main package, in a scratch module.
func buildEtcd(ctx context.Context, out string) error {
	const pkg = "go.etcd.io/etcd/server/v3"
	return inScratch(ctx, "podroutes-etcd-build", func(g goCmd) error {
		if err := g.run("mod", "init", "etcdbuild"); err != nil {
			return err
		}
		if err := g.run("get", "-tool", pkg+"@"+EtcdVersion); err != nil {
			return err
		}
		if err := g.run("build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg); err != nil {
			return err
		}
		return check(ctx, out, strings.TrimPrefix(EtcdVersion, "v"), "--version")
	})
}

// buildKubeAPIServer builds k8s.io/kubernetes/cmd/kube-apiserver. The
// k8s.io/kubernetes module replaces its staging modules (k8s.io/api,
// k8s.io/client-go, ...) with ./staging directories, which a dependent
// module cannot see, so it cannot be `go install`ed: the scratch module
// repeats each of those replaces with the published module at the
// matching v0.x version.
func buildKubeAPIServer(ctx context.Context, out string) error {
	const pkg = "k8s.io/kubernetes/cmd/kube-apiserver"
	staging := "v0" + strings.TrimPrefix(KubernetesVersion, "v1") // v1.34.2 -> v0.34.2
	return inScratch(ctx, "podroutes-kube-apiserver-build", func(g goCmd) error {
		modFile, err := g.downloadGoMod("k8s.io/kubernetes@" + KubernetesVersion)
		if err != nil {
			return err
		}
		replaced, err := stagingModules(modFile)
		if err != nil {
			return err
		}
		var mod strings.Builder
		fmt.Fprintf(&mod, "module kubeapiserverbuild\n\ngo 1.24.0\n\nrequire k8s.io/kubernetes %s\n\ntool %s\n\nreplace (\n", KubernetesVersion, pkg)
		for _, m := range replaced {
			fmt.Fprintf(&mod, "\t%s => %s %s\n", m, m, staging)
		}
		mod.WriteString(")\n")
		if err := os.WriteFile(g.dir+"/go.mod", []byte(mod.String()), 0o644); err != nil {
			return fmt.Errorf("writing the scratch go.mod: %w", err)
		}
		if err := g.run("mod", "tidy"); err != nil {
			return err
		}
		// The version the kubernetes release build stamps in; without it
		// the server calls itself v0.0.0-master.
		v := "k8s.io/component-base/version"
		major, minor, _ := strings.Cut(strings.TrimPrefix(KubernetesVersion, "v"), ".")
		minor, _, _ = strings.Cut(minor, ".")
		ldflags := fmt.Sprintf("-s -w -X %s.gitVersion=%s -X %s.gitMajor=%s -X %s.gitMinor=%s -X %s.gitTreeState=clean",
			v, KubernetesVersion, v, major, v, minor, v)
		if err := g.run("build", "-trimpath", "-ldflags="+ldflags, "-o", out, pkg); err != nil {
			return err
		}
		return check(ctx, out, KubernetesVersion, "--version")
	})
}

// stagingModules lists the module paths that a go.mod replaces with
// ./staging directories, in a replace block or on replace lines.
func stagingModules(goMod []byte) ([]string, error) {
	var mods []string
	in := false
	sc := bufio.NewScanner(bytes.NewReader(goMod))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "replace" && f[1] == "(":
			in = true
			continue
		case in && len(f) == 1 && f[0] == ")":
			in = false
			continue
		case !in && len(f) > 0 && f[0] == "replace":
			f = f[1:]
		case !in:
			continue
		}
		if len(f) == 3 && f[1] == "=>" && strings.HasPrefix(f[2], "./staging/") {
			mods = append(mods, f[0])
		}
	}
	if len(mods) == 0 {
		return nil, fmt.Errorf("no staging replaces found in k8s.io/kubernetes's go.mod")
	}
	return mods, nil
}

// goCmd runs the go command in a scratch module directory.
type goCmd struct {
	ctx context.Context
	dir string
	env []string
}

// inScratch runs f with a go command in a fresh temporary directory,
// removed afterwards. The environment pins the local toolchain (no
// download of another Go), ignores any go.work and builds without cgo, so
// the binaries need no C toolchain and run anywhere on this OS.
func inScratch(ctx context.Context, name string, f func(goCmd) error) error {
	dir, err := os.MkdirTemp("", name+"-")
	if err != nil {
		return fmt.Errorf("creating a scratch module: %w", err)
	}
	defer os.RemoveAll(dir)
	env := append(os.Environ(), "GOTOOLCHAIN=local", "GOWORK=off", "GOFLAGS=-mod=mod", "CGO_ENABLED=0", "GO111MODULE=on")
	return f(goCmd{ctx: ctx, dir: dir, env: env})
}

func (g goCmd) command(args ...string) *exec.Cmd {
	cmd := exec.CommandContext(g.ctx, "go", args...)
	cmd.Dir, cmd.Env = g.dir, g.env
	return cmd
}

func (g goCmd) run(args ...string) error {
	if out, err := g.command(args...).CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, tail(out, 40))
	}
	return nil
}

// downloadGoMod fetches a module (into the module cache) and returns its
// go.mod.
func (g goCmd) downloadGoMod(modVersion string) ([]byte, error) {
	cmd := g.command("mod", "download", "-json", modVersion)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go mod download %s: %w\n%s%s", modVersion, err, out, stderr.Bytes())
	}
	var info struct{ GoMod, Error string }
	if err := json.Unmarshal(out, &info); err != nil {
		return nil, fmt.Errorf("reading go mod download's answer for %s: %w", modVersion, err)
	}
	if info.Error != "" {
		return nil, fmt.Errorf("go mod download %s: %s", modVersion, info.Error)
	}
	mod, err := os.ReadFile(info.GoMod)
	if err != nil {
		return nil, fmt.Errorf("reading %s's go.mod: %w", modVersion, err)
	}
	return mod, nil
}

// check runs the fresh binary with a version flag and wants the version
// in its output: a binary that cannot start is never published.
func check(ctx context.Context, bin, want string, args ...string) error {
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("running %s %s: %w: %s", bin, strings.Join(args, " "), err, tail(out, 10))
	}
	if !strings.Contains(string(out), want) {
		return fmt.Errorf("%s %s says %q, want version %s", bin, strings.Join(args, " "), strings.TrimSpace(string(out)), want)
	}
	return nil
}

// tail is the last n lines of out.
func tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
