// Package diag carries problems found in podroutes' input files as
// `FILE:LINE: message` diagnostics, collected so that a user sees every
// problem in one run, not only the first.
package diag

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong with an input file. Line is 1-based; 0 means the
// problem concerns the whole file.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) String() string {
	if p.Line == 0 {
		return fmt.Sprintf("%s: %s", p.File, p.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
}

// List collects problems for one file.
type List struct {
	File     string
	Problems []Problem
}

// Addf records a problem at line.
func (l *List) Addf(line int, format string, args ...any) {
	l.Problems = append(l.Problems, Problem{File: l.File, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// Err returns nil when no problem was recorded, or an *Error holding them all
// sorted by line (stable, so problems on one line keep their order).
func (l *List) Err() error {
	if len(l.Problems) == 0 {
		return nil
	}
	ps := slices.Clone(l.Problems)
	slices.SortStableFunc(ps, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
	return &Error{Problems: ps}
}

// Error is a non-empty set of problems; its message is one problem a line.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Some names the first most of items, and how many it leaves out: "a, b,
// c and 4 more". A message names a few of many hosts, gateways or
// destinations, never all of thousands.
func Some[T any](items []T, most int, name func(T) string) string {
	names := make([]string, 0, min(len(items), most))
	for _, it := range items[:min(len(items), most)] {
		names = append(names, name(it))
	}
	s := strings.Join(names, ", ")
	if len(items) > most {
		s += fmt.Sprintf(" and %d more", len(items)-most)
	}
	return s
}

// Count is n and noun, plural unless n is 1: "1 route", "5000 routes".
// Every noun podroutes counts takes an s.
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
