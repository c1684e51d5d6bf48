package secret

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// OpenPrivate opens path for writing, owner-only (0600), for a file that holds secrets or records:
// the transcript, the debug log, --keys-file. It never follows a symlink at path (someone who can
// write the directory could point it at a file of theirs, or at one the user cares about), refuses
// anything but a regular file, and tightens a file that already existed with looser permissions
// (OpenFile's mode only applies to files it creates). With appendTo the file is appended to, else
// truncated.
func OpenPrivate(path string, appendTo bool) (*os.File, error) {
	if path == "" {
		return nil, errors.New("no file name")
	}
	flag := os.O_CREATE | os.O_WRONLY | noFollow
	if appendTo {
		flag |= os.O_APPEND
	}
	// Lstat first where O_NOFOLLOW does not exist, and for a clearer message where it does.
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return nil, fmt.Errorf("%s is a symbolic link; refusing to write through it (remove it or pick another path)", path)
	}
	f, err := os.OpenFile(path, flag, 0o600)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			// The symlink appeared between Lstat and OpenFile: O_NOFOLLOW caught it.
			return nil, fmt.Errorf("%s is a symbolic link; refusing to write through it (remove it or pick another path)", path)
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file (%s); pick another path", path, fi.Mode().Type())
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot make %s private (0600): %w; pick another path", path, err)
	}
	if !appendTo {
		// Truncate only now: O_TRUNC at open would empty a file we then refuse.
		if err := f.Truncate(0); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}

// WriteFile writes data to path as OpenPrivate opens it (0600, no symlink, replacing what was there).
func WriteFile(path string, data []byte) error {
	f, err := OpenPrivate(path, false)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
