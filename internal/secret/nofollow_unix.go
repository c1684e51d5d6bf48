//go:build unix

package secret

import "syscall"

// noFollow makes open fail on a symlink at the last path element.
const noFollow = syscall.O_NOFOLLOW
