package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/bankdown/linkrecovery/internal/privfile"
)

// Write writes r's Markdown report to path, mode 0600 and never through a symbolic link
// (internal/privfile): a report names the person's Item and accounts.
func Write(path string, r Run) error {
	if path == "" {
		return errors.New("the report needs a file name")
	}
	if err := privfile.Write(path, Markdown(r)); err != nil {
		return fmt.Errorf("cannot write the report: %w", err)
	}
	return nil
}

// FileName is a report's name that says when it was made, in t's own zone (the person's clock):
// linkrecovery-report-20261201-224639.md.
func FileName(t time.Time) string {
	return "linkrecovery-report-" + t.Format("20060102-150405") + ".md"
}

// Save writes r into dir under FileName(now), or FileName with -2, -3, … when that name is taken
// (two saves in one second), and returns the path it wrote.
func Save(dir string, r Run, now time.Time) (string, error) {
	base := FileName(now)
	ext := filepath.Ext(base)
	for i := 1; i <= 100; i++ {
		name := base
		if i > 1 {
			name = fmt.Sprintf("%s-%d%s", base[:len(base)-len(ext)], i, ext)
		}
		p := filepath.Join(dir, name)
		if _, err := os.Lstat(p); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("cannot write the report in %s: %w", dir, err)
		}
		if err := Write(p, r); err != nil {
			return "", err
		}
		return p, nil
	}
	return "", fmt.Errorf("cannot write the report in %s: %s and 99 more names like it are taken; remove old reports or choose another directory", dir, base)
}

// Prepare makes sure a report can be written at path when the run ends: it creates the file
// (empty, mode 0600, never through a symbolic link), so a path that cannot be written fails at
// the start rather than after the run.
func Prepare(path string) error {
	if path == "" {
		return errors.New("the report needs a file name")
	}
	f, err := privfile.Create(path)
	if err != nil {
		return fmt.Errorf("cannot write the report %s: %w; pick a writable path", path, err)
	}
	return f.Close()
}
