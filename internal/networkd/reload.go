package networkd

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/podroutes/podroutes/internal/config"
	"github.com/podroutes/podroutes/internal/logs"
)

// reloadCommand has systemd-networkd reload its configuration; a
// variable for tests.
var reloadCommand = []string{"networkctl", "reload"}

// Update installs the drop-in of c into dir (Install) and, when that
// changed anything, has networkd reload. Failures are warnings: the
// routes go in without it, and networkd, when it runs, keeps them until
// it reconfigures the link.
func Update(log logs.Logger, dir string, c config.Config, networkFile, source string) {
	wrote, removed, err := Install(dir, c, networkFile, source)
	if err != nil {
		log.Warnf("%v", err)
	}
	var done []string
	if wrote {
		done = append(done, "wrote "+filepath.Join(dir, DropInRel(networkFile)))
	}
	if len(removed) > 0 {
		done = append(done, "removed "+strings.Join(removed, ", "))
	}
	if done != nil {
		Reload(log, strings.Join(done, "; "))
	}
}

// Uninstall deletes the podroutes drop-ins in dir (Remove) and, when
// there were any, has networkd reload; a failed reload is a warning.
func Uninstall(log logs.Logger, dir string) error {
	removed, err := Remove(dir)
	if len(removed) > 0 {
		Reload(log, "removed "+strings.Join(removed, ", "))
	}
	return err
}

// Reload has systemd-networkd reload its configuration after done
// ("wrote FILE"), which the log line names; a failure is a warning.
func Reload(log logs.Logger, done string) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, reloadCommand[0], reloadCommand[1:]...).CombinedOutput(); err != nil {
		log.Warnf("%s, but networkctl reload failed (is systemd-networkd running?): %v %s", done, err, strings.TrimSpace(string(out)))
		return
	}
	log.Infof("%s and reloaded systemd-networkd", done)
}
