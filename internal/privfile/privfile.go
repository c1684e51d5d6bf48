// Package privfile writes files that hold secrets (keys, tokens): readable by the owner only, also
// when the file already existed with looser permissions, and never through a symbolic link, so a
// link planted at the path cannot redirect the secret elsewhere or clobber another file. It also
// reads the files secrets come from (.env, ngrok.yml).
//
// Only regular files are opened, and without blocking: a FIFO planted at the path would otherwise
// hold the open until someone opens the other end, and a process stuck in open(2) ignores the
// signal that asks it to stop.
package privfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
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
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSymlink != 0 {
			return nil, symlinkError(path)
		}
		if !fi.Mode().IsRegular() {
			return nil, notRegularError("write", path, fi.Mode())
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|mode|noFollow|nonBlock, 0o600)
	if err != nil {
		switch {
		case errors.Is(err, syscall.ELOOP):
			return nil, symlinkError(path) // a link planted between Lstat and OpenFile
		case errors.Is(err, errNoReader):
			return nil, notRegularError("write", path, fs.ModeNamedPipe) // a FIFO planted there meanwhile
		}
		return nil, fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := checkRegular(f, "write", path); err != nil {
		return nil, err
	}
	// OpenFile's mode only applies to a new file: tighten one that existed with looser permissions.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot make %s private (mode 0600): %w", path, err)
	}
	return f, nil
}

// checkRegular closes f and says why unless it is a regular file (what was opened, not what Lstat
// saw a moment before), and makes it blocking again.
func checkRegular(f *os.File, verb, path string) error {
	fi, err := f.Stat()
	switch {
	case err != nil:
		err = fmt.Errorf("cannot %s %s: %w", verb, path, err)
	case !fi.Mode().IsRegular():
		err = notRegularError(verb, path, fi.Mode())
	default:
		if err = clearNonBlock(f); err != nil {
			err = fmt.Errorf("cannot %s %s: %w", verb, path, err)
		}
	}
	if err != nil {
		f.Close()
	}
	return err
}

// MaxRead is how much Read reads at most: the files it is for are a few lines long.
const MaxRead = 1 << 20

// Read reads the regular file at path (following symbolic links: a config file is often one),
// without blocking on a FIFO and refusing anything that is not a regular file or is larger than
// MaxRead. An absent file is an error that errors.Is(err, fs.ErrNotExist).
func Read(path string) ([]byte, error) {
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, notRegularError("read", path, fi.Mode())
	}
	f, err := os.OpenFile(path, os.O_RDONLY|nonBlock, 0)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // "permission denied", not the path a second time
		}
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	if err := checkRegular(f, "read", path); err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxRead+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	if len(b) > MaxRead {
		return nil, fmt.Errorf("refusing to read %s: it is larger than %d KiB, far more than such a file holds; choose the right file", path, MaxRead>>10)
	}
	return b, nil
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

// notRegularError refuses a path that is not a regular file, saying what it is.
func notRegularError(verb, path string, mode fs.FileMode) error {
	what := "not a regular file (" + mode.Type().String() + ")"
	switch {
	case mode&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO), not a regular file"
	case mode.IsDir():
		what = "a directory, not a regular file"
	case mode&fs.ModeSocket != 0:
		what = "a socket, not a regular file"
	case mode&fs.ModeDevice != 0:
		what = "a device, not a regular file"
	}
	return fmt.Errorf("refusing to %s %s: it is %s; choose another path", verb, path, what)
}

func symlinkError(path string) error {
	return fmt.Errorf("refusing to write %s: it is a symbolic link, and a file holding secrets must not follow one; remove the link or choose another path", path)
}
