package fetch

import (
	"net/netip"
)

// Class is the kind of network an IP address belongs to, as far as fetching
// is concerned. Only ClassPublic is allowed by default.
type Class uint8

const (
	ClassPublic        Class = iota
	ClassUnspecified         // 0.0.0.0/8, ::
	ClassLoopback            // 127.0.0.0/8, ::1
	ClassPrivate             // 10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10, 64:ff9b:1::/48 (see Classify)
	ClassLinkLocal           // 169.254/16 (cloud metadata), fe80::/10
	ClassCGNAT               // 100.64.0.0/10 (shared address space)
	ClassMulticast           // 224/4, ff00::/8
	ClassBroadcast           // 255.255.255.255
	ClassDocumentation       // 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20
	ClassReserved            // every other special-purpose or unallocated range (see Classify)
	ClassInvalid             // the zero netip.Addr
)

var classNames = [...]string{
	ClassPublic:        "public",
	ClassUnspecified:   "unspecified",
	ClassLoopback:      "loopback",
	ClassPrivate:       "private",
	ClassLinkLocal:     "link-local",
	ClassCGNAT:         "cgnat",
	ClassMulticast:     "multicast",
	ClassBroadcast:     "broadcast",
	ClassDocumentation: "documentation",
	ClassReserved:      "reserved",
	ClassInvalid:       "invalid",
}

func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return "invalid"
}

type rangeClass struct {
	p netip.Prefix
	c Class
}

// row builds a table row; the tables are checked in order, the first
// containing prefix winning.
func row(prefix string, c Class) rangeClass { return rangeClass{netip.MustParsePrefix(prefix), c} }

// v4Ranges are the IPv4 special-purpose ranges (IANA registry, RFC 6890 and
// successors). Ranges that IANA marks globally reachable but that no image
// origin uses (AS112, AMT) are left public.
var v4Ranges = []rangeClass{
	row("255.255.255.255/32", ClassBroadcast), // before 240/4
	row("0.0.0.0/8", ClassUnspecified),        // "this network"; 0.0.0.0 reaches the local host on Linux
	row("10.0.0.0/8", ClassPrivate),
	row("100.64.0.0/10", ClassCGNAT),
	row("127.0.0.0/8", ClassLoopback),
	row("169.254.0.0/16", ClassLinkLocal), // 169.254.169.254: cloud instance metadata
	row("172.16.0.0/12", ClassPrivate),
	row("192.0.0.0/24", ClassReserved), // IETF protocol assignments
	row("192.0.2.0/24", ClassDocumentation),
	row("192.88.99.0/24", ClassReserved), // deprecated 6to4 relay anycast
	row("192.168.0.0/16", ClassPrivate),
	row("198.18.0.0/15", ClassReserved), // benchmarking; often used inside networks
	row("198.51.100.0/24", ClassDocumentation),
	row("203.0.113.0/24", ClassDocumentation),
	row("224.0.0.0/4", ClassMulticast),
	row("240.0.0.0/4", ClassReserved), // future use
}

// v6Ranges are the IPv6 ranges checked before the global-unicast rule;
// ranges that embed an IPv4 address are handled by EmbeddedIPv4 first.
var v6Ranges = []rangeClass{
	row("::/128", ClassUnspecified),
	row("::1/128", ClassLoopback),
	row("100::/64", ClassReserved),  // discard-only
	row("2001::/23", ClassReserved), // IETF protocol assignments (Teredo 2001::/32 is decoded first)
	row("2001:db8::/32", ClassDocumentation),
	row("3fff::/20", ClassDocumentation), // RFC 9637
	row("5f00::/16", ClassReserved),      // SRv6 SIDs
	row("fc00::/7", ClassPrivate),        // unique local
	row("fe80::/10", ClassLinkLocal),
	row("fec0::/10", ClassPrivate), // deprecated site-local
	row("ff00::/8", ClassMulticast),
}

var (
	globalUnicast = netip.MustParsePrefix("2000::/3")
	nat64         = netip.MustParsePrefix("64:ff9b::/96")
	localNAT64    = netip.MustParsePrefix("64:ff9b:1::/48") // RFC 8215 local-use translation
	sixToFour     = netip.MustParsePrefix("2002::/16")
	teredo        = netip.MustParsePrefix("2001::/32")
	v4Compatible  = netip.MustParsePrefix("::/96")
	v4Translated  = netip.MustParsePrefix("::ffff:0:0:0/96") // RFC 2765; not ::ffff:0:0/96, the mapped prefix
)

// EmbeddedIPv4 returns the IPv4 addresses an IPv6 address stands for: the
// IPv4-mapped form ::ffff:a.b.c.d, the IPv4-compatible form ::a.b.c.d
// (other than :: and ::1), the IPv4-translated form ::ffff:0:a.b.c.d, NAT64
// 64:ff9b::a.b.c.d, local-use NAT64 64:ff9b:1::/48 read as a /96 prefix
// (the last 32 bits; RFC 8215 lets an operator use other RFC 6052 prefix
// lengths inside the /48, which are not decoded), 6to4 2002:aabb:ccdd::/48,
// and Teredo 2001:0::/32 (both the server address and the de-obfuscated
// client address). It returns nil for an IPv4 address or any other IPv6
// address.
func EmbeddedIPv4(ip netip.Addr) []netip.Addr {
	if !ip.Is6() {
		return nil
	}
	ip = ip.WithZone("")
	b := ip.As16()
	last4 := netip.AddrFrom4([4]byte(b[12:16]))
	switch {
	case ip.Is4In6():
		return []netip.Addr{ip.Unmap()}
	case v4Compatible.Contains(ip):
		if ip == netip.IPv6Unspecified() || ip == netip.IPv6Loopback() {
			return nil
		}
		return []netip.Addr{last4}
	case v4Translated.Contains(ip), nat64.Contains(ip), localNAT64.Contains(ip):
		return []netip.Addr{last4}
	case sixToFour.Contains(ip):
		return []netip.Addr{netip.AddrFrom4([4]byte(b[2:6]))}
	case teredo.Contains(ip):
		server := netip.AddrFrom4([4]byte(b[4:8]))
		client := netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]})
		return []netip.Addr{server, client}
	}
	return nil
}

// Classify returns the class of ip. An IPv6 address that embeds IPv4
// addresses (see EmbeddedIPv4) has the class of the first embedded address
// that is not public, or ClassPublic when all are; but one in the local-use
// NAT64 prefix 64:ff9b:1::/48 is at least ClassPrivate (its translator is
// an operator's own), so 64:ff9b:1::8.8.8.8 is private while
// 64:ff9b:1::127.0.0.1 is loopback. Other IPv6 addresses outside 2000::/3
// (global unicast) are ClassReserved unless listed. The zone is ignored.
func Classify(ip netip.Addr) Class {
	if !ip.IsValid() {
		return ClassInvalid
	}
	ip = ip.WithZone("")
	if ip.Is4() {
		return classify4(ip)
	}
	if emb := EmbeddedIPv4(ip); emb != nil {
		for _, v4 := range emb {
			if c := classify4(v4); c != ClassPublic {
				return c
			}
		}
		if localNAT64.Contains(ip) {
			return ClassPrivate
		}
		return ClassPublic
	}
	for _, r := range v6Ranges {
		if r.p.Contains(ip) {
			return r.c
		}
	}
	if !globalUnicast.Contains(ip) {
		return ClassReserved
	}
	return ClassPublic
}

func classify4(ip netip.Addr) Class {
	for _, r := range v4Ranges {
		if r.p.Contains(ip) {
			return r.c
		}
	}
	return ClassPublic
}

// IPPolicy decides which addresses a fetch may connect to. The zero value
// allows public addresses only.
type IPPolicy struct {
	// AllowLoopback allows 127.0.0.0/8 and ::1 (tests, or an origin on the
	// same machine).
	AllowLoopback bool
	// AllowPrivate allows ClassPrivate: RFC 1918, unique-local fc00::/7 and
	// the like. It does not allow link-local (cloud metadata), CGNAT,
	// loopback or reserved ranges.
	AllowPrivate bool
	// AllowNets allows addresses in these prefixes whatever their class
	// (for one internal origin network, say, rather than all of
	// AllowPrivate). An IPv4 prefix also matches the IPv4 address embedded
	// in an IPv6 one.
	AllowNets []netip.Prefix
}

// Check returns nil when ip may be dialled, else a *FetchError of
// KindDenied whose Reason is the address's class and Addr the address.
func (p *IPPolicy) Check(ip netip.Addr) error {
	if c, ok := p.allowed(ip); !ok {
		return &FetchError{Kind: KindDenied, Reason: c.String(), Addr: ip}
	}
	return nil
}

func (p *IPPolicy) allowed(ip netip.Addr) (Class, bool) {
	if !ip.IsValid() {
		return ClassInvalid, false
	}
	ip = ip.WithZone("")
	if ip.Is4In6() {
		ip = ip.Unmap()
	}
	if p.inAllowNets(ip) {
		return Classify(ip), true
	}
	if ip.Is6() {
		if emb := EmbeddedIPv4(ip); emb != nil {
			for _, v4 := range emb {
				if c, ok := p.allowed(v4); !ok {
					return c, false
				}
			}
			if localNAT64.Contains(ip) {
				return Classify(ip), p.AllowPrivate
			}
			return ClassPublic, true
		}
	}
	c := Classify(ip)
	switch c {
	case ClassPublic:
		return c, true
	case ClassLoopback:
		return c, p.AllowLoopback
	case ClassPrivate:
		return c, p.AllowPrivate
	}
	return c, false
}

func (p *IPPolicy) inAllowNets(ip netip.Addr) bool {
	for _, n := range p.AllowNets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}
