package fetch

import (
	"errors"
	"net/netip"
	"testing"
)

// deniedAddrs holds one or more addresses of every refused class, with the
// class Classify must give. None of them is ever dialled: tests only feed
// them to Classify, to the IPPolicy, or to the fake resolver.
var deniedAddrs = []struct {
	ip    string
	class Class
}{
	{"0.0.0.0", ClassUnspecified},
	{"0.1.2.3", ClassUnspecified},
	{"10.0.0.1", ClassPrivate},
	{"10.255.255.255", ClassPrivate},
	{"172.16.0.1", ClassPrivate},
	{"172.31.255.254", ClassPrivate},
	{"192.168.1.1", ClassPrivate},
	{"100.64.0.1", ClassCGNAT},
	{"100.127.255.254", ClassCGNAT},
	{"127.0.0.1", ClassLoopback},
	{"127.255.0.9", ClassLoopback},
	{"169.254.169.254", ClassLinkLocal},
	{"169.254.0.1", ClassLinkLocal},
	{"192.0.0.8", ClassReserved},
	{"192.0.2.1", ClassDocumentation},
	{"198.51.100.7", ClassDocumentation},
	{"203.0.113.9", ClassDocumentation},
	{"192.88.99.1", ClassReserved},
	{"198.18.0.1", ClassReserved},
	{"198.19.255.255", ClassReserved},
	{"224.0.0.1", ClassMulticast},
	{"239.255.255.250", ClassMulticast},
	{"240.0.0.1", ClassReserved},
	{"255.255.255.255", ClassBroadcast},
	{"::", ClassUnspecified},
	{"::1", ClassLoopback},
	{"fc00::1", ClassPrivate},
	{"fd12:3456::1", ClassPrivate},
	{"fec0::1", ClassPrivate},
	{"fe80::1", ClassLinkLocal},
	{"fe80::1%eth0", ClassLinkLocal},
	{"febf::1", ClassLinkLocal},
	{"ff02::1", ClassMulticast},
	{"ff0e::1", ClassMulticast},
	{"2001:db8::1", ClassDocumentation},
	{"3fff::1", ClassDocumentation},
	{"100::1", ClassReserved},
	{"2001:2::1", ClassReserved},
	{"2001:10::1", ClassReserved},
	{"5f00::1", ClassReserved},
	// Local-use NAT64 (RFC 8215) read as a /96 prefix: private, or the
	// embedded address's class when that is worse.
	{"64:ff9b:1::808:808", ClassPrivate},     // 8.8.8.8 through an operator's translator
	{"64:ff9b:1::a00:1", ClassPrivate},       // 10.0.0.1
	{"64:ff9b:1::7f00:1", ClassLoopback},     // 127.0.0.1
	{"64:ff9b:1::a9fe:a9fe", ClassLinkLocal}, // 169.254.169.254
	{"64:ff9b:1:ffff::6440:1", ClassCGNAT},   // 100.64.0.1, another /96 inside the /48
	{"64:ff9b:1::1", ClassUnspecified},       // 0.0.0.1
	{"4000::1", ClassReserved},               // outside 2000::/3
	{"::2:0:0:1", ClassReserved},
	// IPv6 forms embedding an IPv4 address take the IPv4 address's class.
	{"::ffff:127.0.0.1", ClassLoopback},
	{"::ffff:10.0.0.1", ClassPrivate},
	{"::ffff:169.254.169.254", ClassLinkLocal},
	{"::ffff:0.0.0.0", ClassUnspecified},
	{"::127.0.0.1", ClassLoopback},              // IPv4-compatible
	{"::a9fe:a9fe", ClassLinkLocal},             // ::169.254.169.254
	{"::0.0.0.2", ClassUnspecified},             // IPv4-compatible 0.0.0.2
	{"::ffff:0:10.1.2.3", ClassPrivate},         // IPv4-translated
	{"64:ff9b::127.0.0.1", ClassLoopback},       // NAT64
	{"64:ff9b::a9fe:a9fe", ClassLinkLocal},      // NAT64 169.254.169.254
	{"2002:7f00:1::", ClassLoopback},            // 6to4 127.0.0.1
	{"2002:c0a8:101::1", ClassPrivate},          // 6to4 192.168.1.1
	{"2002:a9fe:a9fe::", ClassLinkLocal},        // 6to4 metadata
	{"2001:0:7f00:1::", ClassLoopback},          // Teredo server 127.0.0.1
	{"2001:0:808:808::f5ff:fffe", ClassPrivate}, // Teredo client ^f5ff:fffe = 10.0.0.1
}

func TestClassifyDenied(t *testing.T) {
	var zero IPPolicy
	for _, tc := range deniedAddrs {
		ip := netip.MustParseAddr(tc.ip)
		if got := Classify(ip); got != tc.class {
			t.Errorf("Classify(%s) = %s, want %s", tc.ip, got, tc.class)
		}
		err := zero.Check(ip)
		var fe *FetchError
		if !errors.As(err, &fe) || fe.Kind != KindDenied || fe.Reason != tc.class.String() || fe.Addr != ip {
			t.Errorf("Check(%s) = %v, want denied %s", tc.ip, err, tc.class)
		}
	}
}

func TestClassifyPublic(t *testing.T) {
	var zero IPPolicy
	for _, s := range []string{
		"8.8.8.8", "1.1.1.1", "93.184.216.34", "100.63.255.255", "100.128.0.0",
		"172.15.255.255", "172.32.0.0", "192.167.255.255", "192.169.0.0",
		"169.253.255.255", "169.255.0.0", "198.17.255.255", "198.20.0.0",
		"223.255.255.255", "11.0.0.0", "9.255.255.255", "126.255.255.255", "128.0.0.0",
		"2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "2001:4860:4860::8888",
		"::ffff:8.8.8.8", "64:ff9b::8.8.8.8", "2002:808:808::1", "2001:0:808:808::f7f7:f7f7",
	} {
		ip := netip.MustParseAddr(s)
		if got := Classify(ip); got != ClassPublic {
			t.Errorf("Classify(%s) = %s, want public", s, got)
		}
		if err := zero.Check(ip); err != nil {
			t.Errorf("Check(%s) = %v", s, err)
		}
	}
	if Classify(netip.Addr{}) != ClassInvalid || zero.Check(netip.Addr{}) == nil {
		t.Error("the zero Addr must be invalid and denied")
	}
}

func TestEmbeddedIPv4(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"::ffff:1.2.3.4", []string{"1.2.3.4"}},
		{"::1.2.3.4", []string{"1.2.3.4"}},
		{"::ffff:0:1.2.3.4", []string{"1.2.3.4"}},
		{"64:ff9b::1.2.3.4", []string{"1.2.3.4"}},
		{"64:ff9b:1::1.2.3.4", []string{"1.2.3.4"}},
		{"64:ff9b:1:abcd:ef01:2345:1.2.3.4", []string{"1.2.3.4"}},
		{"2002:102:304:5::6", []string{"1.2.3.4"}},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", []string{"65.54.227.120", "192.0.2.45"}}, // RFC 4380 example
		{"::", nil}, {"::1", nil}, {"2606:4700::1", nil}, {"1.2.3.4", nil},
	} {
		got := EmbeddedIPv4(netip.MustParseAddr(tc.in))
		if len(got) != len(tc.want) {
			t.Errorf("EmbeddedIPv4(%s) = %v, want %v", tc.in, got, tc.want)
			continue
		}
		for i := range got {
			if got[i].String() != tc.want[i] {
				t.Errorf("EmbeddedIPv4(%s) = %v, want %v", tc.in, got, tc.want)
			}
		}
	}
}

func TestIPPolicyOptions(t *testing.T) {
	check := func(p IPPolicy, s string) bool { return p.Check(netip.MustParseAddr(s)) == nil }
	lo := IPPolicy{AllowLoopback: true}
	for _, s := range []string{"127.0.0.1", "::1", "::ffff:127.0.0.1", "2002:7f00:1::"} {
		if !check(lo, s) {
			t.Errorf("AllowLoopback refuses %s", s)
		}
	}
	for _, s := range []string{"10.0.0.1", "169.254.169.254", "0.0.0.0"} {
		if check(lo, s) {
			t.Errorf("AllowLoopback allows %s", s)
		}
	}
	priv := IPPolicy{AllowPrivate: true}
	for _, s := range []string{"10.0.0.1", "192.168.0.1", "fd00::1", "::ffff:172.16.0.1"} {
		if !check(priv, s) {
			t.Errorf("AllowPrivate refuses %s", s)
		}
	}
	for _, s := range []string{"127.0.0.1", "169.254.169.254", "fe80::1", "100.64.0.1", "0.0.0.0", "224.0.0.1",
		"64:ff9b:1::7f00:1", "64:ff9b:1::a9fe:a9fe", "64:ff9b:1::1"} {
		if check(priv, s) {
			t.Errorf("AllowPrivate allows %s", s)
		}
	}
	// A local-use NAT64 address needs AllowPrivate whatever it embeds, and
	// AllowLoopback too when it embeds a loopback address.
	for _, s := range []string{"64:ff9b:1::a00:1", "64:ff9b:1::808:808"} {
		if !check(priv, s) {
			t.Errorf("AllowPrivate refuses %s", s)
		}
	}
	for _, s := range []string{"64:ff9b:1::808:808", "64:ff9b:1::7f00:1"} {
		if check(lo, s) {
			t.Errorf("AllowLoopback allows %s", s)
		}
	}
	nets := IPPolicy{AllowNets: []netip.Prefix{netip.MustParsePrefix("10.1.2.0/24"), netip.MustParsePrefix("fd00:1::/32")}}
	for _, s := range []string{"10.1.2.3", "::ffff:10.1.2.3", "64:ff9b::10.1.2.3", "fd00:1::5"} {
		if !check(nets, s) {
			t.Errorf("AllowNets refuses %s", s)
		}
	}
	for _, s := range []string{"10.1.3.1", "fd00:2::1", "127.0.0.1"} {
		if check(nets, s) {
			t.Errorf("AllowNets allows %s", s)
		}
	}
}

// FuzzCheckIP checks Classify and IPPolicy.Check on any 4- or 16-byte
// address: no panic, Check of the zero policy agrees with Classify, an
// IPv4-mapped address is judged like its IPv4 address, and the embedding
// forms (mapped, NAT64, 6to4) of an IPv4 address get its class.
func FuzzCheckIP(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "::ffff:169.254.169.254", "2002:a00:1::", "2001:0:808:808::f5ff:fffe", "fe80::1", "2606:4700::1"} {
		b, _ := netip.MustParseAddr(s).MarshalBinary()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ip, ok := netip.AddrFromSlice(b)
		if !ok {
			return
		}
		var zero IPPolicy
		c := Classify(ip)
		if (zero.Check(ip) == nil) != (c == ClassPublic) {
			t.Fatalf("%s: Check and Classify (%s) disagree", ip, c)
		}
		all := IPPolicy{AllowLoopback: true, AllowPrivate: true}
		if c == ClassLinkLocal || c == ClassCGNAT || c == ClassMulticast || c == ClassUnspecified {
			if all.Check(ip) == nil {
				t.Fatalf("%s (%s) allowed by AllowLoopback+AllowPrivate", ip, c)
			}
		}
		if !ip.Is4() {
			return
		}
		a := ip.As4()
		forms := []netip.Addr{
			netip.AddrFrom16(ip.As16()), // ::ffff:a.b.c.d
			netip.AddrFrom16([16]byte{0, 0x64, 0xff, 0x9b, 10: 0, 11: 0, 12: a[0], 13: a[1], 14: a[2], 15: a[3]}),
			netip.AddrFrom16([16]byte{0x20, 0x02, a[0], a[1], a[2], a[3], 15: 1}),
		}
		for _, form := range forms {
			if got := Classify(form); got != c {
				t.Fatalf("Classify(%s) = %s, but %s is %s", form, got, ip, c)
			}
			if (zero.Check(form) == nil) != (c == ClassPublic) {
				t.Fatalf("%s: embedded form %s judged differently", ip, form)
			}
		}
	})
}
