//go:build unix

package privfile

import "syscall"

// noFollow makes the open itself fail on a symbolic link, closing the gap after Lstat.
const noFollow = syscall.O_NOFOLLOW
