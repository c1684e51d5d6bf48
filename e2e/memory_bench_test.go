package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// floodCount and floodBodySize are the flood of issue 15: unsigned webhooks of about 1 MiB each,
// which anyone who learns the webhook URL (ngrok, --public-host) can send.
const (
	floodCount    = 400
	floodBodySize = 1<<20 - 512
)

// BenchmarkWebhookFloodRSS runs the real binary, headless and in a real terminal (tmux) with the
// inspector open, posts floodCount unsigned webhooks of about 1 MiB to its receiver, and reports
// the process's resident memory from /proc: before the flood (the baseline, measured in the same
// run), after it, and its peak. It asserts nothing: run it by hand,
//
//	go test ./e2e -run '^$' -bench WebhookFloodRSS -benchtime 1x
//
// The receiver, the Events channel and the inspector keep a bounded prefix of each body, so the
// figures after the flood stay near the baseline instead of growing with it.
func BenchmarkWebhookFloodRSS(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("needs /proc (Linux) to read the process's resident memory")
	}
	bin := benchBinary(b)
	body := floodBody()
	for _, mode := range []string{"headless", "tui"} {
		b.Run(mode, func(b *testing.B) {
			var idle, after, peak, taken float64
			for range b.N {
				p := startFloodTarget(b, bin, mode)
				i, _ := procMemMiB(b, p.pid)
				client := &http.Client{Timeout: time.Minute}
				for n := range floodCount {
					if err := postUnsigned(client, p.webhookURL, body); err != nil {
						b.Fatalf("webhook %d: %v", n, err)
					}
				}
				got := p.settle()
				a, h := procMemMiB(b, p.pid)
				p.stop()
				idle, after, peak, taken = idle+i, after+a, peak+h, taken+float64(got)
			}
			n := float64(b.N)
			b.ReportMetric(idle/n, "MiB-RSS-before")
			b.ReportMetric(after/n, "MiB-RSS-after")
			b.ReportMetric(peak/n, "MiB-RSS-peak")
			// How many webhooks the app took in (a TUI that falls behind drops some from its queue).
			b.ReportMetric(taken/n, "webhooks-taken")
		})
	}
}

// floodBody is an unsigned LINK webhook padded to floodBodySize bytes.
func floodBody() []byte {
	head := `{"webhook_type":"LINK","webhook_code":"SESSION_FINISHED","status":"SUCCESS","pad":"`
	return []byte(head + strings.Repeat("x", floodBodySize-len(head)-2) + `"}`)
}

func postUnsigned(c *http.Client, url string, body []byte) error {
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		return fmt.Errorf("HTTP %d, want 401 (not verified)", resp.StatusCode)
	}
	return nil
}

// floodTarget is a running linkrecovery whose receiver listens on webhookURL.
type floodTarget struct {
	pid        int
	webhookURL string
	// settle waits until the app has taken in what it was sent (or stopped taking any in) before
	// memory is read, and says how many webhooks it took in.
	settle func() int
	stop   func()
}

// startFloodTarget starts bin in demo mode on half 2 (headless, or in a 120×45 tmux session with
// the inspector open) with its receiver on a free loopback port, and waits until it answers.
func startFloodTarget(b *testing.B, bin, mode string) floodTarget {
	b.Helper()
	addr := freeAddr(b)
	args := []string{"--half", "2", "--listen", addr, "--webhook-url", "http://" + addr + "/webhook"}
	t := floodTarget{webhookURL: "http://" + addr + "/webhook"}
	switch mode {
	case "headless":
		cmd := exec.Command(bin, append([]string{"--no-tui"}, args...)...)
		cmd.Env, cmd.Dir = cleanEnv(), b.TempDir()
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		lines := make(chan string, 1<<14)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				select {
				case lines <- sc.Text():
				default:
				}
			}
			close(lines)
		}()
		t.pid = cmd.Process.Pid
		t.stop = func() { cmd.Process.Kill(); cmd.Wait() }
		b.Cleanup(t.stop)
		// Headless prints one webhook record per webhook: settled once all of them are out.
		t.settle = func() int {
			seen := 0
			deadline := time.After(waitTimeout)
			for seen < floodCount {
				select {
				case l, ok := <-lines:
					if !ok {
						b.Fatal("the headless run ended during the flood")
					}
					if strings.Contains(l, `"event":"webhook"`) {
						seen++
					}
				case <-deadline:
					b.Fatalf("only %d of %d webhook records within %s", seen, floodCount, waitTimeout)
				}
			}
			return seen
		}
	case "tui":
		if _, err := exec.LookPath("tmux"); err != nil {
			b.Skip("tmux is not installed (apt-get install -y tmux)")
		}
		s := &tmuxSession{socket: fmt.Sprintf("lr-bench-%d-%d", os.Getpid(), time.Now().UnixNano()), name: "lr", env: cleanEnv()}
		if _, err := s.tmux(append([]string{"new-session", "-d", "-s", s.name, "-x", "120", "-y", "45", "-c", b.TempDir(), bin}, args...)...); err != nil {
			b.Fatal(err)
		}
		t.stop = func() { s.tmux("kill-server") }
		b.Cleanup(t.stop)
		pane, err := s.tmux("list-panes", "-t", s.name, "-F", "#{pane_pid}")
		if err != nil {
			b.Fatal(err)
		}
		if t.pid, err = strconv.Atoi(strings.TrimSpace(string(pane))); err != nil {
			b.Fatal(err)
		}
		if !poll(waitTimeout, func() bool { return headerCount(s.capture(false)) == 0 }) {
			b.Fatalf("the TUI did not start:\n%s", s.capture(false))
		}
		if _, err := s.tmux("send-keys", "-t", s.name, "w"); err != nil {
			b.Fatal(err)
		}
		// The header counts what the TUI took in: settled at floodCount, or once the count has
		// not moved for a few polls (events it had no time for are dropped from its queue).
		t.settle = func() int {
			last, still := -1, 0
			poll(waitTimeout, func() bool {
				n := headerCount(s.capture(false))
				if n == last {
					still++
				} else {
					last, still = n, 0
				}
				return n == floodCount || still >= 8
			})
			return last
		}
	}
	if !poll(waitTimeout, func() bool {
		resp, err := http.Get("http://" + addr + "/complete") // counts nothing without the nonce
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	}) {
		b.Fatalf("the receiver on %s never answered", addr)
	}
	return t
}

// headerCount is the "webhooks: N" of the TUI's header, or -1.
func headerCount(screen string) int {
	_, rest, ok := strings.Cut(screen, "webhooks: ")
	if !ok {
		return -1
	}
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(rest)
	}
	n, err := strconv.Atoi(rest[:end])
	if err != nil {
		return -1
	}
	return n
}

// procMemMiB reads a process's resident memory now (VmRSS) and at its peak (VmHWM), in MiB.
func procMemMiB(b *testing.B, pid int) (rss, hwm float64) {
	b.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(l, ":")
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		switch {
		case err != nil:
		case k == "VmRSS":
			rss = kb / 1024
		case k == "VmHWM":
			hwm = kb / 1024
		}
	}
	if rss == 0 || hwm == 0 {
		b.Fatalf("no VmRSS or VmHWM in /proc/%d/status", pid)
	}
	return rss, hwm
}

// freeAddr is a loopback address with a port nothing listens on right now.
func freeAddr(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// benchBinary builds linkrecovery once for the benchmark.
func benchBinary(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "linkrecovery")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
