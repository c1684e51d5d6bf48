// Package emulator is a local stand-in for the parts of the Plaid Sandbox that Link Recovery testing
// touches. The real plaid-go client talks to it as if it were Plaid; it also does what the real Sandbox
// cannot: it "sends" the Link Recovery e-mail, so the whole flow can be tested end to end offline.
//
// It serves three things from one http.Handler:
//   - the Plaid API subset (POST /link/token/create, ...), with Plaid's request, response and error shapes;
//   - the Hosted Link pages (/hosted-link/{id}), server-rendered HTML that works without JavaScript;
//   - control endpoints under /emulator/, never showing the secret: human pages GET /emulator (index)
//     and GET /emulator/inbox, whose one button carries a per-process form token; and machine
//     endpoints that take the API keys as the Plaid API does, JSON only: GET /emulator/inbox.json,
//     GET /emulator/deliveries.json, POST /emulator/institutions/restore, POST and DELETE
//     /emulator/faults, POST /emulator/webhook_faults (see guard.go), and the audit's hooks
//     POST /emulator/exchanges and POST /emulator/webhook/sign (exchanges.go, signwebhook.go).
//
// All state lives in one mutex-guarded store. Hosted Link pages and CompleteSession drive the same
// transition functions (flow.go), so a scripted run produces exactly the events and webhooks a person
// with a browser would. Webhooks are signed like Plaid's and delivered by goroutines that Close waits for.
package emulator

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bankdown/linkrecovery/internal/httpserve"
	"github.com/bankdown/linkrecovery/internal/positive"
	"github.com/bankdown/linkrecovery/internal/sanitize"
)

// Sandbox institutions the emulator knows. The first is the one Link Recovery flows use by default.
const (
	DefaultInstitutionID = "ins_109508" // First Platypus Bank
)

// Sandbox credentials, as Plaid documents them for Link Recovery testing.
const (
	UserGood            = "user_good"
	PassGood            = "pass_good"
	PassInstitutionDown = "error_INSTITUTION_DOWN"
	UserLinkRecovery    = "user_link_recovery"
	PassLinkRecovery    = "{}"
	RecoveryEmail       = "example@plaid.com"
	RecoveryCode        = "123456"
)

// Lifetimes, as Plaid documents them. LinkTokenLifetime applies to link tokens without Hosted Link;
// with Hosted Link the token expires with its URL ("If using Hosted Link, the link_token will expire
// at the same time as the Hosted Link URL"): DefaultHostedURLLife unless url_lifetime_seconds says
// otherwise, at most MaxHostedURLLife. A link delivered by e-mail (the recovery e-mail) lives
// EmailHostedURLLife.
const (
	LinkTokenLifetime    = 4 * time.Hour
	DefaultHostedURLLife = 30 * time.Minute
	MaxHostedURLLife     = 21 * 24 * time.Hour
	EmailHostedURLLife   = 7 * 24 * time.Hour
	PublicTokenLifetime  = 30 * time.Minute
)

// Plaid's webhook retry schedule: "if your endpoint returns a non-200 status or doesn't respond
// within 10 seconds, Plaid keeps retrying delivery for up to 24 hours using exponential backoff
// (starting at 30 seconds, with each delay 4× the previous)".
const (
	DefaultWebhookBackoff  = 30 * time.Second
	WebhookBackoffFactor   = 4
	DefaultWebhookRetryFor = 24 * time.Hour
	DefaultWebhookTimeout  = 10 * time.Second
)

// Config configures an Emulator. The zero value is usable.
type Config struct {
	// ClientID and Secret are the API keys the emulator accepts. Empty means "make them up".
	ClientID string
	Secret   string
	// BaseURL is the public base URL (scheme://host:port, no trailing slash) used to build
	// hosted_link_url and the links in recovery e-mails. It can also be set later with SetBaseURL,
	// once the listener's address is known.
	BaseURL string
	// HTTPClient delivers webhooks. nil means a client with a 10 s timeout. Either way the emulator
	// makes it follow no redirects and, when its Transport is an *http.Transport (or nil), sets that
	// transport's DialContext and Proxy so it cannot reach link-local addresses or the emulator itself.
	HTTPClient *http.Client
	// WebhookBackoff is the wait, on the emulator's clock, between a delivery's failed first attempt
	// and its first retry; each later wait is WebhookBackoffFactor (4) times the one before, as at
	// Plaid. 0 means DefaultWebhookBackoff (30 s). Tests that want quick retries on the real clock
	// set it small; tests on a Config.Now clock keep Plaid's and Advance.
	WebhookBackoff time.Duration
	// WebhookRetryFor is how long after its first attempt a failed delivery is still retried: a retry
	// that would fall later is not made and the delivery is failed. 0 means 24 hours, Plaid's.
	WebhookRetryFor time.Duration
	// WebhookAttempts, if positive, caps the attempts per delivery (the first included), below what
	// WebhookRetryFor allows. 0 means no cap beyond the retry window.
	WebhookAttempts int
	// WebhookTimeout is how long an attempt waits for the receiver's answer, in real time, before it
	// counts as failed. 0 means DefaultWebhookTimeout (10 s), Plaid's.
	WebhookTimeout time.Duration
	// Logf, if set, receives one record per notable event (requests, webhook deliveries). Never
	// secrets. Each record is already made inert (internal/sanitize): one line, no control byte, so a
	// request path, header or webhook target cannot drive the terminal or forge a line of its own.
	// The emulator calls it as Logf("%s", record).
	Logf func(format string, args ...any)
	// Now is the real clock (tests); nil means time.Now. The emulator's own clock is Now moved on by
	// Advance. With a Now of its own the emulator sets no wall-clock timer: work that falls due
	// later (retries, an abandoned session's EVENTS) runs when Advance reaches it, or on the next
	// request or Advance after the given clock has passed it.
	Now func() time.Time
	// AbandonedSessionDelay is how long after a Hosted Link session's last interaction its EVENTS
	// webhook goes out when the user has not finished. Plaid: "If the user abandons the Link flow
	// ..., the webhook will be fired 5-15 minutes after the last user interaction." 0 means
	// DefaultAbandonedSessionDelay; the demo uses a few seconds so the behaviour can be seen.
	AbandonedSessionDelay time.Duration

	// sleep waits d or until ctx is done, reporting whether the whole wait happened; nil means
	// sleepCtx. Internal tests wrap it to see the waits (fault delays, backoff) without timing them.
	sleep func(ctx context.Context, d time.Duration) bool
}

// Emulator is an http.Handler serving the Plaid API subset, the Hosted Link pages and the control
// endpoints (/emulator/...). It is safe for concurrent use.
type Emulator struct {
	clientID     string
	secret       string
	httpClient   *http.Client
	attempts     int
	backoff      time.Duration
	retryFor     time.Duration
	whTimeout    time.Duration
	logf         func(format string, args ...any)
	base         func() time.Time // the real clock (Config.Now or time.Now)
	manual       bool             // base is the caller's: no wall-clock timers (clock.go)
	offset       atomic.Int64     // nanoseconds Advance has added to base
	now          func() time.Time // the emulator's clock: base + offset
	advanceMu    sync.Mutex       // one Advance at a time
	wake         chan struct{}    // pokes the task runner
	abandonAfter time.Duration
	sleep        func(ctx context.Context, d time.Duration) bool

	// ctx is cancelled by Close; webhook goroutines watch it and wg counts them.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu           sync.Mutex // guards everything below
	closed       bool
	baseURL      string
	linkTokens   map[string]*linkToken
	hosted       map[string]*hostedLink
	publicTokens map[string]*publicToken
	items        map[string]*item // by item id
	accessTokens map[string]*item
	keys         []*signingKey // oldest first; the last one signs
	down         map[string]bool
	optIns       []*optIn
	inbox        []Email // oldest first
	faults       map[string][]Fault
	whFault      WebhookFault
	deliveries   []*delivery
	exchanges    []ExchangeAttempt // every keyed /item/public_token/exchange (exchanges.go)
	queues       map[string]*deliveryQueue
	queuesIdle   *sync.Cond // signalled (on mu) when a queue has sent everything it had
	lastSweep    time.Time  // when sweepLocked last ran (see sweep.go)
	tasks        []*task    // work that falls due later (clock.go)
	taskSeq      uint64

	// formToken is the per-process token the control pages' forms carry (guard.go).
	formToken string
	// ownMu guards the addresses the emulator is reachable at, which webhooks must not target.
	ownMu      sync.Mutex
	ownPorts   map[string]struct{}
	ownHostSet map[string]struct{}
}

// New returns an emulator ready to serve.
func New(cfg Config) (*Emulator, error) {
	e := &Emulator{
		clientID:     cfg.ClientID,
		secret:       cfg.Secret,
		httpClient:   cfg.HTTPClient,
		attempts:     cfg.WebhookAttempts,
		backoff:      cfg.WebhookBackoff,
		retryFor:     cfg.WebhookRetryFor,
		whTimeout:    cfg.WebhookTimeout,
		base:         cfg.Now,
		manual:       cfg.Now != nil,
		wake:         make(chan struct{}, 1),
		abandonAfter: cfg.AbandonedSessionDelay,
		sleep:        cfg.sleep,
		baseURL:      strings.TrimRight(cfg.BaseURL, "/"),
		linkTokens:   map[string]*linkToken{},
		hosted:       map[string]*hostedLink{},
		publicTokens: map[string]*publicToken{},
		items:        map[string]*item{},
		accessTokens: map[string]*item{},
		down:         map[string]bool{},
		faults:       map[string][]Fault{},
		queues:       map[string]*deliveryQueue{},
		formToken:    randomHex(32),
		ownPorts:     map[string]struct{}{},
		ownHostSet:   map[string]struct{}{},
	}
	if e.clientID == "" {
		e.clientID = randomHex(24) // Plaid client ids are 24 hex characters
	}
	if e.secret == "" {
		e.secret = randomHex(30) // and secrets 30
	}
	e.httpClient = e.guardWebhookClient(e.httpClient)
	e.noteBaseURL(e.baseURL)
	e.backoff = positive.Or(e.backoff, DefaultWebhookBackoff)
	e.retryFor = positive.Or(e.retryFor, DefaultWebhookRetryFor)
	e.whTimeout = positive.Or(e.whTimeout, DefaultWebhookTimeout)
	e.logf = inertLogf(cfg.Logf)
	if e.base == nil {
		e.base = time.Now
	}
	e.now = func() time.Time { return e.base().Add(time.Duration(e.offset.Load())) }
	e.abandonAfter = positive.Or(e.abandonAfter, DefaultAbandonedSessionDelay)
	if e.sleep == nil {
		e.sleep = sleepCtx
	}
	key, err := newSigningKey(e.realNow())
	if err != nil {
		return nil, err
	}
	e.keys = []*signingKey{key}
	e.queuesIdle = sync.NewCond(&e.mu)
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.wg.Add(1)
	go e.runTasks()
	return e, nil
}

// ServeHTTP serves the Plaid API, the Hosted Link pages and the control endpoints.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.noteRequestAddr(r)
	e.sweep()
	e.poke() // with a caller's clock, work it has moved past runs now
	p := r.URL.Path
	switch {
	case p == "/emulator" || strings.HasPrefix(p, "/emulator/"):
		e.serveControl(w, r)
	case strings.HasPrefix(p, "/hosted-link/"):
		e.servePage(w, r)
	default:
		e.serveAPI(w, r)
	}
}

// ClientID returns the client id the emulator accepts.
func (e *Emulator) ClientID() string { return e.clientID }

// Secret returns the secret the emulator accepts. Callers must never print it in full.
func (e *Emulator) Secret() string { return e.secret }

// SetBaseURL sets the public base URL used in hosted_link_url and e-mail links.
func (e *Emulator) SetBaseURL(u string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.baseURL = strings.TrimRight(u, "/")
	e.noteBaseURL(e.baseURL)
}

// BaseURL returns the public base URL.
func (e *Emulator) BaseURL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.baseURL
}

// Close stops pending webhook deliveries and waits for their goroutines. The handler keeps
// answering API calls afterwards, but no further webhooks are sent.
func (e *Emulator) Close() error {
	e.mu.Lock()
	e.closed = true
	for _, t := range e.tasks {
		t.cancelled = true
	}
	e.tasks = nil
	for _, d := range e.deliveries {
		if d.State == "pending" && !d.NextAttemptAt.IsZero() {
			d.State, d.Err, d.DoneAt, d.NextAttemptAt = "cancelled", "emulator closed", e.now(), time.Time{}
		}
	}
	e.mu.Unlock()
	e.cancel()
	e.wg.Wait()
	e.httpClient.CloseIdleConnections()
	return nil
}

// inertLogf wraps the caller's Logf so that every record passes through the one sanitiser before it
// leaves the emulator: much of what it logs (paths, queries, form fields, webhook URLs, error texts)
// came from a request, and a raw ESC or newline there would reach whatever terminal or file the
// caller writes to (issue 15: an OSC 52 in a URL filled the clipboard of the emulator's terminal).
func inertLogf(logf func(string, ...any)) func(string, ...any) {
	if logf == nil {
		return func(string, ...any) {}
	}
	return func(format string, args ...any) {
		logf("%s", sanitize.Text(fmt.Sprintf(format, args...)))
	}
}

// signingKey is one webhook verification key (an ES256 / P-256 key pair).
type signingKey struct {
	KID       string
	Private   *ecdsa.PrivateKey
	CreatedAt time.Time
	ExpiredAt time.Time // zero while current
}

// timestamp formats t as Plaid does in JSON (RFC 3339, UTC, whole seconds).
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// NewServer returns the http.Server to serve e with: the limits every server of the app has
// (internal/httpserve), except that a response may take as long as the longest fault delay.
func NewServer(e *Emulator) *http.Server {
	return httpserve.New(e, httpserve.Limits{WriteTimeout: MaxFaultDelay + httpserve.WriteTimeout})
}
