package main

import (
	"bytes"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/podroutes/podroutes/apply/metrics"
	"github.com/podroutes/podroutes/internal/lock"
	"github.com/podroutes/podroutes/internal/manpage"
)

func runCapture(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(append([]string{"podroutes"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestManPage(t *testing.T) {
	code, page, stderr := runCapture(t, "man")
	if !manRenderer {
		// Built as installed: it says where the page is instead.
		if code != exitFailure || !strings.Contains(stderr, "urfave_cli_no_docs") || page != "" {
			t.Fatalf("podroutes man without the renderer: exit %d, stdout %q, stderr %q; want exit %d naming the build tag", code, page, stderr, exitFailure)
		}
		return
	}
	if code != exitOK {
		t.Fatalf("podroutes man: exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		`.TH podroutes 8`, ".SH NAME", ".SH COMMANDS", ".SH FILES",
		".SH EXIT STATUS", "/etc/podroutes/routes.yaml", ".SH SEE ALSO",
		".SH ENVIRONMENT", "\n.B GOMEMLIMIT\n", "\n.B " + lock.Env + "\n", "\n.B " + metrics.EnvAddress + "\n",
		"\n.B NOTIFY_SOCKET\n", "32 MiB", "20 MiB", "/run/podroutes/lock-INO",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("man page lacks %q", want)
		}
	}
	for _, hidden := range []string{"completion", ".SH man"} {
		if strings.Contains(page, hidden) {
			t.Errorf("man page documents hidden command %q", hidden)
		}
	}
	// The page must render without a groff warning. make test installs
	// groff (groff-base) as root, and fails a run as root that skips.
	if _, err := exec.LookPath("groff"); err != nil {
		t.Skip("groff is not installed: apt-get install groff-base")
	}
	cmd := exec.Command("groff", "-man", "-Tutf8", "-ww", "-z")
	cmd.Stdin = strings.NewReader(page)
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("groff -ww: %v\n%s", err, out)
	}
}

// TestCommandDescriptions: each documented command's long help (its
// --help and its man page section) is the one written for its name.
func TestCommandDescriptions(t *testing.T) {
	documented := []string{"gen", "apply", "check", "remove", "watch"}
	for _, c := range commands() {
		want := ""
		if slices.Contains(documented, c.Name) {
			want = manpage.Description(c.Name)
		}
		if c.Description != want {
			t.Errorf("%s: description %.60q..., want %.60q...", c.Name, c.Description, want)
		}
	}
}

func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh"} {
		t.Run(shell, func(t *testing.T) {
			code, script, stderr := runCapture(t, "completion", shell)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if strings.Contains(script, "PROG") || !strings.Contains(script, "_podroutes") {
				t.Errorf("program name not filled in:\n%s", script)
			}
			if _, err := exec.LookPath(shell); err != nil {
				t.Skipf("%s not installed, syntax not checked", shell)
			}
			cmd := exec.Command(shell, "-n")
			cmd.Stdin = strings.NewReader(script)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s -n: %v\n%s", shell, err, out)
			}
		})
	}
}

func TestCompletionUnknownShell(t *testing.T) {
	code, _, stderr := runCapture(t, "completion", "fish")
	if code != exitInput || !strings.Contains(stderr, `unknown shell "fish"`) {
		t.Errorf("completion fish: exit %d, stderr %q; want exit %d naming the shell", code, stderr, exitInput)
	}
}

// The completion scripts ask the program itself; hidden commands stay out.
func TestCompletionCandidates(t *testing.T) {
	// urfave/cli v2 reads the words to complete from os.Args, not Run's args.
	saved := os.Args
	t.Cleanup(func() { os.Args = saved })
	os.Args = []string{"podroutes", "--generate-bash-completion"}
	code, out, stderr := runCapture(t, "--generate-bash-completion")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	words := strings.Fields(out)
	if !slices.Contains(words, "gen") {
		t.Errorf("candidates %q lack gen", words)
	}
	for _, hidden := range []string{"man", "completion"} {
		if slices.Contains(words, hidden) {
			t.Errorf("candidates %q offer hidden command %s", words, hidden)
		}
	}
}

// The binary make build and packaging/build.sh install links no man page
// renderer and no client-go (podroutes-kube does, for --kubeconfig): their
// package inits ran in every boot apply (issue 22).
func TestInstalledBuildLinksNoManRenderer(t *testing.T) {
	tags, err := exec.Command("make", "--no-print-directory", "-s", "-C", "../..", "print-build-tags").Output()
	if err != nil {
		t.Fatalf("make print-build-tags: %v", err)
	}
	out, err := exec.Command("go", "list", "-deps", "-tags", strings.TrimSpace(string(tags)), ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.Contains(pkg, "md2man") || strings.Contains(pkg, "blackfriday") || strings.HasPrefix(pkg, "k8s.io/client-go/") {
			t.Errorf("built with -tags %s, podroutes links %s", strings.TrimSpace(string(tags)), pkg)
		}
	}
}
