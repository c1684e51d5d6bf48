//go:build !unix

package privfile

import (
	"os"
	"syscall"
)

// noFollow is 0 where O_NOFOLLOW does not exist; the Lstat check in Create still refuses a link.
const noFollow = 0

// nonBlock is 0 where O_NONBLOCK does not exist; the Lstat check refuses what is not a file.
const nonBlock = 0

// errNoReader never matches here (no FIFOs to open).
const errNoReader = syscall.Errno(0)

func clearNonBlock(*os.File) error { return nil }
