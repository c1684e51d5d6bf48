package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"time"
)

// ErrTargetDown is wrapped by WaitForTarget's error when nothing answered at the target in time:
// the handler's app is not running, or the URL is wrong. No case was sent.
var ErrTargetDown = errors.New("audit: the target did not answer")

// downError says which target, for how long and why, and is ErrTargetDown.
type downError struct{ msg string }

func (e downError) Error() string        { return e.msg }
func (e downError) Is(target error) bool { return target == ErrTargetDown }

// targetProbeEvery is how often WaitForTarget tries the target while it waits for it to come up.
const targetProbeEvery = 200 * time.Millisecond

// WaitForTarget waits up to wait for target to answer a GET at all (any status), or to take the
// connection: a handler that only answers POST, or slowly, is up. It sends no webhook.
func WaitForTarget(ctx context.Context, hc *http.Client, target string, wait time.Duration) error {
	if hc == nil {
		hc = http.DefaultClient
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var last error
	for {
		connected := make(chan struct{}, 1)
		trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) {
			select {
			case connected <- struct{}{}:
			default:
			}
		}}
		actx, acancel := context.WithTimeout(httptrace.WithClientTrace(ctx, trace), 2*time.Second)
		req, err := http.NewRequestWithContext(actx, http.MethodGet, target, nil)
		if err != nil {
			acancel()
			return err
		}
		resp, err := hc.Do(req)
		acancel()
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			return nil
		}
		select {
		case <-connected:
			return nil // it took the connection; the cases will tell whether it answers in time
		default:
		}
		last = err
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return downError{fmt.Sprintf("%s did not answer within %s (%v)", target, wait, unwrapURLError(last))}
			}
			return ctx.Err()
		case <-time.After(targetProbeEvery):
		}
	}
}

// unwrapURLError drops url.Error's "Get URL:" prefix, which repeats the target the message names.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
