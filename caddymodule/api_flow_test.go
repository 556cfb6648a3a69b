package caddymodule

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"reflect"
	"testing"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/fetch"
	"github.com/jebosio/matte/params"
)

// namesResolver answers from a map; other names do not resolve.
type namesResolver map[string]string

func (r namesResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := r[host]; ok {
		return []netip.Addr{netip.MustParseAddr(a)}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// refuseDialer dials nothing: every fetch here is refused or fails before.
type refuseDialer struct{ t *testing.T }

func (d refuseDialer) DialContext(_ context.Context, _, address string) (net.Conn, error) {
	d.t.Errorf("dialled %s", address)
	return nil, errors.New("refuseDialer")
}

// TestFetchFailureIsNoDNSOracle: an image_url whose name resolves to an
// internal address fails exactly as one whose name does not resolve (the
// same dialect.Failure, so every dialect answers the same status, code and
// message), while a URL refused as written (scheme, allowlist, literal
// internal address) is still Denied (remove.bg: invalid_image_url). Before,
// the resolved-private name was Denied and told the client the name exists.
func TestFetchFailureIsNoDNSOracle(t *testing.T) {
	f, err := fetch.New(fetch.Options{AllowedHosts: []string{"*.example.com", "10.0.0.1", "169.254.169.254"},
		Resolver: namesResolver{"internal.example.com": "10.0.0.1", "metadata.example.com": "169.254.169.254"},
		Dialer:   refuseDialer{t}})
	if err != nil {
		t.Fatal(err)
	}
	failure := func(u string) dialect.Failure {
		t.Helper()
		_, err := f.Fetch(context.Background(), fetch.Request{URL: u})
		var fe *fetch.FetchError
		if !errors.As(err, &fe) {
			t.Fatalf("%s: %v", u, err)
		}
		return fetchFailure("image_url", fe)
	}
	missing := failure("http://nxdomain.example.com/a.jpg")
	if missing.Denied || missing.Kind != dialect.FailFetch {
		t.Fatalf("a name that does not resolve: %+v", missing)
	}
	for _, u := range []string{"http://internal.example.com/a.jpg", "http://metadata.example.com/latest/meta-data"} {
		if got := failure(u); !reflect.DeepEqual(got, missing) {
			t.Errorf("%s: %+v, but a name that does not resolve gets %+v", u, got, missing)
		}
	}
	for _, u := range []string{"ftp://e.example.com/a.jpg", "http://other.test/a.jpg", "http://10.0.0.1/a.jpg", "http://169.254.169.254/latest/meta-data"} {
		if got := failure(u); !got.Denied {
			t.Errorf("%s: %+v, want Denied", u, got)
		}
	}
}

// TestUpstreamErrorIsNoDNSOracle: on the URL-transform path (an origin URL,
// a remote source, bg-image and mark) a name that resolves to an internal
// address is answered as a name that does not resolve: same status and
// detail, where it was 403 against 502.
func TestUpstreamErrorIsNoDNSOracle(t *testing.T) {
	f, err := fetch.New(fetch.Options{Resolver: namesResolver{"internal.example.com": "10.0.0.1"}, Dialer: refuseDialer{t}})
	if err != nil {
		t.Fatal(err)
	}
	answer := func(u string) (int, string) {
		t.Helper()
		_, err := f.Fetch(context.Background(), fetch.Request{URL: u})
		var pe *params.Error
		if !errors.As(upstreamError(err), &pe) {
			t.Fatalf("%s: %v", u, err)
		}
		return pe.Status, pe.Detail
	}
	status, detail := answer("http://nxdomain.example.com/a.jpg")
	if gotStatus, gotDetail := answer("http://internal.example.com/a.jpg"); gotStatus != status || gotDetail != detail {
		t.Errorf("a name resolving to 10.0.0.1: %d %q; one that does not resolve: %d %q", gotStatus, gotDetail, status, detail)
	}
	if s, _ := answer("http://10.0.0.1/a.jpg"); s != http.StatusForbidden {
		t.Errorf("a literal internal address: %d, want 403 (refused as written)", s)
	}
}
