package inventory

import (
	"fmt"
	"strings"
)

// nameProblem says what is wrong with s as a hostname or FQDN (an RFC 1123
// subdomain, case-insensitive), or "". what names the field in the message.
func nameProblem(what, s string) string {
	if s == "" {
		return "missing " + what
	}
	if len(s) > 253 {
		return fmt.Sprintf("%s %.20q... is longer than 253 characters", what, s)
	}
	for label := range strings.SplitSeq(s, ".") {
		if msg := labelProblem(label); msg != "" {
			return fmt.Sprintf("malformed %s %q: %s", what, s, msg)
		}
	}
	return ""
}

func labelProblem(label string) string {
	switch {
	case label == "":
		return "empty label"
	case len(label) > 63:
		return "label longer than 63 characters"
	case label[0] == '-' || label[len(label)-1] == '-':
		return "label starts or ends with '-'"
	}
	for _, c := range label {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Sprintf("character %q not allowed (want letters, digits, '-' and '.')", c)
		}
	}
	return ""
}

// uplinkProblem says what is wrong with s as a Linux interface name, or "".
func uplinkProblem(s string) string {
	switch {
	case s == "":
		return "empty uplink"
	case len(s) > 15:
		return fmt.Sprintf("uplink %q is longer than 15 characters", s)
	case s == "." || s == "..":
		return fmt.Sprintf("uplink %q is not an interface name", s)
	case strings.ContainsAny(s, "/: \t\n\r\v\f"):
		return fmt.Sprintf("uplink %q contains '/', ':' or white space", s)
	}
	return ""
}

// networkFileProblem says what is wrong with s as the name of a
// systemd-networkd .network file, or "".
func networkFileProblem(s string) string {
	switch {
	case s == "":
		return "empty networkFile"
	case strings.Contains(s, "/"):
		return fmt.Sprintf("networkFile %q must be a file name, without '/'", s)
	case !strings.HasSuffix(s, ".network") || s == ".network":
		return fmt.Sprintf("networkFile %q must end in .network", s)
	case strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0:
		return fmt.Sprintf("networkFile %q contains white space or control characters", s)
	}
	return ""
}
