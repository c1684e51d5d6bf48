//go:build unix

package privfile

import (
	"os"
	"syscall"
)

// noFollow makes the open itself fail on a symbolic link, closing the gap after Lstat.
const noFollow = syscall.O_NOFOLLOW

// nonBlock makes opening a FIFO return at once (an error with no reader, or a handle that Stat then
// refuses) instead of waiting forever for the other end, deaf to signals.
const nonBlock = syscall.O_NONBLOCK

// errNoReader is what a non-blocking open of a FIFO with no reader fails with.
const errNoReader = syscall.ENXIO

// clearNonBlock makes a regular file's descriptor blocking again, as an ordinary open leaves it.
func clearNonBlock(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.SetNonblock(int(fd), false) }); err != nil {
		return err
	}
	return serr
}
