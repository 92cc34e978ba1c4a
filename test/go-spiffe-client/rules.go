package main

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/spiffe/go-spiffe/v2/bundle/x509bundle"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"
	"github.com/spiffe/go-spiffe/v2/workloadapi"
)

// checkSVID applies the client's own rules on top of what go-spiffe already enforced while
// parsing: the chain verifies against the bundle served with it (x509svid.Verify, Go's own chain
// building, so issuer/subject mismatches show up here), the verified ID is the SVID's ID (and the
// expected one), the private key belongs to the leaf, the leaf is a current non-CA signing cert.
func checkSVID(svid *x509svid.SVID, bundles x509bundle.Source, want *spiffeid.ID) (map[string]interface{}, error) {
	if len(svid.Certificates) == 0 {
		return nil, errors.New("no certificates")
	}
	id, _, err := x509svid.Verify(svid.Certificates, bundles)
	if err != nil {
		return nil, fmt.Errorf("x509svid.Verify: %w", err)
	}
	if id != svid.ID {
		return nil, fmt.Errorf("verified ID %s differs from the SVID's ID %s", id, svid.ID)
	}
	if want != nil && id != *want {
		return nil, fmt.Errorf("SPIFFE ID %s, want %s", id, *want)
	}
	leaf := svid.Certificates[0]
	if leaf.IsCA {
		return nil, errors.New("leaf is a CA")
	}
	if leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return nil, errors.New("leaf key usage lacks digitalSignature")
	}
	if now := time.Now(); now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return nil, fmt.Errorf("leaf not valid now (%s .. %s)", leaf.NotBefore, leaf.NotAfter)
	}
	pub, err := x509.MarshalPKIXPublicKey(svid.PrivateKey.Public())
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	if !bytes.Equal(pub, leaf.RawSubjectPublicKeyInfo) {
		return nil, errors.New("private key does not belong to the leaf")
	}
	bundle, err := bundles.GetX509BundleForTrustDomain(id.TrustDomain())
	if err != nil {
		return nil, err
	}
	return map[string]interface{}{
		"spiffeId":    id.String(),
		"serial":      leaf.SerialNumber.Text(16),
		"notAfter":    leaf.NotAfter.UTC().Format(time.RFC3339),
		"chainLength": len(svid.Certificates),
		"bundleSize":  len(bundle.X509Authorities()),
	}, nil
}

// watcher implements workloadapi.X509ContextWatcher: every update is validated, and done receives
// nil once `needed` distinct SVIDs (by serial) have been seen, or the first rule failure.
type watcher struct {
	want    *spiffeid.ID
	needed  int
	serials []string
	done    chan error
}

func (w *watcher) finish(err error) {
	select {
	case w.done <- err:
	default:
	}
}

func (w *watcher) OnX509ContextUpdate(c *workloadapi.X509Context) {
	if len(c.SVIDs) != 1 {
		w.finish(fmt.Errorf("update carries %d SVIDs, a volume serves exactly one", len(c.SVIDs)))
		return
	}
	summary, err := checkSVID(c.SVIDs[0], c.Bundles, w.want)
	if err != nil {
		w.finish(fmt.Errorf("pushed SVID rejected: %w", err))
		return
	}
	serial := summary["serial"].(string)
	summary["event"] = "update"
	summary["rotated"] = len(w.serials) > 0 && w.serials[len(w.serials)-1] != serial
	emit(summary)
	if len(w.serials) == 0 || w.serials[len(w.serials)-1] != serial {
		w.serials = append(w.serials, serial)
	}
	if len(w.serials) >= w.needed {
		w.finish(nil)
	}
}

// Watch errors are reported but not fatal: go-spiffe retries (UNAVAILABLE before the first
// issuance is the API's documented way to say "not yet"); the -timeout bounds the wait.
func (w *watcher) OnX509ContextWatchError(err error) {
	emit(map[string]interface{}{"event": "watch-error", "error": err.Error()})
}
