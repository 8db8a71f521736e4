package config

import "github.com/podroutes/podroutes/internal/infile"

// maxSize bounds what Load reads: far more than the largest cluster needs
// (20000 routes take about 2 MB), far less than a mistaken path can hold.
const maxSize = 16 << 20

// Load reads and parses the config at path, as an input file is read
// (infile.Read): when run as root it refuses a file another user could
// have written. Refusals and every problem Parse finds are a *diag.Error;
// a file that cannot be read is an error wrapping the os error.
func Load(path string) (Config, error) {
	return load(path, infile.AsRoot())
}

// load is Load with the ownership check chosen by the caller (tests).
func load(path string, trusted bool) (Config, error) {
	data, err := infile.Read(path, infile.Options{What: "config", Max: maxSize, Trusted: trusted})
	if err != nil {
		return Config{}, err
	}
	return Parse(path, data)
}
