// Package privfile writes files that hold secrets (keys, tokens): readable by the owner only, also
// when the file already existed with looser permissions, and never through a symbolic link, so a
// link planted at the path cannot redirect the secret elsewhere or clobber another file.
package privfile

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// Create opens path for writing (truncating it), mode 0600. It refuses a symbolic link and anything
// that is not a regular file, naming the cause and the next step.
func Create(path string) (*os.File, error) {
	return open(path, os.O_TRUNC)
}

// open is Create and Append: mode is os.O_TRUNC or os.O_APPEND.
func open(path string, mode int) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return nil, symlinkError(path)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|mode|noFollow, 0o600)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, symlinkError(path) // a link planted between Lstat and OpenFile
		}
		return nil, fmt.Errorf("cannot write %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot write %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("refusing to write %s: it is not a regular file (%s); choose another path", path, fi.Mode().Type())
	}
	// OpenFile's mode only applies to a new file: tighten one that existed with looser permissions.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot make %s private (mode 0600): %w", path, err)
	}
	return f, nil
}

// Append opens path for appending, as Create does otherwise (0600 also when it existed, never
// through a symbolic link, a regular file only): for a log kept across runs (LINKRECOVERY_DEBUG).
func Append(path string) (*os.File, error) {
	return open(path, os.O_APPEND)
}

// Write writes data to path as Create does.
func Write(path string, data []byte) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

func symlinkError(path string) error {
	return fmt.Errorf("refusing to write %s: it is a symbolic link, and a file holding secrets must not follow one; remove the link or choose another path", path)
}
