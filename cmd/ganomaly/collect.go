// Collecting the inputs of ganomaly score: PATH arguments to rows (folders
// through preprocess.ListDir) and where each heat map goes.

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ganomaly-go/ganomaly/preprocess"
)

// collect expands the PATH arguments into rows, in argument order and, in a
// folder, in lexical order (preprocess.ListDir's rules), and returns what
// the folder scans left out. Paths that do not exist, unreadable folders
// and folders without images become error rows.
func collect(paths []string) ([]*row, []preprocess.Skipped) {
	var rows []*row
	var skipped []preprocess.Skipped
	seen := map[string]bool{}
	add := func(r *row) {
		key := filepath.Clean(r.path)
		if r.err == "" && seen[key] {
			return // named twice (a file and its folder): score it once
		}
		seen[key] = true
		rows = append(rows, r)
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			add(&row{path: p, err: describeErr(err)})
			continue
		}
		if !st.IsDir() {
			add(&row{path: p, label: preprocess.LabelOf(p)})
			continue
		}
		l, err := preprocess.ListDir(p)
		if err != nil {
			add(&row{path: p, err: describeErr(err)})
			continue
		}
		for _, im := range l.Images {
			add(&row{path: im.Path, label: im.Label})
		}
		for _, u := range l.Unreadable {
			add(&row{path: u.Path, err: u.Reason})
		}
		skipped = append(skipped, l.Skipped...)
		if len(l.Images) == 0 && len(l.Unreadable) == 0 {
			add(&row{path: p, err: "no image files in this folder: " + preprocess.NoImagesText()})
		}
	}
	return rows, skipped
}

func describeErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

// assignHeatmaps decides every row's heat-map file: the folder structure
// below each folder argument (under the folder's own name) is mirrored in
// dir; files named directly go to dir itself; clashes get -2, -3, ...
func assignHeatmaps(rows []*row, paths []string, dir string) {
	used := map[string]bool{}
	for _, r := range rows {
		if r.err != "" {
			continue
		}
		rel := filepath.Base(r.path)
		for _, p := range paths {
			clean := filepath.Clean(p)
			if st, err := os.Stat(clean); err == nil && st.IsDir() {
				if sub, err := filepath.Rel(clean, r.path); err == nil && !strings.HasPrefix(sub, "..") {
					root := filepath.Base(clean)
					if abs, err := filepath.Abs(clean); err == nil {
						root = filepath.Base(abs)
					}
					rel = filepath.Join(root, sub)
					break
				}
			}
		}
		name := filepath.Join(dir, rel+".png")
		for i := 2; used[name]; i++ {
			name = filepath.Join(dir, fmt.Sprintf("%s-%d.png", rel, i))
		}
		used[name] = true
		r.heatmap = name
	}
}
