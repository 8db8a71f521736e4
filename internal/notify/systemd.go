package notify

// Systemd tells systemd, when it listens, what a watcher does (watch's
// Notifier): Ready, Status and Watchdog.
type Systemd struct{}

func (Systemd) Ready(status string) error  { return Ready(status) }
func (Systemd) Status(status string) error { return Status(status) }
func (Systemd) Watchdog() error            { return Watchdog() }
