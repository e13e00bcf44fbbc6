package session

import (
	"os/exec"
	"syscall"
)

// setDeathSignal has the kernel kill cmd should the test binary die
// without stopping the cluster.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
