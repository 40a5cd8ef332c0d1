package cloudsim

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// Config configures a simulator.
type Config struct {
	// Estate is the estate to serve; when nil one is generated from
	// EstateConfig.
	Estate       *Estate
	EstateConfig EstateConfig
	// PlatformAccessKeyID and PlatformSecretAccessKey are the platform's
	// own AWS credentials, the only ones STS accepts for AssumeRole
	// (defaults "AKIAVALDRIXPLATFORM" / "platform-secret").
	PlatformAccessKeyID     string
	PlatformSecretAccessKey string
	// SessionDuration caps the lifetime of assumed-role credentials
	// (default one hour).
	SessionDuration time.Duration
	// TrustAll makes every role of every estate account assumable with any
	// external id (for `valdrix demo`); by default a role must be trusted
	// with TrustRole.
	TrustAll bool
	Logger   *slog.Logger
	Clock    valdrix.Clock
}

// Endpoints are the simulator's base URLs, one per cloud.
type Endpoints struct {
	AWS string // every AWS service; the SigV4 scope picks service and region
	// Azure is an https URL (trust it with Sim.TLSClient) serving Entra ID
	// (/{tenant}/oauth2/v2.0/token), Azure Resource Manager (/subscriptions,
	// /providers) and Blob storage with path-style accounts (/{account}).
	Azure string
	// GCP is an http URL with each Google API under its service name:
	// /oauth2, /sts, /iamcredentials, /cloudasset, /compute, /sqladmin,
	// /monitoring, /bigquery.
	GCP string
}

// Sim is a running cloud simulator.
type Sim struct {
	cfg    Config
	estate *Estate
	faults *Faults
	log    *slog.Logger
	clock  valdrix.Clock

	mu         sync.Mutex
	trusted    map[string]string // role ARN → external id
	sessions   map[string]session
	objects    *objectStore
	azure      *azureServer // azure.go
	gcp        *gcpServer   // gcp.go
	reDisabled map[string]bool
	ln         net.Listener
	srv        *http.Server
	closing    chan struct{}
	closed     bool
	started    bool
}

type session struct {
	account  int
	roleARN  string
	name     string
	secret   string
	token    string
	expires  time.Time
	platform bool
}

// New builds a simulator; Start makes it listen.
func New(cfg Config) (*Sim, error) {
	if cfg.Estate == nil {
		cfg.Estate = Generate(cfg.EstateConfig)
	}
	cfg.PlatformAccessKeyID = cmp.Or(cfg.PlatformAccessKeyID, "AKIAVALDRIXPLATFORM")
	cfg.PlatformSecretAccessKey = cmp.Or(cfg.PlatformSecretAccessKey, "platform-secret")
	cfg.SessionDuration = cmp.Or(cfg.SessionDuration, time.Hour)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = valdrix.SystemClock{}
	}
	s := &Sim{
		cfg: cfg, estate: cfg.Estate, faults: newFaults(), log: cfg.Logger, clock: cfg.Clock,
		trusted: map[string]string{}, sessions: map[string]session{}, closing: make(chan struct{}),
	}
	s.objects = newObjectStore()
	s.azure, s.gcp = newAzureServer(s), newGCPServer(s)
	return s, nil
}

// Start listens on 127.0.0.1 (a free port) and serves until Close or until
// ctx is done.
func (s *Sim) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("cloudsim: already started")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("cloudsim: listen: %w", err)
	}
	s.ln = ln
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serveAWS), ReadHeaderTimeout: 10 * time.Second}
	s.started = true
	go func() { _ = s.srv.Serve(ln) }()
	if err := s.startAzureGCP(ctx); err != nil {
		_ = ln.Close()
		return err
	}
	go func() {
		select {
		case <-ctx.Done():
			_ = s.Close()
		case <-s.closing:
		}
	}()
	return nil
}

// Endpoints returns the base URLs; empty before Start.
func (s *Sim) Endpoints() Endpoints {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return Endpoints{}
	}
	u := "http://" + s.ln.Addr().String()
	return Endpoints{AWS: u, Azure: s.azure.base, GCP: s.gcp.base}
}

// Close stops the servers; requests hanging on a timeout fault return.
func (s *Sim) Close() error {
	s.mu.Lock()
	if s.closed || !s.started {
		s.closed = true
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.closing)
	srv := s.srv
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s.closeAzureGCP(ctx)
	if err := srv.Shutdown(ctx); err != nil {
		return srv.Close()
	}
	return nil
}

// Estate returns the served estate.
func (s *Sim) Estate() *Estate { return s.estate }

// Faults returns the fault injector.
func (s *Sim) Faults() *Faults { return s.faults }

// PlatformCredentials returns the access key pair STS accepts.
func (s *Sim) PlatformCredentials() (accessKeyID, secretAccessKey string) {
	return s.cfg.PlatformAccessKeyID, s.cfg.PlatformSecretAccessKey
}

// TrustRole lets the platform assume roleARN when it presents externalID,
// as the customer's trust policy would. The role's account must be in the
// estate.
func (s *Sim) TrustRole(roleARN, externalID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trusted[roleARN] = externalID
}

// RoleARN returns the conventional read-only role ARN of an AWS account.
func RoleARN(accountID string) string { return "arn:aws:iam::" + accountID + ":role/ValdrixReadOnly" }

func randomKey(prefix string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return prefix + strings.ToUpper(hex.EncodeToString(b))
}

// issue creates temporary credentials for account acct.
func (s *Sim) issue(acct int, roleARN, name string, d time.Duration) (string, session) {
	akid := randomKey("ASIA", 8)
	ss := session{account: acct, roleARN: roleARN, name: name, secret: randomKey("", 20), token: randomKey("", 32),
		expires: s.clock.Now().Add(min(d, s.cfg.SessionDuration)).Truncate(time.Second)}
	s.mu.Lock()
	s.sessions[akid] = ss
	s.mu.Unlock()
	return akid, ss
}

// ExpireSessions makes every issued credential expire now (to test
// refreshing).
func (s *Sim) ExpireSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.sessions {
		v.expires = s.clock.Now().Add(-time.Second)
		s.sessions[k] = v
	}
}

// AssumeRoleCount returns how many AssumeRole calls succeeded.
func (s *Sim) AssumeRoleCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}
