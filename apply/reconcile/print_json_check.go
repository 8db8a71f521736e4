package reconcile

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteDropInDrift writes a JSON line {"dropInDrift": "FILE: what"} for
// each way a podroutes networkd drop-in disagrees with the config (drift),
// after the routes' lines of WriteJSON (check --output json,
// docs/check.md).
func WriteDropInDrift(out io.Writer, drift []string) error {
	for _, d := range drift {
		line, err := json.Marshal(struct {
			DropInDrift string `json:"dropInDrift"`
		}{d})
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(out, "%s\n", line); err != nil {
			return err
		}
	}
	return nil
}

// WriteUnknown writes the one JSON line {"unknown": "why"} of a check that
// could not tell whether the routes are in place, so that a program
// reading the lines tells it from a report without routes.
func WriteUnknown(out io.Writer, why string) error {
	line, err := json.Marshal(struct {
		Unknown string `json:"unknown"`
	}{why})
	if err == nil {
		_, err = fmt.Fprintf(out, "%s\n", line)
	}
	return err
}
